import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkMetric, stringProperties, type EventProperties, type Telemetry, type TelemetryEvent, type TelemetryMetric } from '../../ports/telemetry';

/** One JSON object per line, as App Insights would store them: `{ time, type, name, properties | value + dimensions }`. */
export type TelemetryLine =
  | { time: string; type: 'event'; name: TelemetryEvent; properties: Record<string, string> }
  | { time: string; type: 'metric'; name: TelemetryMetric; value: number; dimensions: Record<string, string> };

/**
 * Local telemetry: appends to `$LEADSCORE_HOME/telemetry.jsonl`. Lines are buffered and written by
 * flush() in one append, so a crash loses at most the current step's lines, never half a line.
 */
export class JsonlTelemetry implements Telemetry {
  private buffer: string[] = [];

  constructor(
    private readonly file: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  trackEvent(name: TelemetryEvent, properties?: EventProperties): void {
    this.push({ time: this.now().toISOString(), type: 'event', name, properties: stringProperties(properties) });
  }

  trackMetric(name: TelemetryMetric, value: number, dimensions: Record<string, string> = {}): void {
    checkMetric(name, value, dimensions);
    this.push({ time: this.now().toISOString(), type: 'metric', name, value, dimensions: { ...dimensions } });
  }

  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const text = this.buffer.join('');
    this.buffer = [];
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
    await fs.promises.appendFile(this.file, text, 'utf8');
  }

  private push(line: TelemetryLine): void {
    this.buffer.push(`${JSON.stringify(line)}\n`);
  }
}

/** Reads the file back (status and the CLI summary use it in place of Log Analytics). */
export async function readTelemetry(file: string): Promise<TelemetryLine[]> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as TelemetryLine);
}
