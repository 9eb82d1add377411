/**
 * The lake: one ADLS Gen2 filesystem in Azure, a folder locally. Paths are POSIX-style and relative
 * to the lake root, e.g. `processed/features/2026/01/05/part-0.csv` (every path rule:
 * domain/lakeLayout.ts).
 */
export interface LakeEntry {
  path: string;
  size: number;
}

export interface Lake {
  /** Human-readable location for messages (a folder or an account URL). */
  readonly location: string;
  /**
   * Only a lake that is a local folder has it: the file's absolute path, once checked to be inside
   * the lake (for 'write', its folder is created), so that another thread may open it itself without
   * following a link (the ingest's events parsing thread reads, the export's thread writes its
   * temporary parts), its I/O not waiting on this thread's event loop.
   */
  localFile?(path: string, purpose: 'read' | 'write'): Promise<string>;
  /**
   * Writes a whole file atomically: a reader sees the previous content or the new one, never a part.
   * (temp + rename locally; create/append/flush with close: true on ADLS.)
   */
  write(path: string, data: string | Uint8Array): Promise<void>;
  /** Whole file; throws LakeNotFoundError when absent. */
  read(path: string): Promise<Buffer>;
  /** The file as a stream of chunks, for files too large to hold. */
  readStream(path: string): AsyncIterable<Buffer>;
  /**
   * The file read once, front to back, in chunks that may share memory: each chunk is valid only until
   * the next one is asked for. No garbage per chunk (a million-row partition is 125 MB of chunks).
   */
  scan(path: string): AsyncIterable<Buffer>;
  exists(path: string): Promise<boolean>;
  /** Files (not folders) under a folder, recursively, sorted by path. Empty when the folder is absent. */
  list(folder: string): Promise<LakeEntry[]>;
  /** Removes a file; absent is not an error. */
  delete(path: string): Promise<void>;
  /** Moves a file to another path (replacing what is there), atomically: it is at one path or the other. */
  rename(from: string, to: string): Promise<void>;
}

export class LakeNotFoundError extends Error {
  constructor(readonly path: string) {
    super(`lake path not found: ${path}`);
    this.name = 'LakeNotFoundError';
  }
}
