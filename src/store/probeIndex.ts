/**
 * The open-addressing index shared by StrTable and BytesTable (src/store/strTable.ts,
 * src/store/bytesTable.ts): an Int32Array of 2^bits slots, `stride` int32s per slot. A slot's first
 * int32 is the entry's id + 1 in its low `bits` bits and the key's hash bits above them (a tag;
 * 0 = empty); the rest of a slot (BytesTable: the record's slab offset) moves with it. Linear
 * probing, at most 3/4 full, backward-shift deletion (no tombstones).
 * Sources: Knuth, TAOCP vol. 3, 6.4, Algorithm R (deletion with linear probing).
 */

/**
 * Slot (0 ≤ slot < 2^bits) whose id part is `ref` (id + 1), probing from hash `h`'s home.
 * @throws Error if no slot holds it (a table bug: every entry is indexed).
 */
export function slotOfRef(idx: Int32Array, stride: number, mask: number, h: number, ref: number): number {
  for (let s = h & mask; ; s = (s + 1) & mask) {
    const e = idx[s * stride];
    if ((e & mask) === ref) return s;
    if (e === 0) throw new Error('index: entry not indexed');
  }
}

/**
 * Empties slot `s` by backward-shift deletion: later slots of its cluster move up unless their
 * home lies cyclically in (hole, j]. `hashes[id]` is entry id's hash (for the homes).
 */
export function unlinkSlot(idx: Int32Array, stride: number, mask: number, hashes: ArrayLike<number>, s: number): void {
  let hole = s;
  for (let j = (s + 1) & mask; ; j = (j + 1) & mask) {
    const e = idx[j * stride];
    if (e === 0) break;
    const home = hashes[(e & mask) - 1] & mask;
    const stays = hole <= j ? home > hole && home <= j : home > hole || home <= j;
    if (!stays) {
      idx[hole * stride] = e;
      if (stride === 2) idx[hole * 2 + 1] = idx[j * 2 + 1];
      hole = j;
    }
  }
  idx[hole * stride] = 0;
}

/**
 * A new index of 2^bits slots holding entries 0..size-1 by their stored hashes (no key hashed
 * again). `second`, for stride 2, gives each slot's second int32 (the entry's slab offset).
 */
export function buildIndex(bits: number, stride: number, size: number, hashes: ArrayLike<number>, second?: ArrayLike<number>): Int32Array<ArrayBuffer> {
  const m = (1 << bits) - 1;
  const idx = new Int32Array((m + 1) * stride);
  for (let id = 0; id < size; id++) {
    const h = hashes[id];
    let s = h & m;
    while (idx[s * stride] !== 0) s = (s + 1) & m;
    idx[s * stride] = (h & ~m) | (id + 1);
    if (second) idx[s * stride + 1] = second[id];
  }
  return idx;
}
