import * as fs from 'node:fs';
import * as path from 'node:path';

let cached: string | undefined;

/**
 * The code version recorded with every run: LEADSCORE_CODE_VERSION when the build sets it (a commit
 * id in CI/CD), else the package version found by walking up from this file.
 */
export function codeVersion(): string {
  if (cached) return cached;
  if (process.env.LEADSCORE_CODE_VERSION) return (cached = process.env.LEADSCORE_CODE_VERSION);
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      return (cached = `${pkg.name ?? 'leadscore'}@${pkg.version ?? '0.0.0'}`);
    }
    if (path.dirname(dir) === dir) return (cached = 'leadscore@unknown');
  }
}
