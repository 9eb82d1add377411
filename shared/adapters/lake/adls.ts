import { type AnonymousCredential, DataLakeFileSystemClient, type StoragePipelineOptions } from '@azure/storage-file-datalake';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { type Lake, type LakeEntry, LakeNotFoundError } from '../../ports/lake';

/** Appends are split so that no request body is larger than this (the service accepts up to 4000 MiB; smaller retries cheaper). */
const APPEND_CHUNK = 8 * 1024 * 1024;

function statusOf(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'statusCode' in err ? (err as { statusCode?: number }).statusCode : undefined;
}

/**
 * The lake on ADLS Gen2 (one filesystem), a thin mapping onto @azure/storage-file-datalake.
 * A write is create → append… → flush(close: true): the data becomes visible at the flush, which also
 * raises the single FlushWithClose event the blob trigger listens for.
 */
export class AdlsLake implements Lake {
  constructor(private readonly fs: DataLakeFileSystemClient) {}

  /** `accountUrl` is the DFS endpoint, e.g. https://<account>.dfs.core.windows.net. */
  static create(accountUrl: string, filesystem: string, credential?: TokenCredential | AnonymousCredential, options?: StoragePipelineOptions): AdlsLake {
    const url = `${accountUrl.replace(/\/+$/, '')}/${encodeURIComponent(filesystem)}`;
    return new AdlsLake(new DataLakeFileSystemClient(url, credential ?? new DefaultAzureCredential(), options));
  }

  get location(): string {
    return this.fs.url;
  }

  private file(path: string) {
    if (path.split('/').some((s) => s === '..' || s === '.')) throw new Error(`lake path escapes the lake root: ${path}`);
    return this.fs.getFileClient(path);
  }

  async write(path: string, data: string | Uint8Array): Promise<void> {
    const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const file = this.file(path);
    await file.create();
    for (let offset = 0; offset < body.length; offset += APPEND_CHUNK) {
      const chunk = body.subarray(offset, Math.min(body.length, offset + APPEND_CHUNK));
      await file.append(chunk, offset, chunk.length);
    }
    await file.flush(body.length, { close: true });
  }

  async read(path: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of this.readStream(path)) chunks.push(c);
    return Buffer.concat(chunks);
  }

  async *readStream(path: string): AsyncIterable<Buffer> {
    let body: NodeJS.ReadableStream | undefined;
    try {
      body = (await this.file(path).read()).readableStreamBody;
    } catch (err) {
      if (statusOf(err) === 404) throw new LakeNotFoundError(path);
      throw err;
    }
    if (!body) return;
    for await (const chunk of body) yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
  }

  /** The service's response chunks are fresh buffers: a scan is the stream itself. */
  scan(path: string): AsyncIterable<Buffer> {
    return this.readStream(path);
  }

  async exists(path: string): Promise<boolean> {
    return this.file(path).exists();
  }

  async list(folder: string): Promise<LakeEntry[]> {
    const out: LakeEntry[] = [];
    try {
      for await (const p of this.fs.listPaths({ path: folder.replace(/\/+$/, ''), recursive: true })) {
        if (p.isDirectory || !p.name) continue;
        out.push({ path: p.name, size: p.contentLength ?? 0 });
      }
    } catch (err) {
      if (statusOf(err) === 404) return [];
      throw err;
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async delete(path: string): Promise<void> {
    await this.file(path).deleteIfExists();
  }

  /** A rename on a hierarchical namespace is one atomic operation on the service. */
  async rename(from: string, to: string): Promise<void> {
    this.file(to);
    try {
      await this.file(from).move(to);
    } catch (err) {
      if (statusOf(err) === 404) throw new LakeNotFoundError(from);
      throw err;
    }
  }
}
