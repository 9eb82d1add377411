import { ContactIdSet } from '../../shared/fast/contactIdSet';

/** The duplicate-id set agrees with a JavaScript Set of the id texts (its plain twin). */
test('ContactIdSet says "already there" exactly when a Set of the texts does, sized small or right', () => {
  let s = 7;
  const r = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const ids = Array.from({ length: 300_000 }, () => {
    const k = Math.floor(r() * 200_000);
    return r() < 0.01 ? `é${k}✓` : `c${String(k).padStart(8, '0')}`;
  });
  for (const expected of [16, 300_000]) {
    const set = new ContactIdSet(expected);
    const plain = new Set<string>();
    let differ = 0;
    for (const id of ids) {
      const bytes = Buffer.from(` ${id} `, 'utf8');
      const fresh = id.length % 2 ? set.add(id) : set.addBytes(bytes, 1, bytes.length - 1);
      if (fresh !== !plain.has(id)) differ++;
      plain.add(id);
    }
    expect([expected, differ, set.size]).toEqual([expected, 0, plain.size]);
  }
});
