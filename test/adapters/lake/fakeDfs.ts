import { Readable } from 'node:stream';
import type { StoragePipelineOptions } from '@azure/storage-file-datalake';

/**
 * An in-process stand-in for the ADLS Gen2 service, plugged into the SDK as its HttpClient: the SDK
 * builds, signs and parses real requests; this answers them from memory and records each one.
 * (Azurite does not serve the DFS endpoint.) It implements just the operations the adapter uses.
 */
export interface RecordedRequest {
  method: string;
  endpoint: 'dfs' | 'blob';
  path: string;
  query: Record<string, string>;
  bodyLength: number;
}

interface FakeFile {
  committed: Buffer;
  pending: { position: number; data: Buffer }[];
}

type Headers = Record<string, string>;
interface WebResourceLike {
  url: string;
  method: string;
  body?: unknown;
  headers: { get(name: string): string | undefined };
}

async function bodyBytes(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  const source = typeof body === 'function' ? (body as () => unknown)() : body;
  if (source instanceof Readable || (typeof source === 'object' && source !== null && Symbol.asyncIterator in source)) {
    const chunks: Buffer[] = [];
    for await (const c of source as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
    return Buffer.concat(chunks);
  }
  throw new Error(`fake DFS: unsupported request body ${typeof body}`);
}

export class FakeDfs {
  readonly files = new Map<string, FakeFile>();
  readonly requests: RecordedRequest[] = [];
  private etag = 0;

  constructor(readonly filesystem = 'lake') {}

  /** Options for DataLakeFileSystemClient / AdlsLake.create. */
  options(): StoragePipelineOptions {
    return { httpClient: { sendRequest: (req: WebResourceLike) => this.handle(req) } as never, retryOptions: { maxTries: 1 } };
  }

  private respond(req: WebResourceLike, status: number, headers: Headers = {}, body?: Buffer | string, stream = false) {
    const h: Headers = { 'x-ms-request-id': `r${this.requests.length}`, 'x-ms-version': '2025-01-05', date: new Date(0).toUTCString(), ...headers };
    if (status >= 400 && !h['x-ms-error-code']) h['x-ms-error-code'] = status === 404 ? 'PathNotFound' : 'Error';
    return {
      request: req,
      status,
      headers: { get: (n: string) => h[n.toLowerCase()], toJson: () => ({ ...h }) },
      bodyAsText: stream || body === undefined ? undefined : body.toString(),
      readableStreamBody: stream ? Readable.from([Buffer.from(body ?? '')]) : undefined,
    };
  }

  private async handle(req: WebResourceLike) {
    const url = new URL(req.url);
    const endpoint = url.hostname.includes('.blob.') ? 'blob' : 'dfs';
    const segments = decodeURIComponent(url.pathname).replace(/^\/+/, '').split('/');
    const fsName = segments.shift();
    const path = segments.join('/');
    const query = Object.fromEntries(url.searchParams.entries());
    const body = await bodyBytes(req.body);
    this.requests.push({ method: req.method, endpoint, path, query, bodyLength: body.length });
    if (fsName !== this.filesystem) return this.respond(req, 404, { 'x-ms-error-code': 'FilesystemNotFound' });
    const tag = () => `"0x${(++this.etag).toString(16)}"`;
    const last = new Date(0).toUTCString();

    const renameSource = req.headers.get('x-ms-rename-source');
    if (req.method === 'PUT' && renameSource) {
      // "/<filesystem>/<path>" (URL-encoded, optionally with a SAS query): the SDK's move().
      const from = decodeURIComponent(renameSource.split('?')[0]!).replace(/^\/+/, '').split('/').slice(1).join('/');
      const f = this.files.get(from);
      if (!f) return this.respond(req, 404, { 'x-ms-error-code': 'SourcePathNotFound' });
      this.files.delete(from);
      this.files.set(path, f);
      return this.respond(req, 201, { etag: tag(), 'last-modified': last, 'content-length': '0' });
    }
    if (req.method === 'PUT' && query.resource === 'file') {
      this.files.set(path, { committed: Buffer.alloc(0), pending: [] });
      return this.respond(req, 201, { etag: tag(), 'last-modified': last, 'content-length': '0' });
    }
    if (req.method === 'PATCH' && query.action === 'append') {
      const f = this.files.get(path);
      if (!f) return this.respond(req, 404);
      f.pending.push({ position: Number(query.position), data: body });
      return this.respond(req, 202, { 'content-length': '0' });
    }
    if (req.method === 'PATCH' && query.action === 'flush') {
      const f = this.files.get(path);
      if (!f) return this.respond(req, 404);
      const data = Buffer.concat([f.committed, ...f.pending.sort((a, b) => a.position - b.position).map((p) => p.data)]);
      if (data.length !== Number(query.position)) return this.respond(req, 400, { 'x-ms-error-code': 'InvalidFlushPosition' });
      f.committed = data;
      f.pending = [];
      return this.respond(req, 200, { etag: tag(), 'last-modified': last, 'content-length': '0' });
    }
    if ((req.method === 'GET' || req.method === 'HEAD') && path !== '') {
      const f = this.files.get(path);
      if (!f) return this.respond(req, 404, { 'x-ms-error-code': endpoint === 'blob' ? 'BlobNotFound' : 'PathNotFound' });
      const headers = {
        'content-length': String(f.committed.length),
        etag: '"0x1"',
        'last-modified': last,
        'x-ms-blob-type': 'BlockBlob',
        'content-type': 'application/octet-stream',
        'x-ms-resource-type': 'file',
      };
      return req.method === 'HEAD' ? this.respond(req, 200, headers) : this.respond(req, 200, headers, f.committed, true);
    }
    if (req.method === 'GET' && query.resource === 'filesystem') {
      const dir = (query.directory ?? '').replace(/\/+$/, '');
      const names = [...this.files.keys()].filter((p) => dir === '' || p.startsWith(`${dir}/`));
      if (dir !== '' && names.length === 0) return this.respond(req, 404);
      const paths = names.map((name) => ({
        name,
        contentLength: String(this.files.get(name)!.committed.length),
        isDirectory: 'false',
        etag: '0x1',
        lastModified: last,
      }));
      return this.respond(req, 200, { 'content-type': 'application/json' }, JSON.stringify({ paths }));
    }
    if (req.method === 'DELETE') {
      if (!this.files.delete(path)) return this.respond(req, 404);
      return this.respond(req, 200, {});
    }
    return this.respond(req, 400, { 'x-ms-error-code': 'UnsupportedByFake' });
  }
}
