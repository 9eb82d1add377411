import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { JsonlTelemetry, readTelemetry } from '../../../shared/adapters/telemetry/jsonl';

describe('JsonlTelemetry', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'telemetry-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes one JSON object per line on flush, appending across instances', async () => {
    const file = path.join(dir, 'home', 'telemetry.jsonl');
    const at = new Date('2025-06-01T03:00:00.000Z');
    const t = new JsonlTelemetry(file, () => at);
    t.trackEvent('PartitionScored', { path: 'processed/features/2025/06/01/a.csv', rows: 4999, skipped: undefined });
    t.trackMetric('psi', 0.25, { feature: 'recency_days' });
    expect(fs.existsSync(file)).toBe(false); // nothing is written before flush
    await t.flush();
    await t.flush(); // an empty flush adds nothing
    const second = new JsonlTelemetry(file, () => at);
    second.trackMetric('rows_rejected', 1);
    await second.flush();

    expect(fs.readFileSync(file, 'utf8').split('\n')).toEqual([
      '{"time":"2025-06-01T03:00:00.000Z","type":"event","name":"PartitionScored","properties":{"path":"processed/features/2025/06/01/a.csv","rows":"4999"}}',
      '{"time":"2025-06-01T03:00:00.000Z","type":"metric","name":"psi","value":0.25,"dimensions":{"feature":"recency_days"}}',
      '{"time":"2025-06-01T03:00:00.000Z","type":"metric","name":"rows_rejected","value":1,"dimensions":{}}',
      '',
    ]);
    expect((await readTelemetry(file)).map((l) => l.name)).toEqual(['PartitionScored', 'psi', 'rows_rejected']);
  });

  it('reads a missing file as no telemetry', async () => {
    expect(await readTelemetry(path.join(dir, 'none.jsonl'))).toEqual([]);
  });

  it('refuses a psi metric without its feature and a non-finite value', () => {
    const t = new JsonlTelemetry(path.join(dir, 't.jsonl'));
    expect(() => t.trackMetric('psi', 0.1)).toThrow(/dimension "feature"/);
    expect(() => t.trackMetric('rows_scored', Infinity)).toThrow(/finite/);
  });
});
