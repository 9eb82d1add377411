import { readdirSync, readFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';

export interface TsqlMigration {
  id: string;
  checksum: string;
  batches: string[];
}

/** Splits a T-SQL script on `GO` lines (the sqlcmd batch separator, which the server never sees). */
export function splitBatches(script: string): string[] {
  return script
    .split(/^[ \t]*GO[ \t]*(?:--[^\n]*)?$/gim)
    .map((b) => b.trim())
    .filter((b) => b.replace(/--[^\n]*/g, '').trim().length > 0);
}

/** infra/sql, found from here upwards so it works from the sources and from dist/. */
export function findSqlFolder(start: string = __dirname): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'infra', 'sql');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`infra/sql not found above ${start}`);
  }
}

/** The numbered migrations (NNN_name.sql) in order. */
export function loadTsqlMigrations(folder: string = findSqlFolder()): TsqlMigration[] {
  return readdirSync(folder)
    .filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((f) => {
      const text = readFileSync(path.join(folder, f), 'utf8');
      return { id: f.replace(/\.sql$/, ''), checksum: createHash('sha256').update(text).digest('hex'), batches: splitBatches(text) };
    });
}
