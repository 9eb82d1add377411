import { abBucket } from '../../shared/domain/abSplit';
import { abBucketFast } from '../../shared/fast/abBucket';
import reference from '../domain/ab-buckets.json';

/** The allocation-free bucket against its plain twin (TextEncoder's bytes) and the Python fixture. */
test('the same bucket as abBucket on the 10,000 ids of the Python fixture, and as the fixture itself', () => {
  for (const [salt, buckets] of Object.entries(reference.buckets)) {
    expect(buckets.map((_, i) => abBucketFast(salt, `c${String(i).padStart(7, '0')}`))).toEqual(buckets);
  }
  for (const c of reference.odd_ids) expect(abBucketFast(c.salt, c.id)).toBe(c.bucket);
  for (let i = 0; i < 10000; i++) expect(abBucketFast('x', `id-${i}`)).toBe(abBucket('x', `id-${i}`));
});

test('every kind of UTF-16 input: 2-, 3- and 4-byte characters and lone surrogates (U+FFFD)', () => {
  const strings = ['', 'é', 'ß€', '東京', '😀', 'a😀b', '\ud83d', '\ude00', 'x\ud83dy', '\ude00\ud83d', '\u07ff\u0800\uffff', 'salt:with:colons'];
  let s = 7;
  const rnd = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
  for (let n = 0; n < 2000; n++)
    strings.push(Array.from({ length: 1 + Math.floor(rnd() * 12) }, () => String.fromCharCode(Math.floor(rnd() * 0x10000))).join(''));
  for (const salt of strings.slice(0, 12)) for (const id of strings) expect([salt, id, abBucketFast(salt, id)]).toEqual([salt, id, abBucket(salt, id)]);
});
