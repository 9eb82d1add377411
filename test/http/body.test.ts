import * as fs from 'node:fs';
import * as path from 'node:path';
import { HttpRequest, InvocationContext, type HttpRequestInit, type HttpResponseInit } from '@azure/functions';
import { SqliteLedger } from '../../shared/adapters/ledger/sqlite';
import { BODIES, readJson } from '../../shared/http/body';
import type { Handler } from '../../shared/http/handler';
import { deployHandler, rollbackHandler, scoreContactHandler } from '../../shared/http/weights';
import type { Container } from '../../shared/app/container';
import { ALERT_FIELD_LIMITS, retrainRequestHandler, type RetrainMessage } from '../../shared/http/ops';
import { appOf, env, register, W1, W2, type Env } from '../support/fixtures';

/**
 * Issue 12, item 5: every body has a limit of its own (BODIES), refused with a 413 problem before it
 * is parsed: from content-length when the request declares one, otherwise as soon as the bytes read
 * pass the limit. The alert payload's strings are capped, so a run record stays small.
 */

const URL = 'http://localhost/api/x';

/** A body the request states (a string: the host's RPC path, enableHttpStream=false). */
function stringRequest(body: string, headers: Record<string, string> = {}, params: Record<string, string> = {}): HttpRequest {
  return new HttpRequest({ method: 'POST', url: URL, body: { string: body }, headers, params });
}

/**
 * A body that arrives as a stream with no content-length: `source` yields chunks on demand and counts
 * what it handed out. The HttpRequest wraps a fetch Request with that stream, which is how
 * @azure/functions builds requests when HTTP streaming is on (createStreamRequest).
 */
interface Source {
  pulled: number;
  cancelled: boolean;
  stream: ReadableStream<Uint8Array>;
}

function source(chunks: () => Generator<Uint8Array>): Source {
  const it = chunks();
  const s: Source = {
    pulled: 0,
    cancelled: false,
    stream: new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          const next = it.next();
          if (next.done) return controller.close();
          s.pulled += next.value.byteLength;
          controller.enqueue(next.value);
        },
        cancel() {
          s.cancelled = true;
        },
      },
      // Nothing is pulled until the reader asks, so `pulled` counts only what the handler read.
      { highWaterMark: 0 },
    ),
  };
  return s;
}

function streamRequest(src: Source, headers: Record<string, string> = {}, params: Record<string, string> = {}): HttpRequest {
  const nativeRequest = new Request(URL, { method: 'POST', body: src.stream, headers, duplex: 'half' });
  return new HttpRequest({ nativeRequest, params } as unknown as HttpRequestInit);
}

const enc = new TextEncoder();

/** `prefix`, then `filler` repeated without end, in 16 KiB chunks. */
function* endless(prefix: string, filler: string): Generator<Uint8Array> {
  yield enc.encode(prefix);
  const chunk = enc.encode(filler.repeat(Math.ceil(16_384 / filler.length)));
  for (;;) yield chunk;
}

function* chunked(text: string, size = 1000): Generator<Uint8Array> {
  const bytes = enc.encode(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** `json` padded with trailing spaces (valid JSON whitespace) to exactly `bytes` bytes. */
const padded = (json: string, bytes: number): string => json + ' '.repeat(bytes - Buffer.byteLength(json));

function problemOf(r: HttpResponseInit): { status: number; title: string; detail: string; errors?: { field: string; detail: string }[] } {
  expect(r.headers).toMatchObject({ 'content-type': 'application/problem+json' });
  return JSON.parse(String(r.body)) as { status: number; title: string; detail: string };
}

function expect413(r: HttpResponseInit, limit: number): void {
  expect(r.status).toBe(413);
  const p = problemOf(r);
  expect(p).toMatchObject({ status: 413, title: 'Content too large', errors: [{ field: 'body', detail: `is larger than ${limit} bytes` }] });
  expect(p.detail).toContain(`limited to ${limit} bytes`);
}

describe('the limits', () => {
  test('are the ones the issue asks for or larger only where a valid body needs it, and README lists them', () => {
    expect(Object.fromEntries(Object.entries(BODIES).map(([k, v]) => [k, v.limit]))).toEqual({
      score: 4096,
      deploy: 8192,
      rollback: 8192,
      challenger: 1024,
      retrain: 65536,
    });
    const readme = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
    const rows = Object.values(BODIES).map((b) => `| \`${b.route}\` | ${b.limit} bytes (${b.limit / 1024} KiB) |`);
    expect(rows.filter((row) => !readme.includes(row))).toEqual([]);
  });
});

describe('readJson', () => {
  const spec = { route: 'POST /api/test', limit: 100 };

  test('a content-length over the limit is refused before a byte is read', async () => {
    const src = source(() => endless('{"a":"', 'x'));
    await expect(readJson(streamRequest(src, { 'content-length': String(50 * 1024 * 1024) }), spec)).rejects.toMatchObject({
      name: 'PayloadTooLargeError',
      limit: 100,
    });
    expect(src.pulled).toBe(0);
  });

  test('without content-length, reading stops once past the limit and the stream is cancelled', async () => {
    const src = source(() => endless('{"a":"', 'x'));
    await expect(readJson(streamRequest(src), spec)).rejects.toMatchObject({ name: 'PayloadTooLargeError' });
    // The prefix and the chunk that went over: nothing after.
    expect(src.pulled).toBeLessThanOrEqual(6 + 16_384);
    await new Promise((r) => setImmediate(r));
    expect(src.cancelled).toBe(true);
  });

  test('a content-length that understates the body does not get it past the limit', async () => {
    const src = source(() => chunked(padded('{}', 101), 10));
    await expect(readJson(streamRequest(src, { 'content-length': '2' }), spec)).rejects.toMatchObject({ name: 'PayloadTooLargeError' });
    expect(src.pulled).toBe(101);
  });

  test('exactly the limit is read, in chunks or whole; one byte more is not', async () => {
    expect(await readJson(streamRequest(source(() => chunked(padded('{"a":"é"}', 100), 7))), spec)).toEqual({ a: 'é' });
    expect(await readJson(stringRequest(padded('{"a":1}', 100)), spec)).toEqual({ a: 1 });
    await expect(readJson(stringRequest(padded('{"a":1}', 101)), spec)).rejects.toMatchObject({ name: 'PayloadTooLargeError' });
    await expect(readJson(streamRequest(source(() => chunked(padded('{"a":1}', 101), 7))), spec)).rejects.toMatchObject({ name: 'PayloadTooLargeError' });
  });

  test('a multi-byte character split across chunks is read whole; bytes that are not UTF-8 are a 400', async () => {
    const src = source(function* () {
      yield new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3]);
      yield new Uint8Array([0xa9, 0x22, 0x7d]);
    });
    expect(await readJson(streamRequest(src), spec)).toEqual({ a: 'é' });
    const bad = source(function* () {
      yield new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]);
    });
    await expect(readJson(streamRequest(bad), spec)).rejects.toMatchObject({ name: 'BadRequestError', field: 'body', message: 'body: is not valid UTF-8' });
  });

  test('an empty body is {} unless the spec requires one; a malformed content-length is ignored', async () => {
    expect(await readJson(stringRequest(''), spec)).toEqual({});
    expect(await readJson(new HttpRequest({ method: 'POST', url: URL }), spec)).toEqual({});
    expect(await readJson(stringRequest('  '), BODIES.deploy)).toEqual({});
    await expect(readJson(stringRequest(' '), BODIES.retrain)).rejects.toMatchObject({ name: 'BadRequestError', field: 'body' });
    expect(await readJson(stringRequest('{"a":1}', { 'content-length': 'lots' }), spec)).toEqual({ a: 1 });
  });
});

describe('every endpoint refuses a body over its limit with 413, and changes nothing', () => {
  let e: Env;
  let app: Container;
  let ledger: SqliteLedger;
  let queued: RetrainMessage[];
  const ctx = (): InvocationContext => new InvocationContext({ functionName: 'test', logHandler: () => undefined });
  const get = async (): Promise<Container> => app;
  const state = async (): Promise<unknown> => ({
    versions: await e.warehouse.listVersions(),
    log: await e.warehouse.listDeployments(100),
    runs: await ledger.listRuns(100),
    queued: [...queued],
  });

  beforeEach(async () => {
    e = await env();
    app = await appOf(e, { ADMIN_AUTH: 'key' });
    ledger = e.ledger;
    queued = [];
    await register(e, W1, 0.1);
    await register(e, W2, 0.2);
    await deployHandler(get)(stringRequest('', {}, { version: '1' }), ctx());
  });
  afterEach(async () => e.close());

  const x0 = {
    recency_days: 3,
    fatigue_score: 0.2,
    sentiment_score: 1.5,
    engagement_rate_30d: 0.5,
    reply_rate_90d: 0.25,
    opt_out_risk: 0.1,
    mms_affinity: 0.6,
  };
  const endpoints: [keyof typeof BODIES, () => Handler, string, Record<string, string>, number][] = [
    ['score', () => scoreContactHandler(get), JSON.stringify({ contact_id: 'c1', features: x0 }), {}, 200],
    ['deploy', () => deployHandler(get), '{"reason":"weekly"}', { version: '2' }, 200],
    ['rollback', () => rollbackHandler(get), '{"toVersion":1,"reason":"x"}', {}, 409],
    ['retrain', () => retrainRequestHandler(get, (_c, m) => void queued.push(m)), '{"reason":"new campaign"}', {}, 202],
  ];

  test.each(endpoints)('%s: a body of exactly its limit is taken', async (name, handler, json, params, ok) => {
    const r = await handler()(stringRequest(padded(json, BODIES[name].limit), {}, params), ctx());
    expect(r.status).toBe(ok);
  });

  test.each(endpoints)('%s: one byte over → 413 naming the limit, as a string, a declared length or a stream', async (name, handler, json, params) => {
    const { limit } = BODIES[name];
    const before = await state();
    expect413(await handler()(stringRequest(padded(json, limit + 1), {}, params), ctx()), limit);
    const declared = source(() => endless(json, ' '));
    expect413(await handler()(streamRequest(declared, { 'content-length': String(limit + 1) }, params), ctx()), limit);
    expect(declared.pulled).toBe(0);
    const streamed = source(() => endless(json, ' '));
    expect413(await handler()(streamRequest(streamed, {}, params), ctx()), limit);
    expect(streamed.pulled).toBeLessThanOrEqual(limit + 16_384 + json.length);
    expect(await state()).toEqual(before);
  });

  test("a nested-array body without end (the issue's 50 MB one) is refused after reading at most the limit and a chunk", async () => {
    const src = source(() => endless('{"reason":"x","nested":', '['));
    const started = Date.now();
    const r = await endpoints[3]![1]()(streamRequest(src), ctx());
    expect413(r, BODIES.retrain.limit);
    expect(src.pulled).toBeLessThan(BODIES.retrain.limit + 2 * 16_384);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(queued).toEqual([]);
  });
});

describe('the alert payload: every string is capped, and a run record stays small', () => {
  let e: Env;
  let ledger: SqliteLedger;
  let queued: RetrainMessage[];
  const ctx = (): InvocationContext => new InvocationContext({ functionName: 'test', logHandler: () => undefined });
  const handler = () =>
    retrainRequestHandler(
      () => appOf(e, { ADMIN_AUTH: 'key' }),
      (_c, m) => void queued.push(m),
    );

  beforeEach(async () => {
    e = await env();
    ledger = e.ledger;
    queued = [];
  });
  afterEach(async () => e.close());

  const alert = (essentials: Record<string, unknown>, alertContext: unknown = { condition: { allOf: [] } }) => ({
    schemaId: 'azureMonitorCommonAlertSchema',
    data: {
      essentials: { alertRule: 'leadscore-psi-drift', monitorCondition: 'Fired', severity: 'Sev2', firedDateTime: '2026-11-23T03:05:00.000Z', ...essentials },
      alertContext,
    },
  });

  test.each(Object.entries(ALERT_FIELD_LIMITS))('%s over %i characters → 400 naming it, nothing recorded', async (field, max) => {
    const res = await handler()(stringRequest(JSON.stringify(alert({ [field]: 'x'.repeat(max + 1) }))), ctx());
    expect(res.status).toBe(400);
    expect(problemOf(res).errors!.map((x) => x.field)).toEqual([`body.data.essentials.${field}`]);
    expect(queued).toEqual([]);
    expect(await ledger.listRuns(10)).toEqual([]);
  });

  test("the issue's 1 MB alertRule is a 413 (the body is over 64 KiB), nothing recorded", async () => {
    const res = await handler()(stringRequest(JSON.stringify(alert({ alertRule: 'x'.repeat(1024 * 1024) }))), ctx());
    expect413(res, BODIES.retrain.limit);
    expect(await ledger.listRuns(10)).toEqual([]);
  });

  test('with every field at its cap and the body at its limit, the run record and the queue message stay under 1 KiB', async () => {
    const at = Object.fromEntries(Object.entries(ALERT_FIELD_LIMITS).map(([f, n]) => [f, 'é'.repeat(n)]));
    const json = JSON.stringify(alert(at, { filler: '' }));
    const body = json.replace('"filler":""', `"filler":"${'y'.repeat(BODIES.retrain.limit - Buffer.byteLength(json))}"`);
    expect(Buffer.byteLength(body)).toBe(BODIES.retrain.limit);
    const res = await handler()(stringRequest(body), ctx());
    expect(res.status).toBe(202);
    const run = await ledger.getRun((res.jsonBody as { runId: string }).runId);
    expect(run?.reason).toContain('é'.repeat(ALERT_FIELD_LIMITS.alertRule));
    // The tables ledger holds 64 KiB per string property and writes a record in 30,000-character
    // properties; a queue message holds 64 KiB (48 KiB before base64).
    expect(JSON.stringify(run).length).toBeLessThan(1024);
    expect(JSON.stringify(queued[0]).length).toBeLessThan(1024);
  });
});
