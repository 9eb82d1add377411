import { parseDrift, simulate } from '../../shared/simulate/simulate';
import { ingestRange } from '../../shared/pipeline/ingest';
import { collectLabelsRange } from '../../shared/pipeline/labels';
import { trainFromLake } from '../../shared/pipeline/trainFromLake';
import { indexRaw } from '../../shared/pipeline/raw';
import { tempLake } from '../ingest/helpers';

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

  test('writes the schemas of section 3, every record valid, PII only in CRM, every day complete', async () => {
    const t = tempLake();
    try {
      const sum = await simulate(t.lake, { contacts: 300, days: 14, start: '2026-01-01', seed: 1 });
      const index = await indexRaw(t.lake);
      expect(index.sortedDays).toHaveLength(14);
      expect(index.newestComplete).toBe('2026-01-14');
      const events: Record<string, string>[] = [];
      for (const e of await t.lake.list('raw')) {
        if (e.path.includes('/events-')) events.push(...(await t.lake.read(e.path)).toString().trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)));
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

  test('a model trained on the derived features reaches validation AUC ≥ 0.75', async () => {
    const t = tempLake();
    try {
      await simulate(t.lake, { contacts: 1500, days: 70, start: '2026-01-01', seed: 42 });
      await ingestRange(t.lake, '2026-01-02', '2026-03-11');
      await collectLabelsRange(t.lake, '2026-01-01', '2026-03-11', { windowDays: 7 });
      const run = await trainFromLake(t.lake, { asOf: '2026-03-11', trainDays: 120, validDays: 14 });
      expect(run.trainingSet.valid.n).toBeGreaterThan(2000);
      expect(run.result.metrics.auc_roc).toBeGreaterThanOrEqual(0.75);
    } finally {
      t.cleanup();
    }
  });
});
