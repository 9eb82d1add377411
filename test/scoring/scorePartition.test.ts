import { DatabaseSync } from 'node:sqlite';
import * as path from 'node:path';
import { FEATURES } from '../../shared/features/schema';
import { leadScore, sigmoid } from '../../shared/model/score';
import { scorePartition, rescoreNewest, type ScoringDeps } from '../../shared/pipeline/scorePartition';
import { deployVersion, rollback } from '../../shared/pipeline/versions';
import { bandOf, toScore100 } from '../../shared/scoring/contact';
import { NoActiveVersionError } from '../../shared/scoring/servingModel';
import { splitCsvLine } from '../../shared/scoring/featureRows';
import type { Lake } from '../../shared/ports/lake';
import { env, featureRows, FEATURES_HEADER, register, W1, W2, type Env } from './fixtures';

let e: Env;
let alerts: { name: string; props: Record<string, unknown> }[];
afterEach(async () => e && (await e.close()));

const P = 'processed/features/2026/05/04/part-0.csv';

function deps(extra: Partial<ScoringDeps> = {}): ScoringDeps {
  return { lake: e.lake, warehouse: e.warehouse, ledger: e.ledger, chunkRows: 40, alert: (name, props) => alerts.push({ name, props }), ...extra };
}

async function land(rows: string[], p = P, header = FEATURES_HEADER): Promise<void> {
  await e.lake.write(p, `${header}\n${rows.join('\n')}\n`);
}

function db(): DatabaseSync {
  return new DatabaseSync(path.join(e.home, 'warehouse.db'));
}

function table(sql: string): Record<string, unknown>[] {
  const d = db();
  try {
    return d.prepare(sql).all() as Record<string, unknown>[];
  } finally {
    d.close();
  }
}

beforeEach(async () => {
  e = await env();
  alerts = [];
  await register(e, W1, -0.3);
  await register(e, W2, 0.25);
  await deployVersion(e, 1, { by: 't' });
});

describe('score_100 and bands', () => {
  test('boundaries', () => {
    expect([80, 79, 60, 59, 40, 39, 0, 100].map(bandOf)).toEqual(['High', 'Medium', 'Medium', 'Low', 'Low', 'Very low', 'Very low', 'High']);
    expect([0.5, 0.004, 0.005, 0.996, 0.795, 0.7949].map(toScore100)).toEqual([50, 0, 1, 100, 80, 79]);
  });
});

describe('scorePartition', () => {
  test('scores every row with the active version: lead_scores equal leadScore, the seed SELECT agrees', async () => {
    const rows = featureRows(100);
    await land(rows);
    const r = await scorePartition(deps(), P);
    expect(r).toMatchObject({ status: 'scored', modelVersion: 1, rowsScored: 100, rowsRejected: 0, quarantineFile: null });
    if (r.status !== 'scored') throw new Error('unreachable');
    // 100 rows in chunks of 40: three scores files.
    expect(r.scoresFiles).toEqual([0, 1, 2].map((k) => `scores/2026/05/04/part-0.v1.part-000${k}.csv`));
    const scored = table('SELECT * FROM lead_scores ORDER BY contact_id');
    expect(scored).toHaveLength(100);
    rows.forEach((line, i) => {
      const x = line.split(',').slice(2).map(Number);
      const z = leadScore(W1, -0.3, x);
      const s = scored[i]!;
      expect(s.contact_id).toBe(line.split(',')[0]);
      expect(s.lead_score).toBe(z);
      expect(s.probability).toBe(sigmoid(z));
      expect(s.score_100).toBe(Math.floor(100 * sigmoid(z) + 0.5));
      expect(s.band).toBe(bandOf(s.score_100 as number));
      expect(s.model_version).toBe(1);
      expect(s.as_of).toBe('2026-05-04');
    });
    const viaSql = await e.warehouse.runSeedScoringSelect();
    const byId = new Map(scored.map((s) => [s.contact_id, s.lead_score as number]));
    for (const v of viaSql) expect(Math.abs(v.leadScore - byId.get(v.contactId)!)).toBeLessThanOrEqual(1e-12);
    const csv = (await e.lake.read(r.scoresFiles[0]!)).toString().split('\n');
    expect(csv[0]).toBe('contact_id,as_of,model_version,lead_score,probability,score_100,band,top_factor_1,top_factor_2,top_factor_3');
    expect(csv[1]!.split(',').slice(0, 4)).toEqual(['c0000000', '2026-05-04', '1', String(scored[0]!.lead_score)]);
  });

  test('top factors: the three largest |w·(x − training mean)|, hand-computed', async () => {
    // mean [30, .5, 0, .3, .2, .3, .5]; x = [60, .5, -2, .3, .2, .8, .5]:
    // recency −0.05·30 = −1.5, opt_out −2.5·0.5 = −1.25, sentiment 0.4·−2 = −0.8; the rest 0.
    await land(['a,2026-05-04,60,0.5,-2,0.3,0.2,0.8,0.5']);
    await scorePartition(deps(), P);
    const [row] = table(`SELECT top_factors FROM lead_scores WHERE contact_id = 'a'`);
    expect(JSON.parse(String(row!.top_factors))).toEqual([
      ['recency_days', -1.5],
      ['opt_out_risk', -1.25],
      ['sentiment_score', -0.8],
    ]);
  });

  test('the same content for the same version again changes nothing (partition ledger)', async () => {
    await land(featureRows(50));
    await scorePartition(deps(), P);
    const before = table('SELECT * FROM lead_scores ORDER BY contact_id');
    const again = await scorePartition(deps({ now: () => new Date('2030-01-01T00:00:00Z') }), P);
    expect(again.status).toBe('unchanged');
    expect(table('SELECT * FROM lead_scores ORDER BY contact_id')).toEqual(before);
    // Changed content is scored again.
    await land(featureRows(50, 7));
    expect((await scorePartition(deps(), P)).status).toBe('scored');
    expect(table('SELECT * FROM lead_scores ORDER BY contact_id')).not.toEqual(before);
  });

  test('up to 1 % bad rows: quarantined with reasons, the rest scored', async () => {
    const rows = featureRows(200);
    rows[3] = 'c0000003,2026-05-04,61,0.1,0,0,0,0,0.5';
    rows[9] = rows[8]!; // duplicate contact
    await land(rows);
    const r = await scorePartition(deps(), P);
    expect(r).toMatchObject({ status: 'scored', rowsScored: 198, rowsRejected: 2, quarantineFile: 'quarantine/scoring/2026/05/04/part-0.csv' });
    const q = (await e.lake.read('quarantine/scoring/2026/05/04/part-0.csv')).toString().trim().split('\n');
    expect(q[0]).toBe('line,contact_id,reason,row');
    expect(q[1]).toMatch(/^5,c0000003,"recency_days: 61 outside \[0, 60\]",/);
    expect(q[2]).toMatch(/^11,c0000008,contact_id: duplicate within the partition,/);
    expect(alerts).toEqual([]);
  });

  test('more than 1 % bad rows: the partition fails with an alert and nothing is written', async () => {
    const rows = featureRows(100);
    rows[10] = 'x1,2026-05-04,abc,0,0,0,0,0,0.5';
    rows[20] = 'x2,2026-05-03,1,0,0,0,0,0,0.5';
    await land(rows);
    const r = await scorePartition(deps(), P);
    expect(r).toMatchObject({ status: 'rejected', rowsRejected: 2, rowsTotal: 100 });
    expect(alerts.map((a) => a.name)).toEqual(['PartitionRejected']);
    expect(table('SELECT COUNT(*) AS n FROM lead_scores')[0]!.n).toBe(0);
    expect(table('SELECT COUNT(*) AS n FROM contact_features')[0]!.n).toBe(0);
    expect(await e.lake.list('scores')).toEqual([]);
    const q = (await e.lake.read('quarantine/scoring/2026/05/04/part-0.csv')).toString();
    expect(q).toContain(`recency_days: 'abc' is not a finite number`);
    expect(q).toContain('as_of: 2026-05-03 differs from the partition date 2026-05-04');
    expect(await e.ledger.getPartition(P, 1)).toBeUndefined();
  });

  test('a header without a feature column is an error naming it', async () => {
    await land(['a,2026-05-04,1,0,0,0,0,0'], P, FEATURES_HEADER.replace(',mms_affinity', ''));
    await expect(scorePartition(deps(), P)).rejects.toThrow(/header lacks column\(s\) mms_affinity/);
  });

  test('quoted fields, CRLF line ends and any column order are read', async () => {
    const header = ['as_of', ...FEATURES, 'contact_id'].join(',');
    await e.lake.write(P, `${header}\r\n2026-05-04,1,0,0,0,0,0,0.5,"c,1"\r\n`);
    const r = await scorePartition(deps(), P);
    expect(r).toMatchObject({ status: 'scored', rowsScored: 1 });
    expect(await e.warehouse.getLeadScore('c,1')).toMatchObject({ leadScore: leadScore(W1, -0.3, [1, 0, 0, 0, 0, 0, 0.5]) });
  });

  test('no active version is a thrown failure (the trigger retries), not a silent success', async () => {
    const fresh = await env();
    try {
      await register(fresh, W1, 0);
      await fresh.lake.write(P, `${FEATURES_HEADER}\n${featureRows(3).join('\n')}\n`);
      await expect(scorePartition({ lake: fresh.lake, warehouse: fresh.warehouse, ledger: fresh.ledger }, P)).rejects.toBeInstanceOf(NoActiveVersionError);
    } finally {
      await fresh.close();
    }
  });

  test('a failure midway (lake write of the 2nd scores file) leaves the warehouse and lake as they were', async () => {
    await land(featureRows(100));
    let writes = 0;
    const failing: Lake = Object.create(e.lake) as Lake;
    failing.write = async (p, d) => {
      if (p.startsWith('scores/') && ++writes === 2) throw new Error('injected lake failure');
      return e.lake.write(p, d);
    };
    await expect(scorePartition(deps({ lake: failing }), P)).rejects.toThrow('injected lake failure');
    expect(table('SELECT COUNT(*) AS n FROM lead_scores')[0]!.n).toBe(0);
    expect(await e.lake.list('scores')).toEqual([]);
    expect(await e.ledger.getPartition(P, 1)).toBeUndefined();
  });

  test('an older partition does not overwrite newer features or scores', async () => {
    await land(['a,2026-05-04,1,0,0,0,0,0,0.5']);
    await scorePartition(deps(), P);
    const older = 'processed/features/2026/05/01/part-0.csv';
    await land(['a,2026-05-01,50,0,0,0,0,0,0.5'], older);
    await scorePartition(deps(), older);
    expect(await e.warehouse.getLeadScore('a')).toMatchObject({ asOf: '2026-05-04' });
  });

  test('deploy and rollback rescore the newest partition with the new version', async () => {
    await land(featureRows(20), 'processed/features/2026/05/03/part-0.csv');
    await land(featureRows(20, 3));
    await rescoreNewest(deps());
    const d = await deployVersion(e, 2, { by: 't', rescore: deps() });
    expect(d.rescored.map((r) => [r.path, r.status, r.modelVersion])).toEqual([[P, 'scored', 2]]);
    expect(await e.warehouse.getLeadScore('c0000000')).toMatchObject({ modelVersion: 2 });
    const rb = await rollback(e, { by: 't', rescore: deps() });
    // Back to v1: same content and version as before → the ledger says it was scored, yet lead_scores
    // now hold v2 scores. The ledger is keyed by version, so v1's record must not short-circuit it.
    expect(rb.rescored.map((r) => r.modelVersion)).toEqual([1]);
    expect(await e.warehouse.getLeadScore('c0000000')).toMatchObject({ modelVersion: 1 });
  });
});

describe('plain rows read from bytes and unusual rows read as text agree', () => {
  test('values: same numbers as Number(text), same reasons; quoted, non-ASCII and padded rows still scored', async () => {
    // 17 significant digits, exponents, signs, "5." and ".5" are plain decimals (byte path); a
    // padded value, hex, a quoted or non-ASCII id go through the text path. Both must score alike.
    const odd = [
      'p0,2026-05-04,12,0.43528187799224071,-1.8405827302485704,0.743801222415641,0.48290468379855156,0.07366754091344774,0.75',
      'p1,2026-05-04,1e1,1.,-.5,+0.25,2.5e-1,0.000000000000000000001,1',
      'p2,2026-05-04,-0,0,0,0,0,0,0',
      'p3,2026-05-04, 7 ,0.1,0.2,0.3,0.2,0.1,0.5',
      'p4,2026-05-04,0x10,0.1,0.2,0.3,0.2,0.1,0.5',
      '"p,5",2026-05-04,3,0.1,0.2,0.3,0.2,0.1,0.5',
      'pé6,2026-05-04,3,0.1,0.2,0.3,0.2,0.1,0.5',
      'p7,2026-05-04,60.000000000000001,1.0000000000000001,2,1,1,1,1',
    ];
    const bad = ['b0,2026-05-04,1e400,0,0,0,0,0,0.5', 'b1,2026-05-04,Infinity,0,0,0,0,0,0.5'];
    const rows = [...featureRows(300), ...odd, ...bad];
    await land(rows);
    const r = await scorePartition(deps(), P);
    expect(r).toMatchObject({ status: 'scored', rowsScored: 300 + odd.length, rowsRejected: 2 });
    for (const line of [...odd, ...featureRows(300).slice(0, 5)]) {
      const f = splitCsvLine(line);
      const x = f.slice(2).map((v) => +v);
      const got = await e.warehouse.getLeadScore(f[0]!);
      expect(got?.leadScore).toBe(leadScore(W1, -0.3, x));
    }
    const q = (await e.lake.read('quarantine/scoring/2026/05/04/part-0.csv')).toString();
    expect(q).toContain(`recency_days: '1e400' is not a finite number`);
    expect(q).toContain(`recency_days: 'Infinity' is not a finite number`);
  });
});
