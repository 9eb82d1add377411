import { featuresCsv, featuresTable } from '../../../shared/app/ingest';
import { parseCsv } from '../../../shared/domain/csv';
import { validateFeatures } from '../../../shared/domain/quality';

/**
 * Ingestion gates the partition it has just formatted from its own cells instead of parsing the text
 * back: that is only the same gate if the cells are exactly what parseCsv makes of the text.
 */
describe('featuresTable', () => {
  const rows = [
    { contact_id: 'c1', values: [3, 1 - Math.exp(-2 / 7), -0.25, 1 / 3, 0, 0.3, 2 / 3] },
    { contact_id: 'c"2,x', values: [60, 0, -0, 1e-13, 1, 0.5, 0.5] },
    { contact_id: 'line\nbreak\r', values: [0, 1 - Math.exp(-2 / 7), 2, 0, 0, 0.3, 1 / 3] },
    { contact_id: ' spaced ', values: [61, 1.5, 0.1 + 0.2, -1e-7, 1 / 3, -0.1, 2 / 3] },
    { contact_id: 'c1', values: [1.5, 0, 0, 0, 0, 0.3, 0.5] },
  ];

  test('its cells are what parseCsv reads back from its text, and the text is featuresCsv', () => {
    const { csv, table } = featuresTable('2026-03-01', rows);
    expect(table).toEqual(parseCsv(csv));
    expect(csv).toBe(featuresCsv('2026-03-01', rows));
  });

  test('the gate gives the same report from the cells as from parsing the text', () => {
    const { csv, table } = featuresTable('2026-03-01', rows);
    const parsed = validateFeatures(csv, '2026-03-01', 'p.csv', { previousRows: 4 });
    expect(parsed.ok).toBe(false); // duplicate, out-of-range and non-integer cells above
    expect(JSON.stringify(validateFeatures(csv, '2026-03-01', 'p.csv', { previousRows: 4 }, table))).toBe(JSON.stringify(parsed));
  });
});
