import { parentPort } from 'node:worker_threads';
import { LocalLake } from '../adapters/lake/local';
import { EventsFileParser, type EventBatch, type EventsFile, type ParserReply, type ParserRequest } from './eventsReader';

/**
 * The events parsing thread of an ingest (started by openEventsReader in eventsParallel.ts). Each chunk
 * of the plan's events files is answered, in order, with its records and given back; a file's end
 * answers its last (unterminated) line. From a local lake folder this thread reads the files itself,
 * at most `maxAhead` batches ahead of the replay; otherwise the chunks arrive by message. A failure
 * is answered, not thrown, so the ingest reports it.
 */
const port = parentPort!;

function send(file: number, last: boolean, batch: EventBatch): void {
  port.postMessage({ file, last, batch } satisfies ParserReply, [batch.ints.buffer, batch.ts.buffer, batch.chunk.buffer, batch.tail.buffer] as ArrayBuffer[]);
}

function fail(file: number, err: unknown): void {
  port.postMessage({ file, error: `events parsing thread: ${err instanceof Error ? err.message : String(err)}` } satisfies ParserReply);
}

let ahead = 0;
let room: (() => void) | null = null;

async function readPlan(root: string, files: EventsFile[], maxAhead: number): Promise<void> {
  const lake = new LocalLake(root);
  for (let k = 0; k < files.length; k++) {
    const f = files[k]!;
    try {
      const parser = new EventsFileParser(f.path, f.day);
      for await (const chunk of lake.readStream(f.path)) {
        while (ahead >= maxAhead) await new Promise<void>((resolve) => (room = resolve));
        ahead++;
        send(k, false, parser.push(chunk));
      }
      ahead++;
      send(k, true, parser.end());
    } catch (err) {
      fail(k, err);
      return;
    }
  }
}

let current: { file: number; parser: EventsFileParser } | null = null;

port.on('message', (m: ParserRequest) => {
  if (m.op === 'read') {
    void readPlan(m.root, m.files, m.maxAhead);
    return;
  }
  if (m.op === 'consumed') {
    ahead--;
    const r = room;
    room = null;
    r?.();
    return;
  }
  try {
    if (current?.file !== m.file) current = { file: m.file, parser: new EventsFileParser(m.path, m.day) };
    const batch = m.op === 'chunk' ? current.parser.push(Buffer.from(m.chunk.buffer, m.chunk.byteOffset, m.chunk.byteLength)) : current.parser.end();
    if (m.op === 'end') current = null;
    send(m.file, m.op === 'end', batch);
  } catch (err) {
    fail(m.file, err);
  }
});
