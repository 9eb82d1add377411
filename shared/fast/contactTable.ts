import { FNV_OFFSET, FNV_PRIME } from '../domain/hash';

/*
 * The contacts of an ingest, by id. Justified by bench:ingest: ids met as bytes are found without a
 * string (most events are of known contacts), and each contact's state is a slot in typed arrays, not
 * an object for the garbage collector to trace. Its plain twin is the Map of domain/features/formulas.ts.
 */

/** A contact slot's first word: the hash's high 24 bits and the key's length (255 for 255 and more). */
function slotTag(h: number, len: number): number {
  return (h & ~255) | (len < 255 ? len : 255);
}

/**
 * Contact ids ↔ dense indexes, with each contact's state in typed arrays indexed by that number (no
 * object per contact, nothing for the garbage collector to trace). Ids met as bytes are found through
 * a byte-keyed hash table in front of the string map, so a known contact costs no string at all.
 */
export class ContactTable {
  readonly ids: string[] = [];
  private readonly byId = new Map<string, number>();
  private cap = 0;
  seen: Uint8Array = new Uint8Array(0);
  sends7d: Int32Array = new Int32Array(0);
  sends30d: Int32Array = new Int32Array(0);
  answered30d: Int32Array = new Int32Array(0);
  sends90d: Int32Array = new Int32Array(0);
  replied90d: Int32Array = new Int32Array(0);
  mmsSends90d: Int32Array = new Int32Array(0);
  mmsAnswered90d: Int32Array = new Int32Array(0);
  sentimentCount: Int32Array = new Int32Array(0);
  sentimentSum: Float64Array = new Float64Array(0);
  lastPositive: Float64Array = new Float64Array(0);
  optOutRisk: Float64Array = new Float64Array(0);
  riskUpdatedAt: Float64Array = new Float64Array(0);
  optedOut: Uint8Array = new Uint8Array(0);
  // Byte-keyed open addressing (see indexBytes); key bytes in an arena.
  private slots: Int32Array = new Int32Array(1 << 15);
  private keyStart: Int32Array = new Int32Array(0);
  private keyLen: Int32Array = new Int32Array(0);
  private arena: Uint8Array = new Uint8Array(1 << 16);
  private arenaUsed = 0;
  private keys = 0;

  get size(): number {
    return this.ids.length;
  }

  private grow(): void {
    const cap = Math.max(1024, this.cap * 2);
    const g32 = (a: Int32Array): Int32Array => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    const g64 = (a: Float64Array, fill: number): Float64Array => {
      const b = new Float64Array(cap).fill(fill);
      b.set(a);
      return b;
    };
    const g8 = (a: Uint8Array): Uint8Array => {
      const b = new Uint8Array(cap);
      b.set(a);
      return b;
    };
    this.seen = g8(this.seen);
    this.sends7d = g32(this.sends7d);
    this.sends30d = g32(this.sends30d);
    this.answered30d = g32(this.answered30d);
    this.sends90d = g32(this.sends90d);
    this.replied90d = g32(this.replied90d);
    this.mmsSends90d = g32(this.mmsSends90d);
    this.mmsAnswered90d = g32(this.mmsAnswered90d);
    this.sentimentCount = g32(this.sentimentCount);
    this.sentimentSum = g64(this.sentimentSum, 0);
    this.lastPositive = g64(this.lastPositive, -Infinity);
    this.optOutRisk = g64(this.optOutRisk, NaN);
    this.riskUpdatedAt = g64(this.riskUpdatedAt, -Infinity);
    this.optedOut = g8(this.optedOut);
    this.keyStart = g32(this.keyStart);
    this.keyLen = g32(this.keyLen);
    this.cap = cap;
  }

  index(id: string): number {
    let i = this.byId.get(id);
    if (i === undefined) {
      i = this.ids.length;
      if (i === this.cap) this.grow();
      this.ids.push(id);
      this.byId.set(id, i);
      this.keyLen[i] = -1; // not in the byte table (yet)
    }
    return i;
  }

  /** Index of the contact whose id is the ASCII bytes b[s..e). */
  indexBytes(b: Uint8Array, s: number, e: number): number {
    const len = e - s;
    let h = FNV_OFFSET;
    let w0 = 0;
    let w1 = 0;
    for (let k = 0; k < len; k++) {
      const x = b[s + k]!;
      h = Math.imul(h ^ x, FNV_PRIME); // FNV-1a, fused with the packing of the first 8 bytes
      if (k < 4) w0 |= x << (8 * k);
      else if (k < 8) w1 |= x << (8 * (k - 4));
    }
    h |= 0;
    const tag = slotTag(h, len);
    const slots = this.slots;
    const mask = (slots.length >> 2) - 1;
    // A slot is 4 int32 (16 bytes, so the table of 100,000 contacts stays small in cache): the hash with
    // the key's length (up to 255) in its low byte, index + 1, the first 8 key bytes. Keys of up to
    // 8 bytes (contact ids usually are) are decided inside the slot.
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const o = slot << 2;
      const v = slots[o + 1]!;
      if (v === 0) break;
      if (slots[o] !== tag || slots[o + 2] !== w0 || slots[o + 3] !== w1) continue;
      const i = v - 1;
      if (len <= 8) return i;
      if (this.keyLen[i] !== len) continue;
      const at = this.keyStart[i]!;
      const arena = this.arena;
      let k = 8;
      while (k < len && arena[at + k] === b[s + k]) k++;
      if (k === len) return i;
    }
    let id = '';
    for (let k = s; k < e; k++) id += String.fromCharCode(b[k]!);
    const i = this.index(id);
    if (this.keyLen[i] === -1) this.addKey(i, b, s, e);
    return i;
  }

  private addKey(i: number, b: Uint8Array, s: number, e: number): void {
    const len = e - s;
    if (this.arenaUsed + len > this.arena.length) {
      const a = new Uint8Array(Math.max(this.arena.length * 2, this.arenaUsed + len));
      a.set(this.arena);
      this.arena = a;
    }
    this.arena.set(b.subarray(s, e), this.arenaUsed);
    this.keyStart[i] = this.arenaUsed;
    this.keyLen[i] = len;
    this.arenaUsed += len;
    if (++this.keys * 2 > this.slots.length >> 2) this.rehash();
    else this.insertSlot(i);
  }

  private insertSlot(i: number): void {
    const at = this.keyStart[i]!;
    const len = this.keyLen[i]!;
    let h = FNV_OFFSET;
    let w0 = 0;
    let w1 = 0;
    for (let k = 0; k < len; k++) {
      const x = this.arena[at + k]!;
      h = Math.imul(h ^ x, FNV_PRIME); // FNV-1a, fused with the packing of the first 8 bytes
      if (k < 4) w0 |= x << (8 * k);
      else if (k < 8) w1 |= x << (8 * (k - 4));
    }
    h |= 0;
    const mask = (this.slots.length >> 2) - 1;
    let slot = h & mask;
    while (this.slots[(slot << 2) + 1] !== 0) slot = (slot + 1) & mask;
    const o = slot << 2;
    this.slots[o] = slotTag(h, len);
    this.slots[o + 1] = i + 1;
    this.slots[o + 2] = w0;
    this.slots[o + 3] = w1;
  }

  private rehash(): void {
    this.slots = new Int32Array(this.slots.length * 4);
    for (let i = 0; i < this.ids.length; i++) if (this.keyLen[i]! >= 0) this.insertSlot(i);
  }
}
