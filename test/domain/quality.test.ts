import { validateFeatures, validateLabels, type ValidationReport } from '../../shared/domain/quality';
import { writePartition, readFeaturesPartition } from '../../shared/app/partitions';
import { partitionPath, rejectedReportPath, reportPath } from '../../shared/domain/lakeLayout';
import { DataQualityError } from '../../shared/domain/quality';
import { tempLake } from '../app/ingest/helpers';

const HEADER = 'contact_id,as_of,recency_days,fatigue_score,sentiment_score,engagement_rate_30d,reply_rate_90d,opt_out_risk,mms_affinity\n';
const GOOD = HEADER + 'c1,2026-03-01,3,0.1,0.5,0.2,0.1,0.3,0.5\nc2,2026-03-01,60,0,0,0,0,0.25,0.5\n';
const gate = (csv: string, prev?: number) => validateFeatures(csv, '2026-03-01', 'p.csv', { previousRows: prev ?? null });
const failed = (r: ValidationReport) => r.checks.filter((c) => !c.ok).map((c) => c.name);

describe('data-quality gate', () => {
  test('a good partition passes every check', () => {
    const r = gate(GOOD, 2);
    expect(r.ok).toBe(true);
    expect(failed(r)).toEqual([]);
    expect(r.rows).toBe(2);
  });

  test('columns in any order are read by name, as every reader of a features file reads them', () => {
    const swapped =
      'contact_id,as_of,recency_days,sentiment_score,fatigue_score,engagement_rate_30d,reply_rate_90d,opt_out_risk,mms_affinity\nc1,2026-03-01,3,1.5,0.1,0.2,0.1,0.3,0.5\n';
    expect(gate(swapped).ok).toBe(true);
    // 1.5 is read as sentiment (in range); as fatigue it would be out of [0, 1].
    expect(
      gate(swapped.replace(',1.5,0.1,', ',0.1,1.5,'))
        .checks.find((c) => c.name === 'ranges')!
        .examples.join(),
    ).toMatch(/fatigue_score: 1.5 outside/);
  });

  test.each([
    [
      'column twice',
      GOOD.replace('mms_affinity', 'mms_affinity,recency_days').replaceAll(',0.5\n', ',0.5,1\n'),
      'schema',
      /header has column\(s\) recency_days more than once/,
    ],
    ['column missing from the header', GOOD.replace(',mms_affinity', ''), 'schema', /header lacks column\(s\) mms_affinity/],
    ['hex or padded values', GOOD.replace(',3,0.1', ',0x3,0.1').replace(',60,0,', ', 60,0,'), 'types', /"0x3" is not a number[\s\S]*" 60" is not a number/],
    ['missing column', HEADER + 'c1,2026-03-01,3,0.1,0.5,0.2,0.1,0.3\n', 'schema', /row 1: 8 columns, expected 9/],
    ['non-numeric value', GOOD.replace('0.3,0.5', 'high,0.5'), 'types', /row 1, column opt_out_risk: "high" is not a number/],
    ['fractional recency', GOOD.replace(',3,0.1', ',3.5,0.1'), 'types', /recency_days: 3.5 is not a whole number/],
    ['wrong as_of', GOOD.replace('c1,2026-03-01', 'c1,2026-02-28'), 'types', /as_of: 2026-02-28, expected 2026-03-01/],
    ['out of range', GOOD.replace(',60,0,', ',61,0,'), 'ranges', /row 2, column recency_days: 61 outside \[0, 60\]/],
    ['sentiment out of range', GOOD.replace('0.1,0.5,0.2', '0.1,-2.5,0.2'), 'ranges', /sentiment_score: -2.5 outside \[-2, 2\]/],
    ['null value', GOOD.replace('0.1,0.5,0.2', '0.1,,0.2'), 'nulls', /row 1, column sentiment_score: empty/],
    ['null contact', GOOD.replace('c2,', ','), 'nulls', /row 2, column contact_id: empty/],
    ['duplicate contact', GOOD.replace('c2,', 'c1,'), 'duplicates', /row 2: contact c1 appears more than once/],
  ])('rejects %s', (_what, csv, check, message) => {
    const r = gate(csv);
    expect(r.ok).toBe(false);
    const c = r.checks.find((x) => x.name === check)!;
    expect(c.ok).toBe(false);
    expect(c.examples.join('\n')).toMatch(message);
  });

  test('a row count far from the previous partition is a warning, not a failure', () => {
    const r = gate(GOOD, 10);
    expect(r.ok).toBe(true);
    const c = r.checks.find((x) => x.name === 'row_count')!;
    expect([c.ok, c.severity]).toEqual([false, 'warning']);
    expect(c.examples[0]).toMatch(/2 rows against 10/);
  });

  test('labels: label must be 0/1, channel sms/mms, sent_at on the day, send ids unique', () => {
    const h = 'send_id,contact_id,campaign_id,channel,sent_at,label,labeled_at\n';
    const ok = h + 's1,c1,k,sms,2026-03-01T09:00:00Z,1,2026-03-08T09:00:00Z\n';
    expect(validateLabels(ok, '2026-03-01', 'l.csv').ok).toBe(true);
    const bad = h + 's1,c1,k,fax,2026-03-02T09:00:00Z,2,2026-03-08T09:00:00Z\ns1,c1,k,sms,2026-03-01T09:00:00Z,1,2026-03-08T09:00:00Z\n';
    const r = validateLabels(bad, '2026-03-01', 'l.csv');
    expect(failed(r).sort()).toEqual(['duplicates', 'ranges', 'types']);
  });

  test('a rejected partition leaves the lake partition as it was and records its report in quarantine', async () => {
    const t = tempLake();
    try {
      await writePartition(t.lake, 'features', '2026-03-01', GOOD, {});
      const before = await t.lake.read(partitionPath('features', '2026-03-01'));
      const beforeReport = await t.lake.read(reportPath('features', '2026-03-01'));
      await expect(writePartition(t.lake, 'features', '2026-03-01', GOOD.replace(',60,0,', ',61,0,'), {})).rejects.toThrow(DataQualityError);
      await expect(writePartition(t.lake, 'features', '2026-03-01', GOOD.replace(',60,0,', ',61,0,'), {})).rejects.toThrow(/recency_days: 61 outside/);
      expect((await t.lake.read(partitionPath('features', '2026-03-01'))).equals(before)).toBe(true);
      expect((await t.lake.read(reportPath('features', '2026-03-01'))).equals(beforeReport)).toBe(true);
      const q = JSON.parse((await t.lake.read(rejectedReportPath('features', '2026-03-01'))).toString()) as ValidationReport;
      expect(q.ok).toBe(false);
      // On read the gate runs again: a partition edited by hand is caught.
      await t.lake.write(partitionPath('features', '2026-03-01'), GOOD.replace('c2,', 'c1,'));
      const read = await readFeaturesPartition(t.lake, '2026-03-01');
      expect(read?.report.ok).toBe(false);
    } finally {
      t.cleanup();
    }
  });
});
