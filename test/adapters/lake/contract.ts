import { type Lake, LakeNotFoundError } from '../../../shared/ports/lake';

/**
 * The Lake port's contract: every adapter must pass it. `make` returns a fresh, empty lake and a
 * cleanup function.
 */
export function lakeContract(name: string, make: () => Promise<{ lake: Lake; cleanup: () => Promise<void> | void }>): void {
  describe(`Lake contract: ${name}`, () => {
    let lake: Lake;
    let cleanup: () => Promise<void> | void;
    beforeEach(async () => ({ lake, cleanup } = await make()));
    afterEach(async () => cleanup());

    test('write then read gives the same bytes (text and binary)', async () => {
      await lake.write('raw/2026/03/01/events-0000.jsonl', '{"a":1}\n{"é":"ü"}\n');
      expect((await lake.read('raw/2026/03/01/events-0000.jsonl')).toString('utf8')).toBe('{"a":1}\n{"é":"ü"}\n');
      const bytes = new Uint8Array([0, 255, 10, 13, 128]);
      await lake.write('x/bin', bytes);
      expect([...(await lake.read('x/bin'))]).toEqual([...bytes]);
    });

    test('a write replaces the whole file', async () => {
      await lake.write('p/f.csv', 'a long first version\n');
      await lake.write('p/f.csv', 'short\n');
      expect((await lake.read('p/f.csv')).toString()).toBe('short\n');
    });

    test('rename moves a file, replacing what is at the target; a missing source is LakeNotFoundError', async () => {
      await lake.write('scores/2026/03/01/_tmp-a.csv', 'new\n');
      await lake.write('scores/2026/03/01/a.csv', 'old\n');
      await lake.rename('scores/2026/03/01/_tmp-a.csv', 'scores/2026/03/01/a.csv');
      expect((await lake.read('scores/2026/03/01/a.csv')).toString()).toBe('new\n');
      expect(await lake.exists('scores/2026/03/01/_tmp-a.csv')).toBe(false);
      await lake.rename('scores/2026/03/01/a.csv', 'scores/2026/03/02/b.csv');
      expect((await lake.list('scores')).map((e) => e.path)).toEqual(['scores/2026/03/02/b.csv']);
      await expect(lake.rename('scores/none.csv', 'scores/x.csv')).rejects.toBeInstanceOf(LakeNotFoundError);
    });

    test('scan yields the file in chunks that concatenate to its bytes (each copied before the next)', async () => {
      const big = Buffer.from('0123456789'.repeat(300_000) + 'end');
      await lake.write('big.bin', big);
      const parts: Buffer[] = [];
      for await (const c of lake.scan('big.bin')) parts.push(Buffer.from(c));
      expect(Buffer.concat(parts).equals(big)).toBe(true);
      await expect(
        (async () => {
          for await (const c of lake.scan('none.bin')) void c;
        })(),
      ).rejects.toBeInstanceOf(LakeNotFoundError);
    });

    test('an empty file is a file', async () => {
      await lake.write('raw/2026/03/01/_SUCCESS', '');
      expect(await lake.exists('raw/2026/03/01/_SUCCESS')).toBe(true);
      expect((await lake.read('raw/2026/03/01/_SUCCESS')).length).toBe(0);
    });

    test('readStream yields the file in chunks that concatenate to its bytes', async () => {
      const big = 'x'.repeat(3 * 1024 * 1024 + 7);
      await lake.write('big.txt', big);
      const chunks: Buffer[] = [];
      for await (const c of lake.readStream('big.txt')) chunks.push(c);
      expect(Buffer.concat(chunks).toString()).toBe(big);
    });

    test('reading an absent file throws LakeNotFoundError; exists says false', async () => {
      await expect(lake.read('nope/x.csv')).rejects.toBeInstanceOf(LakeNotFoundError);
      await expect(
        (async () => {
          for await (const _ of lake.readStream('nope/x.csv')) void _;
        })(),
      ).rejects.toBeInstanceOf(LakeNotFoundError);
      expect(await lake.exists('nope/x.csv')).toBe(false);
    });

    test('list: files under a folder, recursively, sorted, with sizes; empty for an absent folder', async () => {
      await lake.write('labels/2026/03/02/part-0.csv', 'bb');
      await lake.write('labels/2026/03/01/part-0.csv', 'a');
      await lake.write('labels/2026/03/01/_validation.json', '{}');
      await lake.write('other/z', 'z');
      expect(await lake.list('labels')).toEqual([
        { path: 'labels/2026/03/01/_validation.json', size: 2 },
        { path: 'labels/2026/03/01/part-0.csv', size: 1 },
        { path: 'labels/2026/03/02/part-0.csv', size: 2 },
      ]);
      expect(await lake.list('absent')).toEqual([]);
    });

    test('delete removes a file; deleting an absent file is not an error', async () => {
      await lake.write('d/f', 'x');
      await lake.delete('d/f');
      expect(await lake.exists('d/f')).toBe(false);
      await expect(lake.delete('d/f')).resolves.toBeUndefined();
    });

    test('paths that climb out of the lake are refused', async () => {
      await expect(lake.write('../escape', 'x')).rejects.toThrow(/escapes the lake root/);
    });
  });
}
