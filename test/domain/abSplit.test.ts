import { abArm, abBucket, armOfBucket, checkSalt, fmix32, treatmentBuckets } from '../../shared/domain/abSplit';
import reference from './ab-buckets.json';

// ab-buckets.json was printed once by `python3 scripts/ab-buckets.py`, a separate implementation of
// the algorithm in abSplit.ts's comment (Python's str.encode('utf-8'), its own FNV-1a and fmix32).
const ids = Array.from({ length: 10000 }, (_, i) => `c${String(i).padStart(7, '0')}`);

/** A third implementation: BigInt arithmetic mod 2³² and node's Buffer for UTF-8, none of the module's code. */
function bigIntBucket(salt: string, id: string): number {
  const M = (1n << 32n) - 1n;
  let h = 2166136261n;
  for (const b of Buffer.from(`${salt}:${id}`, 'utf8')) h = ((h ^ BigInt(b)) * 16777619n) & M;
  h ^= h >> 16n;
  h = (h * 0x85ebca6bn) & M;
  h ^= h >> 13n;
  h = (h * 0xc2b2ae35n) & M;
  h ^= h >> 16n;
  return Number(h % 10000n);
}

describe('A/B arm assignment', () => {
  test.each(Object.keys(reference.buckets))('10,000 ids c0000000..c0009999 under salt %j: the buckets of the Python implementation', (salt) => {
    const want = reference.buckets[salt as keyof typeof reference.buckets];
    expect(ids.map((id) => abBucket(salt, id))).toEqual(want);
  });

  test('the BigInt implementation agrees on 10,000 ids under other salts, and with Python', () => {
    for (const salt of ['', 'exp-7', 'challenger-2025-06']) expect(ids.map((id) => abBucket(salt, id))).toEqual(ids.map((id) => bigIntBucket(salt, id)));
    expect(ids.map((id) => bigIntBucket('ab:grades-v2', id))).toEqual(reference.buckets['ab:grades-v2']);
  });

  test.each(reference.odd_ids)('non-ASCII and odd ids are hashed as their UTF-8 bytes: salt $salt, id $id', (c) => {
    expect(Buffer.from(`${c.salt}:${c.id}`, 'utf8').toString('hex')).toBe(c.utf8);
    expect(abBucket(c.salt, c.id)).toBe(c.bucket);
    expect(bigIntBucket(c.salt, c.id)).toBe(c.bucket);
  });

  test("fmix32 is murmur3's finalizer: MurmurHash3_x86_32 of the empty input with seed s is fmix32(s), published test vectors", () => {
    // (seed, hash) pairs from MurmurHash3 test suites (e.g. Bitcoin Core's hash tests): 0 → 0, 1 → 0x514E28B7,
    // 0xFFFFFFFF → 0x81F16F39, 0xFBA4C795 → 0x6A396F08.
    expect(fmix32(0)).toBe(0);
    expect(fmix32(1)).toBe(0x514e28b7);
    expect(fmix32(0xffffffff)).toBe(0x81f16f39);
    expect(fmix32(-1)).toBe(0x81f16f39); // a signed word is read as its 32 bits
    expect(fmix32(0xfba4c795)).toBe(0x6a396f08);
  });

  test('buckets are uniform on the 10,000 ids: 20 bins of 500 buckets pass χ² (19 df) at 0.999 (43.82)', () => {
    for (const salt of ['challenger-2025-06', 'ab:grades-v2', 'exp-7']) {
      const counts = new Array<number>(20).fill(0);
      for (const id of ids) counts[Math.floor(abBucket(salt, id) / 500)]!++;
      const chi2 = counts.reduce((s, c) => s + (c - 500) ** 2 / 500, 0);
      expect(chi2).toBeLessThan(43.82);
    }
  });

  test.each([50, 10, 33.33, 2.5, 0.01, 99.99])('a treatment share of %s %% is within 4 binomial SDs on 10,000 ids', (percent) => {
    for (const salt of ['challenger-2025-06', 'exp-7']) {
      const treated = ids.filter((id) => abArm(salt, id, percent) === 'treatment').length;
      const p = percent / 100;
      expect(Math.abs(treated - 10000 * p)).toBeLessThanOrEqual(4 * Math.sqrt(10000 * p * (1 - p)));
    }
  });

  test('the threshold is exact: bucket < percent × 100 is treatment; 0 % is nobody, 100 % everybody', () => {
    const salt = 'challenger-2025-06';
    const at = (b: number): string => ids.find((id) => abBucket(salt, id) === b)!;
    expect(abArm(salt, at(3332), 33.33)).toBe('treatment');
    expect(abArm(salt, at(3333), 33.33)).toBe('control');
    expect(abArm(salt, at(0), 0.01)).toBe('treatment');
    expect(abArm(salt, at(1), 0.01)).toBe('control');
    expect(ids.every((id) => abArm(salt, id, 0) === 'control')).toBe(true);
    expect(ids.every((id) => abArm(salt, id, 100) === 'treatment')).toBe(true);
    // 0.29 × 100 is 28.999999999999996 in doubles: still 29 buckets.
    expect(abArm(salt, at(28), 0.29)).toBe('treatment');
    expect(abArm(salt, at(29), 0.29)).toBe('control');
  });

  test('stable: the same salt and id give the same arm on every call; another salt reshuffles about half of a 50/50 split', () => {
    const first = ids.map((id) => abArm('exp-7', id, 50));
    expect(ids.map((id) => abArm('exp-7', id, 50))).toEqual(first);
    const other = ids.map((id) => abArm('exp-8', id, 50));
    const moved = other.filter((a, i) => a !== first[i]).length;
    expect(Math.abs(moved - 5000)).toBeLessThanOrEqual(4 * 50);
  });

  test('treatmentPercent outside [0, 100], with more than 2 decimals, or not a number is refused', () => {
    for (const bad of [-0.01, 100.01, 12.345, NaN, Infinity]) {
      expect(() => abArm('s', 'c0000001', bad)).toThrow(/treatmentPercent must be a number from 0 to 100 with at most 2 decimals/);
    }
  });
});

describe('the treatment share, the arm of a bucket, the salt', () => {
  test('a share is a whole number of buckets; more than 2 decimals or out of range is refused', () => {
    expect(treatmentBuckets(50)).toBe(5000);
    expect(treatmentBuckets(33.33)).toBe(3333);
    expect(treatmentBuckets(0)).toBe(0);
    expect(treatmentBuckets(100)).toBe(10000);
    for (const bad of [-1, 100.01, 12.345, NaN, Infinity]) expect(() => treatmentBuckets(bad)).toThrow(/from 0 to 100 with at most 2 decimals/);
  });

  test('treatment takes the buckets below the share', () => {
    expect(armOfBucket(0, 1)).toBe('treatment');
    expect(armOfBucket(1, 1)).toBe('control');
    expect(armOfBucket(9999, 10000)).toBe('treatment');
    expect(armOfBucket(0, 0)).toBe('control');
  });

  test('a salt is 1 to 100 printable characters', () => {
    expect(checkSalt('spring-2026 ☀')).toBe('spring-2026 ☀');
    expect(checkSalt('x'.repeat(100))).toHaveLength(100);
    for (const bad of ['', 'x'.repeat(101), 'a\tb', 'a\nb', 'a\u007fb']) expect(() => checkSalt(bad)).toThrow(/1 to 100 printable characters/);
  });
});
