/**
 * FNV-1a (32 bits), the one hash of the product's byte-level code: the fold a training row is dealt
 * to, and the hash tables of fast/ that find contacts and send ids by their bytes. A definition, so
 * that the byte-level tables and the plain code agree on it.
 */
export const FNV_OFFSET = 2166136261;
export const FNV_PRIME = 16777619;

/** FNV-1a of b[s..e), as a signed 32-bit integer. */
export function fnv1a(b: Uint8Array, s = 0, e = b.length): number {
  let h = FNV_OFFSET;
  for (let k = s; k < e; k++) h = Math.imul(h ^ b[k]!, FNV_PRIME);
  return h | 0;
}

/** FNV-1a of a string's UTF-16 code units: for an ASCII string, fnv1a of its bytes. */
export function fnv1aText(s: string): number {
  let h = FNV_OFFSET;
  for (let k = 0; k < s.length; k++) h = Math.imul(h ^ s.charCodeAt(k), FNV_PRIME);
  return h | 0;
}
