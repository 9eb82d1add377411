import { parseDrift, simulate } from '../../shared/simulate/simulate';
import { ingestRange } from '../../shared/app/ingest';
import { collectLabelsRange } from '../../shared/app/labels';
import { indexRaw } from '../../shared/app/rawFiles';
import { tempLake } from '../app/ingest/helpers';
import * as fs from 'node:fs';
import { buildTrainingSet } from '../../shared/app/trainingSet';
import { trainModel } from '../../shared/domain/model/train';
import { psi } from '../../shared/domain/model/psi';
import { addDays } from '../../shared/domain/calendar';
import { readFeaturesPartition } from '../../shared/app/partitions';
import { FEATURES } from '../../shared/domain/features/schema';
import { silentLog } from '../../shared/ports/log';

async function snapshot(lake: ReturnType<typeof tempLake>['lake']): Promise<string> {
  const parts: string[] = [];
  for (const e of await lake.list('raw')) parts.push(e.path, (await lake.read(e.path)).toString());
  return parts.join('\n');
}

describe('campaign simulator', () => {
  test('deterministic for a seed, different for another', async () => {
    const [a, b, c] = [tempLake(), tempLake(), tempLake()];
    try {
      await simulate(a.lake, { contacts: 200, days: 10, start: '2026-01-01', seed: 5 });
      await simulate(b.lake, { contacts: 200, days: 10, start: '2026-01-01', seed: 5 });
      await simulate(c.lake, { contacts: 200, days: 10, start: '2026-01-01', seed: 6 });
      const sa = await snapshot(a.lake);
      expect(sa).toBe(await snapshot(b.lake));
      expect(sa).not.toBe(await snapshot(c.lake));
    } finally {
      [a, b, c].forEach((t) => t.cleanup());
    }
  });

  test('writes the raw schemas of the lake layout, every record valid, PII only in CRM, every day complete', async () => {
    const t = tempLake();
    try {
      const sum = await simulate(t.lake, { contacts: 300, days: 14, start: '2026-01-01', seed: 1 });
      const index = await indexRaw(t.lake);
      expect(index.sortedDays).toHaveLength(14);
      expect(index.newestComplete).toBe('2026-01-14');
      const events: Record<string, string>[] = [];
      for (const e of await t.lake.list('raw')) {
        if (e.path.includes('/events-'))
          events.push(
            ...(await t.lake.read(e.path))
              .toString()
              .trim()
              .split('\n')
              .filter(Boolean)
              .map((l) => JSON.parse(l)),
          );
      }
      expect(Object.keys(events[0]!).sort()).toEqual(['campaign_id', 'channel', 'contact_id', 'event_id', 'send_id', 'ts', 'type']);
      expect(new Set(events.map((e) => e.type))).toEqual(new Set(['send', 'click', 'reply', 'opt_out']));
      expect(new Set(events.map((e) => e.channel))).toEqual(new Set(['sms', 'mms']));
      const crm = JSON.parse((await t.lake.read('raw/2026/01/01/crm-0000.jsonl')).toString().split('\n')[0]!);
      expect(Object.keys(crm).sort()).toEqual(['contact_id', 'name', 'opt_out_risk', 'phone', 'updated_at']);
      expect(sum.sentimentRecords).toBeGreaterThan(0);
      // Every record passes the raw validation: nothing to quarantine.
      const r = await ingestRange(t.lake, '2026-01-15', '2026-01-15');
      expect(r[0]?.rawRejected).toBe(0);
      expect(r[0]?.rows).toBeGreaterThan(250);
    } finally {
      t.cleanup();
    }
  });

  test('--drift parses feature:shift@date and refuses anything else', () => {
    expect(parseDrift('sentiment_score:-1.5@2026-03-01')).toEqual({ feature: 'sentiment_score', shift: -1.5, from: '2026-03-01' });
    expect(() => parseDrift('sentiment:1@2026-03-01')).toThrow(/unknown feature "sentiment"/);
    expect(() => parseDrift('opt_out_risk:0.2')).toThrow(/expected <feature>:<shift>@<YYYY-MM-DD>/);
  });

  test('--write-from continues a history: earlier days are byte-identical to a full run, later ones follow', async () => {
    const [full, cont, part] = [tempLake(), tempLake(), tempLake()];
    try {
      const drift = parseDrift('sentiment_score:-1@2026-01-16');
      const opts = { contacts: 150, days: 20, start: '2026-01-01', seed: 3, drift };
      await simulate(full.lake, opts);
      // The history as first written: fewer days and no drift yet; then 6 more days with the drift.
      await simulate(cont.lake, { contacts: 150, days: 14, start: '2026-01-01', seed: 3 });
      const sum = await simulate(cont.lake, { ...opts, writeFrom: '2026-01-15' });
      expect(sum.days).toBe(6);
      expect(await snapshot(cont.lake)).toBe(await snapshot(full.lake));
      // Only days from --write-from on are written.
      await simulate(part.lake, { ...opts, writeFrom: '2026-01-15' });
      const days = (await indexRaw(part.lake)).sortedDays;
      expect(days[0]).toBe('2026-01-15');
      expect(days).toHaveLength(6);
      for (const e of await part.lake.list('raw')) expect((await part.lake.read(e.path)).equals(await full.lake.read(e.path))).toBe(true);
      await expect(simulate(part.lake, { ...opts, writeFrom: '2025-12-31' })).rejects.toThrow(/--write-from/);
      await expect(simulate(part.lake, { ...opts, writeFrom: '2026-01-21' })).rejects.toThrow(/--write-from/);
    } finally {
      [full, cont, part].forEach((t) => t.cleanup());
    }
  });
});

describe('simulated history, 1,500 contacts × 45 days from 2026-01-05 (seed 7)', () => {
  const START = '2026-01-05';
  const LAST = addDays(START, 44);
  let t: ReturnType<typeof tempLake>;
  let result: Awaited<ReturnType<typeof trainModel>>;

  beforeAll(async () => {
    t = tempLake();
    await simulate(t.lake, { contacts: 1500, days: 45, start: START, seed: 7 });
    await ingestRange(t.lake, START, LAST);
    await collectLabelsRange(t.lake, START, LAST, { windowDays: 7, log: silentLog });
    const set = await buildTrainingSet(t.lake, { asOf: LAST, trainDays: 120, validDays: 14 });
    expect(set.valid.n).toBeGreaterThan(2000);
    result = await trainModel(set.train, set.valid);
  }, 120_000);
  afterAll(() => t?.cleanup());

  test('the fitted weights beat equal weights clearly (PR-AUC ≥ 1.15 × baseline) and reach validation AUC ≥ 0.75', () => {
    const m = result.metrics;
    expect(m.auc_roc).toBeGreaterThanOrEqual(0.75);
    expect(m.pr_auc).toBeGreaterThanOrEqual(1.15 * m.baseline.pr_auc);
    expect(m.auc_roc).toBeGreaterThan(m.baseline.auc_roc);
  });

  test.each([
    ['sentiment_score', -1],
    ['opt_out_risk', 0.3],
  ] as const)(
    '--drift %s:%d moves that feature: after 10 days its PSI against the training baseline is well above 0.2 (> 0.4)',
    async (feature, shift) => {
      const copy = tempLake();
      try {
        fs.cpSync(t.lake.root, copy.lake.root, { recursive: true });
        const from = addDays(LAST, 1);
        await simulate(copy.lake, { contacts: 1500, days: 59, start: START, seed: 7, drift: { feature, shift, from }, writeFrom: from });
        const date = addDays(from, 10);
        await ingestRange(copy.lake, date, date);
        const p = (await readFeaturesPartition(copy.lake, date))!;
        const j = FEATURES.indexOf(feature);
        const value = psi(
          result.artifact.psi_baseline[feature],
          p.contactIds.map((_, i) => p.x[i * FEATURES.length + j]!),
        );
        expect(value).toBeGreaterThan(0.4);
      } finally {
        copy.cleanup();
      }
    },
    120_000,
  );
});
