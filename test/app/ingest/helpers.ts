import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LocalLake } from '../../../shared/adapters/lake/local';

export function tempLake(): { lake: LocalLake; cleanup: () => void } {
  const root = mkdtempSync(path.join(tmpdir(), 'leadscore-lake-'));
  return { lake: new LocalLake(root), cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export const ev = (o: { id: string; c: string; type: string; ts: string; send?: string; ch?: string; cmp?: string }): string =>
  JSON.stringify({
    event_id: o.id,
    contact_id: o.c,
    campaign_id: o.cmp ?? 'cmp-1',
    channel: o.ch ?? 'sms',
    type: o.type,
    ts: o.ts,
    send_id: o.send ?? (o.type === 'send' ? o.id : undefined),
  });

/** Writes one raw day: lines per kind, and the completion marker unless told otherwise. */
export async function rawDay(lake: LocalLake, day: string, files: { events?: string[]; sentiment?: string[]; crm?: string[] }, complete = true): Promise<void> {
  const folder = `raw/${day.replaceAll('-', '/')}`;
  for (const kind of ['events', 'sentiment', 'crm'] as const) {
    const lines = files[kind];
    if (lines) await lake.write(`${folder}/${kind}-0000.jsonl`, lines.map((l) => l + '\n').join(''));
  }
  if (complete) await lake.write(`${folder}/_SUCCESS`, '');
}
