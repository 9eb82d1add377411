import { DatabaseSync } from 'node:sqlite';
import * as path from 'node:path';
import { FEATURES } from '../../../shared/domain/features/schema';
import { leadScore, sigmoid } from '../../../shared/domain/model/score';
import { scorePartition, PartitionPathError, type ScoringDeps } from '../../../shared/app/scoring';
import { deployVersion } from '../../../shared/app/versions';
import { bandOf, toScore100 } from '../../../shared/domain/serving';
import { splitCsvLine } from '../../../shared/domain/features/rows';
import { SCORES_HEADER } from '../../../shared/domain/serving';
import { readManifest } from '../../../shared/app/scoresExport';
import type { Lake } from '../../../shared/ports/lake';
import { env, featureRows, FEATURES_HEADER, register, W1, W2, type Env } from '../../support/fixtures';
import { logTo, silentLog } from '../../../shared/ports/log';

let e: Env;
let alerts: { name: string; props: Record<string, unknown> }[];
afterEach(async () => e && (await e.close()));

const DAY = '2026-05-04';
const FOLDER = 'processed/features/2026/05/04';

function deps(extra: Partial<ScoringDeps> = {}): ScoringDeps {
  // An alert is a line on the log's error level: `ALERT <name>: <properties as JSON>`.
  const log = logTo(
    () => undefined,
    () => undefined,
    (m) => {
      const a = /^ALERT (\w+): (.*)$/.exec(m);
      if (a) alerts.push({ name: a[1]!, props: JSON.parse(a[2]!) as Record<string, unknown> });
    },
  );
  return { lake: e.lake, warehouse: e.warehouse, ledger: e.ledger, chunkRows: 40, log, ...extra };
}

/** Lands a partition: its data file(s), then (unless `marker: false`) its _SUCCESS marker. */
async function land(rows: string[], opts: { folder?: string; header?: string; file?: string; marker?: boolean } = {}): Promise<void> {
  const folder = opts.folder ?? FOLDER;
  await e.lake.write(`${folder}/${opts.file ?? 'part-0.csv'}`, `${opts.header ?? FEATURES_HEADER}\n${rows.join('\n')}\n`);
  if (opts.marker !== false) await e.lake.write(`${folder}/_SUCCESS`, '');
}

function table(sql: string): Record<string, unknown>[] {
  const d = new DatabaseSync(path.join(e.home, 'warehouse.db'));
  try {
    return d.prepare(sql).all();
  } finally {
    d.close();
  }
}

const ids = (): string[] => table('SELECT contact_id FROM lead_scores ORDER BY contact_id').map((r) => String(r.contact_id));

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

describe('scorePartition: the partition becomes the served population', () => {
  test('every contact is scored by SQL with the active version; the seed SELECT and the export agree', async () => {
    const rows = featureRows(100);
    await land(rows);
    const r = await scorePartition(deps(), `${FOLDER}/_SUCCESS`);
    expect(r).toMatchObject({ status: 'scored', path: FOLDER, asOf: DAY, modelVersion: 1, contacts: 100, rowsRejected: 0, quarantineFile: null });
    const scored = table('SELECT * FROM lead_scores ORDER BY contact_id');
    expect(scored).toHaveLength(100);
    rows.forEach((line, i) => {
      const x = line.split(',').slice(2).map(Number);
      const z = leadScore(W1, -0.3, x);
      const s = scored[i]!;
      expect(s.contact_id).toBe(line.split(',')[0]);
      expect(s.lead_score).toBe(z);
      expect(Math.abs((s.probability as number) - sigmoid(z))).toBeLessThanOrEqual(1e-15);
      expect(s.score_100).toBe(Math.floor(100 * (s.probability as number) + 0.5));
      expect(s.band).toBe(bandOf(s.score_100 as number));
      expect(s.model_version).toBe(1);
      expect(s.as_of).toBe(DAY);
    });
    const viaSeed = await e.warehouse.runSeedScoringSelect();
    const byId = new Map(scored.map((s) => [s.contact_id, s.lead_score as number]));
    for (const v of viaSeed) expect(v.leadScore).toBe(byId.get(v.contactId));

    // The lake export: 100 rows in parts of 40, named by version and population, listed by its manifest.
    if (r.status !== 'scored' || r.export.status !== 'published') throw new Error(`not published: ${JSON.stringify(r)}`);
    const tok = r.contentHash.slice(0, 8);
    expect(r.export.files).toEqual([0, 1, 2].map((k) => `scores/2026/05/04/v1-${tok}-part-000${k}.csv`));
    const manifest = await readManifest(e.lake, DAY);
    expect(manifest).toMatchObject({
      model_version: 1,
      as_of: DAY,
      population_hash: r.contentHash,
      contacts: 100,
      files: r.export.files.map((f) => path.posix.basename(f)),
    });
    const lines = (await Promise.all(r.export.files.map(async (f) => (await e.lake.read(f)).toString()))).flatMap((t) =>
      t.split('\n').filter((l, i) => i > 0 && l),
    );
    expect((await e.lake.read(r.export.files[0]!)).toString().startsWith(SCORES_HEADER)).toBe(true);
    expect(lines).toHaveLength(100);
    lines.forEach((l, i) => {
      const [id, asOf, v, z, p, s100, band, t1, t2, t3, grade, ...rest] = l.split(',');
      const s = scored[i]!;
      expect([id, asOf, Number(v), Number(z), Number(s100), band, grade]).toEqual([s.contact_id, DAY, 1, s.lead_score, s.score_100, s.band, s.grade]);
      expect(Math.abs(Number(p) - (s.probability as number))).toBeLessThanOrEqual(1e-15);
      expect([t1, t2, t3]).toEqual((JSON.parse(String(s.top_factors)) as [string, number][]).map(([f]) => f));
      expect(rest).toEqual([]);
    });
    // The fixture's thresholds put these contacts in every grade: the export agrees with SQL on each.
    expect(new Set(scored.map((s) => s.grade))).toEqual(new Set(['A', 'B', 'C', 'D']));
    expect((await e.lake.list('scores/2026/05/04')).map((x) => path.posix.basename(x.path)).sort()).toEqual([...manifest!.files, '_SUCCESS'].sort());
  });

  test('top factors: the three largest |w·(x − training mean)|, hand-computed', async () => {
    // mean [30, .5, 0, .3, .2, .3, .5]; x = [60, .5, -2, .3, .2, .8, .5]:
    // recency −0.05·30 = −1.5, opt_out −2.5·0.5 = −1.25, sentiment 0.4·−2 = −0.8; the rest 0.
    await land(['a,2026-05-04,60,0.5,-2,0.3,0.2,0.8,0.5']);
    await scorePartition(deps(), FOLDER);
    const [row] = table(`SELECT top_factors FROM lead_scores WHERE contact_id = 'a'`);
    expect(JSON.parse(String(row!.top_factors))).toEqual([
      ['recency_days', -1.5],
      ['opt_out_risk', -1.25],
      ['sentiment_score', -0.8],
    ]);
  });

  test('the same content again changes nothing; new content for the date replaces the population', async () => {
    await land(featureRows(50));
    await scorePartition(deps(), FOLDER);
    const before = table('SELECT * FROM lead_scores ORDER BY contact_id');
    const again = await scorePartition(deps(), `${FOLDER}/part-0.csv`);
    expect(again).toMatchObject({ status: 'unchanged' });
    expect(table('SELECT * FROM lead_scores ORDER BY contact_id')).toEqual(before);
    // New content: 30 contacts, 20 of the earlier ones are gone from contact_features and lead_scores.
    await land(featureRows(30, 7));
    expect((await scorePartition(deps(), FOLDER)).status).toBe('scored');
    expect(ids()).toEqual(featureRows(30, 7).map((l) => l.split(',')[0]));
    expect(table('SELECT COUNT(*) AS n FROM contact_features')[0]!.n).toBe(30);
    // The export of the smaller population leaves no part of the larger one.
    const m = (await readManifest(e.lake, DAY))!;
    expect(m.contacts).toBe(30);
    expect((await e.lake.list('scores')).length).toBe(m.files.length + 1);
  });

  test('an older partition arriving late never replaces the newer population', async () => {
    await land(['a,2026-05-04,1,0,0,0,0,0,0.5']);
    await scorePartition(deps(), FOLDER);
    await land(['a,2026-05-01,50,0,0,0,0,0,0.5', 'b,2026-05-01,5,0,0,0,0,0,0.5'], { folder: 'processed/features/2026/05/01' });
    const r = await scorePartition(deps(), 'processed/features/2026/05/01');
    expect(r).toMatchObject({ status: 'superseded', servedAsOf: DAY });
    expect(ids()).toEqual(['a']);
    expect(await e.warehouse.getLeadScore('a')).toMatchObject({ asOf: DAY });
    expect(await e.ledger.getPartition((r as { contentHash: string }).contentHash)).toMatchObject({ status: 'superseded' });
  });

  test('up to 1 % bad rows: quarantined with file, line and reason, the rest served', async () => {
    const rows = featureRows(200);
    rows[3] = 'c0000003,2026-05-04,61,0.1,0,0,0,0,0.5';
    rows[9] = rows[8]!; // duplicate contact
    await land(rows);
    const r = await scorePartition(deps(), FOLDER);
    expect(r).toMatchObject({ status: 'scored', contacts: 198, rowsRejected: 2, quarantineFile: 'quarantine/scoring/2026/05/04/rejected-rows.csv' });
    const q = (await e.lake.read('quarantine/scoring/2026/05/04/rejected-rows.csv')).toString().trim().split('\n');
    expect(q[0]).toBe('file,line,contact_id,reason,row');
    expect(q[1]).toMatch(/^part-0\.csv,5,c0000003,"recency_days: 61 outside \[0, 60\]",/);
    expect(q[2]).toMatch(/^part-0\.csv,11,c0000008,contact_id: duplicate within the partition,/);
    expect(alerts).toEqual([]);
  });

  test('more than 1 % bad rows: rejected with an alert; the served population and the export stay as they were', async () => {
    await land(featureRows(20, 3));
    await scorePartition(deps(), FOLDER);
    const before = table('SELECT * FROM lead_scores ORDER BY contact_id');
    const exportBefore = await e.lake.list('scores');
    const rows = featureRows(100);
    rows[10] = 'x1,2026-05-04,abc,0,0,0,0,0,0.5';
    rows[20] = 'x2,2026-05-03,1,0,0,0,0,0,0.5';
    await land(rows);
    const r = await scorePartition(deps(), FOLDER);
    expect(r).toMatchObject({ status: 'rejected', rowsRejected: 2, rowsTotal: 100 });
    expect(alerts.map((a) => a.name)).toEqual(['PartitionRejected']);
    expect(table('SELECT * FROM lead_scores ORDER BY contact_id')).toEqual(before);
    expect(await e.lake.list('scores')).toEqual(exportBefore);
    const q = (await e.lake.read('quarantine/scoring/2026/05/04/rejected-rows.csv')).toString();
    expect(q).toContain(`recency_days: 'abc' is not a finite number`);
    expect(q).toContain('as_of: 2026-05-03 differs from the partition date 2026-05-04');
    // Offered again, the same content is rejected again, with nothing changed.
    expect(await scorePartition(deps(), FOLDER)).toMatchObject({ status: 'rejected', rowsRejected: 2 });
    expect(table('SELECT * FROM lead_scores ORDER BY contact_id')).toEqual(before);
  });

  test('a header without a feature column, or with one twice, is an error naming it; nothing changes', async () => {
    await land(['a,2026-05-04,1,0,0,0,0,0'], { header: FEATURES_HEADER.replace(',mms_affinity', '') });
    await expect(scorePartition(deps(), FOLDER)).rejects.toThrow(/header lacks column\(s\) mms_affinity/);
    await land(['a,2026-05-04,1,0,0,0,0,0,0.5,1'], { header: `${FEATURES_HEADER},recency_days` });
    await expect(scorePartition(deps(), FOLDER)).rejects.toThrow(/header has column\(s\) recency_days more than once/);
    expect(table('SELECT COUNT(*) AS n FROM contact_features')[0]!.n).toBe(0);
  });

  test('quoted fields, CRLF line ends and any column order are read', async () => {
    const header = ['as_of', ...FEATURES, 'contact_id'].join(',');
    await e.lake.write(`${FOLDER}/part-0.csv`, `${header}\r\n2026-05-04,1,0,0,0,0,0,0.5,"c,1"\r\n`);
    await e.lake.write(`${FOLDER}/_SUCCESS`, '');
    const r = await scorePartition(deps(), FOLDER);
    expect(r).toMatchObject({ status: 'scored', contacts: 1 });
    expect(await e.warehouse.getLeadScore('c,1')).toMatchObject({ leadScore: leadScore(W1, -0.3, [1, 0, 0, 0, 0, 0, 0.5]) });
  });

  test('with no active version the population is still served; the first deploy scores it and writes the export', async () => {
    const fresh = await env();
    try {
      await register(fresh, W1, 0);
      await fresh.lake.write(`${FOLDER}/part-0.csv`, `${FEATURES_HEADER}\n${featureRows(3).join('\n')}\n`);
      await fresh.lake.write(`${FOLDER}/_SUCCESS`, '');
      const r = await scorePartition({ lake: fresh.lake, warehouse: fresh.warehouse, ledger: fresh.ledger, log: silentLog }, FOLDER);
      expect(r).toMatchObject({ status: 'scored', contacts: 3, modelVersion: null, export: { status: 'none' } });
      expect(await fresh.warehouse.countLeadScores()).toBe(0);
      const d = await deployVersion(fresh, 1, { by: 't' });
      expect(await fresh.warehouse.countLeadScores()).toBe(3);
      expect(d.export).toMatchObject({ status: 'published', modelVersion: 1, contacts: 3 });
    } finally {
      await fresh.close();
    }
  });

  test('a failure midway (the lake write of the 2nd export part) leaves the warehouse and the lake as they were', async () => {
    await land(featureRows(100));
    let writes = 0;
    const failing: Lake = Object.create(e.lake) as Lake;
    failing.write = async (p, d) => {
      if (p.startsWith('scores/') && ++writes === 2) throw new Error('injected lake failure');
      return e.lake.write(p, d);
    };
    await expect(scorePartition(deps({ lake: failing }), FOLDER)).rejects.toThrow('injected lake failure');
    expect(table('SELECT COUNT(*) AS n FROM contact_features')[0]!.n).toBe(0);
    expect(await e.lake.list('scores')).toEqual([]);
    expect(await e.warehouse.servedState()).toMatchObject({ population: null });
  });

  test('a path outside a features partition is refused by name', async () => {
    await expect(scorePartition(deps(), 'processed/features/2026/05/99/part-0.csv')).rejects.toBeInstanceOf(PartitionPathError);
    await expect(scorePartition(deps(), 'labels/2026/05/04/part-0.csv')).rejects.toThrow(/not a features partition/);
  });
});

describe('a partition is every *.csv of its folder, complete with its _SUCCESS marker', () => {
  test('an event on an incomplete partition waits; the marker loads all files as one population', async () => {
    await land(featureRows(10), { file: 'part-00000-abc.csv', marker: false });
    const w = await scorePartition(deps(), `${FOLDER}/part-00000-abc.csv`);
    expect(w).toMatchObject({ status: 'waiting', reason: expect.stringMatching(/waiting for .*_SUCCESS/) });
    expect(table('SELECT COUNT(*) AS n FROM contact_features')[0]!.n).toBe(0);
    const second = featureRows(25).slice(10);
    await land(second, { file: 'features.csv' });
    const r = await scorePartition(deps(), `${FOLDER}/_SUCCESS`);
    expect(r).toMatchObject({ status: 'scored', contacts: 25, files: [`${FOLDER}/features.csv`, `${FOLDER}/part-00000-abc.csv`] });
    expect(ids()).toEqual(featureRows(25).map((l) => l.split(',')[0]));
    // The other files' events find the same content: nothing more happens.
    expect(await scorePartition(deps(), `${FOLDER}/features.csv`)).toMatchObject({ status: 'unchanged' });
  });

  test('--force serves an unmarked partition as it stands; a contact in two files is a duplicate', async () => {
    await land(featureRows(5), { marker: false });
    await land(featureRows(6).slice(4), { file: 'part-1.csv', marker: false });
    const r = await scorePartition(deps({ maxBadFraction: 0.5 }), FOLDER, { force: true });
    expect(r).toMatchObject({ status: 'scored', contacts: 6, rowsRejected: 1 });
    expect((await e.lake.read('quarantine/scoring/2026/05/04/rejected-rows.csv')).toString()).toMatch(
      /part-1\.csv,2,c0000004,contact_id: duplicate within the partition/,
    );
  });

  test('files like the served ones are hashed first; one rewritten between that hash and the load is not served', async () => {
    const rows = ['a,2026-05-04,1,0,0,0,0,0,0.5', 'b,2026-05-04,2,0,0,0,0,0,0.5'];
    await land(rows);
    await scorePartition(deps(), FOLDER);
    // The same names and sizes again, new content: hashed before it is read, and it differs.
    await land(rows.map((r) => r.replace(',0.5', ',0.6')));
    const sneaky: Lake = Object.create(e.lake) as Lake;
    let reads = 0;
    sneaky.scan = async function* (p) {
      // The first read (the hash) sees one content, the second (the load) another.
      if (++reads === 2) await e.lake.write(p, `${FEATURES_HEADER}\n${rows.map((r) => r.replace(',0.5', ',0.7')).join('\n')}\n`);
      yield* e.lake.scan(p);
    };
    await expect(scorePartition(deps({ lake: sneaky }), FOLDER)).rejects.toThrow(/changed while it was being read/);
    expect(table(`SELECT mms_affinity FROM contact_features ORDER BY contact_id`).map((r) => r.mms_affinity)).toEqual([0.5, 0.5]);
    // Redelivered unchanged, the partition is recognised by that first hash: no row is read.
    await land(rows.map((r) => r.replace(',0.5', ',0.7')));
    await scorePartition(deps(), FOLDER);
    let loads = 0;
    const counting = Object.create(e.warehouse) as typeof e.warehouse;
    counting.openPopulationLoad = async (t) => (loads++, e.warehouse.openPopulationLoad(t));
    expect(await scorePartition(deps({ warehouse: counting }), FOLDER)).toMatchObject({ status: 'unchanged' });
    expect(loads).toBe(1); // opened only to check the served state under the lock, then rolled back
  });
});

describe('plain rows read from bytes and unusual rows read as text agree', () => {
  test('values: same numbers as Number(text); the same values are accepted and refused as everywhere else', async () => {
    // 17 significant digits, exponents, signs, "5." and ".5" are feature values; a padded value or
    // hex is not (the trainer refuses them too). A quoted or non-ASCII id goes through the text path.
    const odd = [
      'p0,2026-05-04,12,0.43528187799224071,-1.8405827302485704,0.743801222415641,0.48290468379855156,0.07366754091344774,0.75',
      'p1,2026-05-04,1e1,1.,-.5,+0.25,2.5e-1,0.000000000000000000001,1',
      'p2,2026-05-04,-0,0,0,0,0,0,0',
      '"p,5",2026-05-04,3,0.1,0.2,0.3,0.2,0.1,0.5',
      'pé6,2026-05-04,3,0.1,0.2,0.3,0.2,0.1,0.5',
      'p7,2026-05-04,60.000000000000001,1.0000000000000001,2,1,1,1,1',
    ];
    const bad = [
      'b0,2026-05-04,1e400,0,0,0,0,0,0.5',
      'b1,2026-05-04,Infinity,0,0,0,0,0,0.5',
      'b2,2026-05-04, 7 ,0.1,0.2,0.3,0.2,0.1,0.5',
      'b3,2026-05-04,0x10,0.1,0.2,0.3,0.2,0.1,0.5',
    ];
    const rows = [...featureRows(500), ...odd, ...bad];
    await land(rows);
    const r = await scorePartition(deps({ chunkRows: 1000 }), FOLDER);
    expect(r).toMatchObject({ status: 'scored', contacts: 500 + odd.length, rowsRejected: 4 });
    for (const line of [...odd, ...featureRows(500).slice(0, 5)]) {
      const f = splitCsvLine(line);
      const x = f.slice(2).map((v) => +v);
      const got = await e.warehouse.getLeadScore(f[0]!);
      expect(got?.leadScore).toBe(leadScore(W1, -0.3, x));
    }
    const q = (await e.lake.read('quarantine/scoring/2026/05/04/rejected-rows.csv')).toString();
    expect(q).toContain(`recency_days: '1e400' is not a finite number`);
    expect(q).toContain(`recency_days: 'Infinity' is not a finite number`);
    expect(q).toContain(`recency_days: ' 7 ' is not a finite number`);
    expect(q).toContain(`recency_days: '0x10' is not a finite number`);
  });
});
