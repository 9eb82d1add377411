import { fnv1a } from './hash';

/**
 * Deterministic A/B arm assignment: the same contact lands in the same arm on every run, machine and
 * engine, with no state to store. The algorithm, exactly, so that SQL or another language can
 * reproduce it:
 *
 *   1. key   = salt + ':' + contactId, encoded as UTF-8 bytes (a lone UTF-16 surrogate, which no
 *              real id holds, is encoded as U+FFFD, EF BF BD, as TextEncoder does)
 *   2. h     = FNV-1a 32-bit over those bytes: h = 2166136261; for each byte b:
 *              h = ((h XOR b) × 16777619) mod 2³²
 *   3. h     = murmur3's fmix32 finalizer, all mod 2³², ">>" a logical shift:
 *              h ^= h >> 16; h = h × 0x85EBCA6B; h ^= h >> 13; h = h × 0xC2B2AE35; h ^= h >> 16
 *   4. bucket = h mod 10000 (h read as unsigned), in 0..9999
 *   5. arm    = 'treatment' if bucket < round(treatmentPercent × 100), else 'control'
 *
 * FNV-1a alone mixes its last bytes poorly into the low bits, and "mod 10000" reads mostly low
 * bits: ids that differ only in their last digit would land in related buckets. fmix32 spreads every
 * input bit over the whole word. A new salt per experiment gives a fresh, independent split.
 * treatmentPercent has at most 2 decimals, so the threshold is a whole number of buckets.
 */
export type Arm = 'control' | 'treatment';

const utf8 = new TextEncoder();

/** murmur3's 32-bit finalizer (MurmurHash3, fmix32), as an unsigned integer. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The contact's bucket, 0..9999, under this salt. */
export function abBucket(salt: string, contactId: string): number {
  return fmix32(fnv1a(utf8.encode(`${salt}:${contactId}`))) % 10000;
}

/** The treatment arm's share as a whole number of buckets (0..10000); throws for a percent out of range or with more than 2 decimals. */
export function treatmentBuckets(treatmentPercent: number): number {
  const buckets = Math.round(treatmentPercent * 100);
  if (!Number.isFinite(treatmentPercent) || treatmentPercent < 0 || treatmentPercent > 100 || Math.abs(treatmentPercent * 100 - buckets) > 1e-6) {
    throw new Error(`treatmentPercent must be a number from 0 to 100 with at most 2 decimals: got ${treatmentPercent}`);
  }
  return buckets;
}

/** The arm of a bucket when the first `buckets` of the 10,000 are the treatment's. */
export function armOfBucket(bucket: number, buckets: number): Arm {
  return bucket < buckets ? 'treatment' : 'control';
}

/** The contact's arm; treatmentPercent in [0, 100] with at most 2 decimals (0 puts everyone in control, 100 in treatment). */
export function abArm(salt: string, contactId: string, treatmentPercent: number): Arm {
  return armOfBucket(abBucket(salt, contactId), treatmentBuckets(treatmentPercent));
}

/** A salt names one experiment: 1 to 100 printable characters (it is stored, and typed on a command line). */
export function checkSalt(salt: string): string {
  // eslint-disable-next-line no-control-regex
  if (salt.length < 1 || salt.length > 100 || /[\u0000-\u001f\u007f]/.test(salt)) {
    throw new Error(`the salt must be 1 to 100 printable characters: got ${JSON.stringify(salt.slice(0, 40))}${salt.length > 40 ? '…' : ''}`);
  }
  return salt;
}
