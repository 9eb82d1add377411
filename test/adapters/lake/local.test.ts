import { mkdtempSync, writeFileSync, symlinkSync, mkdirSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LocalLake } from '../../../shared/adapters/lake/local';
import { lakeContract } from './contract';

lakeContract('local folder', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'leadscore-contract-'));
  return { lake: new LocalLake(root), cleanup: () => rmSync(root, { recursive: true, force: true }) };
});

describe('the local lake never leaves its folder', () => {
  test('a link inside the lake to a file or a folder outside it is not listed, read, scanned or written through', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lake-links-'));
    try {
      const outside = path.join(dir, 'outside');
      mkdirSync(outside);
      writeFileSync(path.join(outside, 'secret.csv'), 'root:x:0:0:secret\n');
      const lake = new LocalLake(path.join(dir, 'lake'));
      await lake.write('processed/features/2026/05/04/part-0.csv', 'contact_id\n');
      symlinkSync(path.join(outside, 'secret.csv'), path.join(dir, 'lake/processed/features/2026/05/04/link.csv'));
      symlinkSync(outside, path.join(dir, 'lake/processed/features/2026/05/05'));
      expect((await lake.list('processed')).map((e) => e.path)).toEqual(['processed/features/2026/05/04/part-0.csv']);
      expect(await lake.exists('processed/features/2026/05/04/link.csv')).toBe(false);
      const refused = async (f: () => Promise<unknown>): Promise<string> => {
        try {
          await f();
        } catch (err) {
          return (err as Error).message;
        }
        return 'not refused';
      };
      for (const m of [
        await refused(() => lake.read('processed/features/2026/05/04/link.csv')),
        await refused(async () => {
          for await (const c of lake.scan('processed/features/2026/05/04/link.csv')) void c;
        }),
        await refused(async () => {
          for await (const c of lake.readStream('processed/features/2026/05/04/link.csv')) void c;
        }),
        await refused(() => lake.read('processed/features/2026/05/05/secret.csv')),
        await refused(() => lake.write('processed/features/2026/05/05/new.csv', 'x')),
        await refused(() => lake.list('processed/features/2026/05/05')),
        await refused(() => lake.read('../outside/secret.csv')),
      ]) {
        expect(m).toMatch(/symbolic link|escapes the lake root/);
        expect(m).not.toContain('root:x');
      }
      expect(readFileSync(path.join(outside, 'secret.csv'), 'utf8')).toBe('root:x:0:0:secret\n');
      expect(await refused(() => lake.delete('processed/features/2026/05/04/link.csv'))).toBe('not refused');
      expect(readFileSync(path.join(outside, 'secret.csv'), 'utf8')).toBe('root:x:0:0:secret\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
