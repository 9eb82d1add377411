import type { HttpRequest } from '@azure/functions';
import { BadRequestError, PayloadTooLargeError } from './problem';
import { WrittenNumber } from './schemas';

const KiB = 1024;

/** How one endpoint's body is read. */
export interface BodySpec {
  /** Method and route, for the 413's detail. */
  route: string;
  /** Most bytes of body read; a longer body is refused with 413 before it is parsed. */
  limit: number;
  /** When set, an empty body is a 400 with this detail; otherwise an empty body is `{}`. */
  required?: string;
  /** Fields whose JSON numbers come back as the WrittenNumber the client wrote (see schemas.ts). */
  writtenNumbers?: readonly string[];
}

/**
 * Every body the HTTP API reads, and its limit in bytes (UTF-8 as sent). Each limit holds the largest
 * body its schema accepts even with every non-ASCII character sent as a \uXXXX escape (6 bytes per
 * UTF-16 unit, what Python's json.dumps writes by default), plus room for whitespace:
 * - score: a contact_id of at most 64 characters and seven numbers, under 1 KiB written out;
 * - deploy, rollback: a reason of at most 1000 characters (the deployment log's NVARCHAR(1000)),
 *   up to 6000 bytes escaped, and a version;
 * - retrain: a manual reason (as above) or an Azure Monitor common-alert-schema payload, whose
 *   alertContext (the log search alert's condition, query and result links) is a few KB; 64 KiB is
 *   ten times that and still trivial to parse.
 * README.md's "Request bodies" table lists the same numbers (test/http/body.test.ts keeps them in step).
 */
export const BODIES = {
  score: { route: 'POST /api/score', limit: 4 * KiB },
  deploy: { route: 'POST /api/weights/{version}/deploy', limit: 8 * KiB },
  rollback: { route: 'POST /api/weights/rollback', limit: 8 * KiB, writtenNumbers: ['toVersion'] },
  challenger: { route: 'POST /api/weights/{version}/challenger', limit: KiB },
  retrain: {
    route: 'POST /api/retrain',
    limit: 64 * KiB,
    required: 'is empty: send { "reason": "…" } or an Azure Monitor common-alert-schema payload',
  },
} as const satisfies Record<string, BodySpec>;

/**
 * The body's bytes, at most `spec.limit` of them. A content-length over the limit is refused before
 * a byte is read; without one (a chunked or streamed body) reading stops, and the stream is
 * cancelled, as soon as the count passes the limit.
 */
async function readBytes(request: HttpRequest, spec: BodySpec): Promise<Uint8Array> {
  const declared = request.headers.get('content-length')?.trim();
  if (declared && /^[0-9]+$/.test(declared) && Number(declared) > spec.limit) throw new PayloadTooLargeError(spec.route, spec.limit);
  const body = request.body;
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = (await reader.read()) as { done: boolean; value?: unknown };
    if (done) break;
    if (!ArrayBuffer.isView(value)) throw new TypeError('the request body stream yielded something other than bytes');
    const chunk = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    size += chunk.byteLength;
    if (size > spec.limit) {
      // Not awaited: the answer does not depend on how the source winds down.
      reader.cancel(`the body is over ${spec.limit} bytes`).catch(() => undefined);
      throw new PayloadTooLargeError(spec.route, spec.limit);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/**
 * The one way a handler reads its body: bytes up to the endpoint's limit (413 beyond), UTF-8
 * (400 otherwise), then JSON (400 naming `body` otherwise). An empty body is `{}` unless the spec
 * requires one.
 */
export async function readJson(request: HttpRequest, spec: BodySpec): Promise<unknown> {
  const bytes = await readBytes(request, spec);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new BadRequestError('body', 'is not valid UTF-8');
  }
  if (text.trim().length === 0) {
    if (spec.required) throw new BadRequestError('body', spec.required);
    return {};
  }
  const written = spec.writtenNumbers ?? [];
  try {
    if (written.length === 0) return JSON.parse(text);
    return JSON.parse(text, (key: string, value: unknown, context?: { source?: string }) =>
      typeof value === 'number' && written.includes(key) ? new WrittenNumber(context?.source ?? String(value)) : value,
    );
  } catch {
    throw new BadRequestError('body', 'is not valid JSON');
  }
}
