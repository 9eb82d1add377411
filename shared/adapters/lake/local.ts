import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { type Lake, type LakeEntry, LakeNotFoundError } from '../../ports/lake';

/** The lake as a local folder; atomic writes by temp file + rename in the same folder. */
export class LocalLake implements Lake {
  constructor(readonly root: string) {}

  get location(): string {
    return this.root;
  }

  get localRoot(): string {
    return this.root;
  }

  private resolve(p: string): string {
    const full = path.resolve(this.root, p);
    if (full !== this.root && !full.startsWith(this.root + path.sep)) {
      throw new Error(`lake path escapes the lake root: ${p}`);
    }
    return full;
  }

  async write(p: string, data: string | Uint8Array): Promise<void> {
    const full = this.resolve(p);
    await fs.mkdir(path.dirname(full), { recursive: true });
    const tmp = path.join(path.dirname(full), `.${path.basename(full)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await fs.writeFile(tmp, data);
      await fs.rename(tmp, full);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }

  async read(p: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.resolve(p));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new LakeNotFoundError(p);
      throw err;
    }
  }

  async *readStream(p: string): AsyncIterable<Buffer> {
    const full = this.resolve(p);
    if (!(await this.exists(p))) throw new LakeNotFoundError(p);
    for await (const chunk of createReadStream(full, { highWaterMark: 1 << 20 })) yield chunk as Buffer;
  }

  async *scan(p: string): AsyncIterable<Buffer> {
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(this.resolve(p), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new LakeNotFoundError(p);
      throw err;
    }
    try {
      // Two buffers in turn: the chunk yielded stays intact while the next is read into the other.
      const bufs = [Buffer.allocUnsafeSlow(1 << 20), Buffer.allocUnsafeSlow(1 << 20)];
      for (let k = 0, position = 0; ; k ^= 1) {
        const { bytesRead } = await fh.read(bufs[k]!, 0, 1 << 20, position);
        if (bytesRead === 0) return;
        position += bytesRead;
        yield bufs[k]!.subarray(0, bytesRead);
      }
    } finally {
      await fh.close();
    }
  }

  async exists(p: string): Promise<boolean> {
    try {
      return (await fs.stat(this.resolve(p))).isFile();
    } catch {
      return false;
    }
  }

  async list(folder: string): Promise<LakeEntry[]> {
    const base = this.resolve(folder);
    const out: LakeEntry[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return;
        throw err;
      }
      for (const e of entries) {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) await walk(full);
        else if (e.isFile() && !e.name.endsWith('.tmp')) {
          const st = await fs.stat(full);
          out.push({ path: path.relative(this.root, full).split(path.sep).join('/'), size: st.size });
        }
      }
    };
    await walk(base);
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async delete(p: string): Promise<void> {
    await fs.rm(this.resolve(p), { force: true });
  }

  async rename(from: string, to: string): Promise<void> {
    const target = this.resolve(to);
    await fs.mkdir(path.dirname(target), { recursive: true });
    try {
      await fs.rename(this.resolve(from), target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new LakeNotFoundError(from);
      throw err;
    }
  }
}
