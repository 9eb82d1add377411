import { constants as fsConstants } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { type Lake, type LakeEntry, LakeNotFoundError } from '../../ports/lake';

function clip(p: string): string {
  return p.length > 200 ? `${p.slice(0, 200)}…` : p;
}

/**
 * The lake as a local folder; atomic writes by temp file + rename in the same folder. Nothing outside
 * the folder is ever read or written through it: a path is refused when its text leaves the root,
 * when a folder on the way is a symbolic link that leads out, and a file is opened without following
 * a link (so a link to /etc/passwd is never read, and nothing of its content reaches an error).
 */
export class LocalLake implements Lake {
  private realRootPromise: Promise<string> | undefined;

  constructor(readonly root: string) {}

  get location(): string {
    return this.root;
  }

  async localFile(p: string, purpose: 'read' | 'write'): Promise<string> {
    const full = await this.safe(p);
    if (purpose === 'write') await fs.mkdir(path.dirname(full), { recursive: true });
    return full;
  }

  private resolve(p: string): string {
    const full = path.resolve(this.root, p);
    if (full !== this.root && !full.startsWith(this.root + path.sep)) {
      throw new Error(`lake path escapes the lake root: ${clip(p)}`);
    }
    return full;
  }

  private realRoot(): Promise<string> {
    this.realRootPromise ??= fs.mkdir(this.root, { recursive: true }).then(() => fs.realpath(this.root));
    return this.realRootPromise;
  }

  /**
   * The path, once the deepest folder of it that exists is known to be, really (links resolved),
   * inside the lake. The file itself is opened with O_NOFOLLOW or replaced by rename, never followed.
   */
  private async safe(p: string, folder = false): Promise<string> {
    const full = this.resolve(p);
    const root = await this.realRoot();
    for (let dir = folder ? full : path.dirname(full); ; dir = path.dirname(dir)) {
      let real: string;
      try {
        real = await fs.realpath(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' && dir.length > this.root.length) continue;
        throw err;
      }
      if (real !== root && !real.startsWith(root + path.sep)) throw new Error(`lake path ${clip(p)} leads outside the lake through a symbolic link: refused`);
      return full;
    }
  }

  /** Opens a file for reading without following a link; a link or a missing file is LakeNotFoundError. */
  private async open(p: string): Promise<fs.FileHandle> {
    const full = await this.safe(p);
    try {
      return await fs.open(full, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new LakeNotFoundError(p);
      if (code === 'ELOOP') throw new Error(`lake path ${clip(p)} is a symbolic link: refused`);
      throw err;
    }
  }

  async write(p: string, data: string | Uint8Array): Promise<void> {
    const full = await this.safe(p);
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
    const fh = await this.open(p);
    try {
      return await fh.readFile();
    } finally {
      await fh.close();
    }
  }

  async *readStream(p: string): AsyncIterable<Buffer> {
    const fh = await this.open(p);
    // The stream closes the handle when it ends or is destroyed.
    for await (const chunk of fh.createReadStream({ highWaterMark: 1 << 20 })) yield chunk as Buffer;
  }

  async *scan(p: string): AsyncIterable<Buffer> {
    const fh = await this.open(p);
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

  /** A file, not a link to one (links are never followed). */
  async exists(p: string): Promise<boolean> {
    try {
      return (await fs.lstat(await this.safe(p))).isFile();
    } catch {
      return false;
    }
  }

  /** Files only: a symbolic link (to a file or a folder) is neither listed nor followed. */
  async list(folder: string): Promise<LakeEntry[]> {
    const base = await this.safe(folder, true);
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
          const st = await fs.lstat(full);
          out.push({ path: path.relative(this.root, full).split(path.sep).join('/'), size: st.size });
        }
      }
    };
    await walk(base);
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async delete(p: string): Promise<void> {
    // rm removes a link itself, never what it points to.
    await fs.rm(await this.safe(p), { force: true });
  }

  async rename(from: string, to: string): Promise<void> {
    const target = await this.safe(to);
    const source = await this.safe(from);
    await fs.mkdir(path.dirname(target), { recursive: true });
    try {
      await fs.rename(source, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new LakeNotFoundError(from);
      throw err;
    }
  }
}
