import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Lake } from '../../shared/ports/lake';
import { simulate } from '../../shared/simulate/simulate';
import { FeatureAccumulator } from '../../shared/fast/featureAccumulator';
import { RejectLog } from '../../shared/domain/raw';
import { openEventsReader, type EventsFile } from '../../shared/fast/eventsReader';
import { ev, tempLake } from '../app/ingest/helpers';

/**
 * The events files read on the parsing thread give exactly what one thread gives: the same features,
 * counts and quarantined lines, whether that thread reads the lake folder itself or is sent the chunks
 * (any lake that is not a local folder), and whatever the chunk boundaries cut.
 */
const WORKER = path.resolve(__dirname, '../../dist/shared/fast/eventsThread.js');

/** The lake without its local folder (so the chunks come from this thread), in chunks of `size` bytes. */
function chunked(lake: Lake, size: number): Lake {
  return {
    location: lake.location,
    write: (p, d) => lake.write(p, d),
    read: (p) => lake.read(p),
    exists: (p) => lake.exists(p),
    list: (f) => lake.list(f),
    delete: (p) => lake.delete(p),
    rename: (a, b) => lake.rename(a, b),
    scan: (p) => lake.scan(p),
    async *readStream(p) {
      const all = await lake.read(p);
      for (let i = 0; i < all.length; i += size) yield Buffer.from(all.subarray(i, i + size));
    },
  };
}

async function accumulate(lake: Lake, files: EventsFile[], options: Parameters<typeof openEventsReader>[2]): Promise<unknown> {
  const reader = openEventsReader(lake, files, options);
  const acc = new FeatureAccumulator('2026-01-13');
  const rejects = new RejectLog();
  const counts: number[] = [];
  try {
    for (const f of files) {
      acc.beginDay(f.day);
      counts.push(await reader.readInto(f, acc, rejects));
      acc.endDay();
    }
  } finally {
    await reader.close();
  }
  return { result: acc.finish(), counts, rejects: [...rejects.bySource.entries()], byReason: rejects.counts };
}

describe('events parsed on a second thread', () => {
  const t = tempLake();
  let files: EventsFile[] = [];

  beforeAll(async () => {
    if (!existsSync(WORKER)) throw new Error(`${WORKER} is missing: run npm run build first (npm test does)`);
    await simulate(t.lake, { contacts: 400, days: 12, start: '2026-01-01', seed: 3 });
    // Lines the fast path declines, a CRLF line, an empty line and an unterminated last line.
    const odd = [
      ev({ id: 'x1', c: 'c\\u00e9', type: 'send', ts: '2026-01-05T10:00:00Z' }).replace('c\\\\u00e9', 'c\\u00e9'),
      '{"event_id":"x2","contact_id":"c0000001","type":"send"',
      ev({ id: 'x3', c: 'c0000002', type: 'bogus', ts: '2026-01-05T10:00:00Z' }),
      `${ev({ id: 'x4', c: 'c0000003', type: 'send', ts: '2026-01-05T11:00:00Z' })}\r`,
      '',
      ev({ id: 'x5', c: 'c0000004', type: 'click', ts: '2026-01-06T01:00:00Z', send: 'x4' }),
      ev({ id: 'x6', c: 'c0000005', type: 'send', ts: '2026-01-05T12:00:00.5Z', send: 'long'.repeat(80) }),
    ];
    const f = 'raw/2026/01/05/events-0000.jsonl';
    await t.lake.write(f, `${(await t.lake.read(f)).toString()}${odd.join('\n')}`);
    files = (await t.lake.list('raw'))
      .filter((e) => e.path.includes('/events-'))
      .map((e) => ({ path: e.path, day: e.path.slice(4, 14).replaceAll('/', '-') }))
      .sort((a, b) => (a.day < b.day ? 1 : -1));
  });
  afterAll(() => t.cleanup());

  test('the parsing thread reading the lake folder itself', async () => {
    const one = await accumulate(t.lake, files, { thread: false });
    expect(await accumulate(t.lake, files, { thread: true, script: WORKER })).toEqual(one);
    expect((one as { rejects: unknown[] }).rejects.length).toBeGreaterThan(0);
  });

  test.each([13, 151, 4096])('chunks of %i bytes sent by this thread', async (size) => {
    const one = await accumulate(t.lake, files, { thread: false });
    expect(await accumulate(chunked(t.lake, size), files, { thread: true, script: WORKER })).toEqual(one);
    expect(await accumulate(chunked(t.lake, size), files, { thread: false })).toEqual(one);
  });

  test('files read out of plan order are an error, not a misread', async () => {
    const reader = openEventsReader(t.lake, files, { thread: true, script: WORKER });
    try {
      await expect(reader.readInto(files[1]!, new FeatureAccumulator('2026-01-13'), new RejectLog())).rejects.toThrow(/out of plan order/);
    } finally {
      await reader.close();
    }
  });

  test('a file that cannot be read fails the read of that file', async () => {
    const missing = [...files.slice(0, 1), { path: 'raw/2026/01/10/events-9999.jsonl', day: files[1]!.day }];
    const reader = openEventsReader(t.lake, missing, { thread: true, script: WORKER });
    const acc = new FeatureAccumulator('2026-01-13');
    try {
      acc.beginDay(missing[0]!.day);
      await reader.readInto(missing[0]!, acc, new RejectLog());
      acc.endDay();
      acc.beginDay(missing[1]!.day);
      await expect(reader.readInto(missing[1]!, acc, new RejectLog())).rejects.toThrow(/events-9999/);
    } finally {
      await reader.close();
    }
  });
});
