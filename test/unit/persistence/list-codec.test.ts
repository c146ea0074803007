/**
 * The list's RDB codec and AOF rewrite write element bytes straight from the QuickList's nodes
 * (src/persistence/rdb/types.ts, src/persistence/aof/rewrite.ts, QuickList.elements()). Checked
 * against reference encoders built from strings, as the codec was before (one listpack entry per
 * element via encodeListpack, nodes cut where Redis's quicklist cuts them; RPUSH commands via
 * writeCommand): byte-identical output for random lists with every listpack integer width and
 * string length class, and the cursor against the list's own iteration.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AOF_REWRITE_ITEMS_PER_CMD, rewriteKey, writeCommand } from '../../../src/persistence/aof/rewrite.js';
import { encodeListpack } from '../../../src/persistence/rdb/listpack.js';
import { dumpPayload, RdbType, RdbWriter, restorePayload, saveObject } from '../../../src/persistence/rdb/rdb.js';
import '../../../src/persistence/rdb/types.js'; // registers the list codec
import { ObjType, RObject } from '../../../src/store/db.js';
import { QuickList } from '../../../src/store/quicklist.js';
import { LIST_EDGES, LIST_LONG_EDGES } from '../../helpers/list-elements.js';
import { rng } from '../../helpers/random.js';

/** The list codec's save as it was with a string per element (Redis's node cuts, encodeListpack). */
function referenceSave(w: RdbWriter, items: string[]): void {
  const nodes: string[][] = [];
  let cur: string[] = [];
  let size = 0;
  for (const v of items) {
    if (cur.length > 0 && size + v.length + 8 > 8192) {
      nodes.push(cur);
      cur = [];
    }
    if (cur.length === 0) size = 7;
    cur.push(v);
    size += encodeListpack([v]).length - 7;
  }
  if (cur.length > 0) nodes.push(cur);
  w.len(nodes.length);
  for (const n of nodes) {
    w.len(2);
    w.string(encodeListpack(n).toString('latin1'));
  }
}

const EDGES = [...LIST_EDGES, ...LIST_LONG_EDGES];

function randomList(seed: number, n: number): string[] {
  const rand = rng(seed);
  const pick = (k: number): number => Math.floor(rand() * k);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.3) out.push(EDGES[pick(EDGES.length)]);
    else if (r < 0.5) out.push(String(Math.floor((rand() - 0.5) * 2 ** (1 + pick(63)))));
    else if (r < 0.501) out.push('B'.repeat(8000 + pick(20000)));
    else {
      let s = '';
      const len = pick(70);
      for (let j = 0; j < len; j++) s += String.fromCharCode(pick(256));
      out.push(s);
    }
  }
  return out;
}

/** A QuickList holding `items`, built from both ends so that its nodes are cut differently. */
function listOf(items: string[]): QuickList {
  const q = new QuickList();
  const mid = items.length >> 1;
  for (let i = mid; i < items.length; i++) q.pushTail(items[i]);
  for (let i = mid - 1; i >= 0; i--) q.pushHead(items[i]);
  return q;
}

describe('list codec from node bytes', () => {
  it('ElementCursor walks every element in order, its bytes in place', () => {
    const items = randomList(3, 20000);
    const q = listOf(items);
    assert.ok(q.nodeCount > 20);
    const seen: string[] = [];
    const c = q.elements();
    while (c.next()) seen.push(c.buf.toString('latin1', c.start, c.end));
    assert.equal(c.next(), false, 'a finished walk stays finished');
    assert.deepEqual(seen, items);
    assert.equal(new QuickList().elements().next(), false, 'an empty list has no element');
  });

  it('RDB save writes what the string-per-element codec wrote, byte for byte', () => {
    for (const [seed, n] of [
      [1, 1],
      [2, 5],
      [4, 3000],
      [5, 40000],
    ]) {
      const items = randomList(seed, n);
      for (const compress of [true, false]) {
        const o = new RObject(ObjType.List, listOf(items));
        const w = new RdbWriter();
        w.compress = compress;
        w.byte(0);
        saveObject(w, o, 0);
        const ref = new RdbWriter();
        ref.compress = compress;
        referenceSave(ref, items);
        assert.equal(w.buf[0], RdbType.ListQuicklist2);
        assert.ok(w.result().subarray(1).equals(ref.result()), `seed ${seed} n ${n} compress ${compress}`);
        const back = restorePayload(Buffer.from(dumpPayload(o), 'latin1'));
        assert.deepEqual((back.value as QuickList).toArray(), items);
      }
    }
  });

  it('the AOF rewrite writes RPUSH commands of 64 elements as writeCommand did', () => {
    for (const [seed, n] of [
      [7, 1],
      [8, 64],
      [9, 65],
      [10, 10000],
      [11, 300],
    ]) {
      const items = randomList(seed, n);
      // A key longer than the RESP scratch (64 KB) for one of them.
      const key = seed === 11 ? 'K'.repeat(70000) : `list\x00\xff${seed}`;
      const w = new RdbWriter();
      rewriteKey(w, key, new RObject(ObjType.List, listOf(items)), 1234567);
      const ref = new RdbWriter();
      for (let i = 0; i < items.length; i += AOF_REWRITE_ITEMS_PER_CMD)
        writeCommand(ref, ['RPUSH', key, ...items.slice(i, i + AOF_REWRITE_ITEMS_PER_CMD)]);
      writeCommand(ref, ['PEXPIREAT', key, '1234567']);
      assert.ok(w.result().equals(ref.result()), `seed ${seed} n ${n}`);
    }
  });
});
