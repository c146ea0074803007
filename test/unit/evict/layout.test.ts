/**
 * The keyspace's memory layout (src/store/db.ts RObject) and the per-key estimate eviction uses
 * (src/evict/index.ts estimateKeyBytes): RObject packs type and eviction metadata in one small
 * integer, and the heap really grows by about the estimate per small string key, so evicting to
 * maxmemory bounds the heap. Heap figures are V8 heap growth between full GCs (gc exposed at run
 * time through --expose-gc), within wide margins; no timing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Config } from '../../../src/config/config.js';
import { estimateKeyBytes } from '../../../src/evict/index.js';
import { KeydraServer } from '../../../src/server/server.js';
import { commandTable } from '../../../src/commands/table.js';
import { lruClock, ObjType, RObject } from '../../../src/store/db.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** V8 heap bytes in use after two full GCs. */
function heapUsed(): number {
  gc();
  gc();
  return v8.getHeapStatistics().used_heap_size;
}

/** V8 heap plus ArrayBuffer bytes (the keyspace table's arrays and slab) after two full GCs. */
function memoryUsed(): number {
  const h = heapUsed();
  return h + process.memoryUsage().arrayBuffers;
}

/** A latin1 string with its own storage, as the RESP parser produces (Buffer.latin1Slice). */
function fresh(s: string): string {
  return Buffer.from(s, 'latin1').toString('latin1');
}

describe('keyspace memory layout', () => {
  it('RObject keeps type and lru apart in one packed field', () => {
    for (const t of [ObjType.String, ObjType.List, ObjType.Set, ObjType.ZSet, ObjType.Hash, ObjType.Stream]) {
      const o = new RObject(t, 'v');
      assert.equal(o.type, t);
      assert.equal(o.lru, 0);
      o.lru = 0xfffffff;
      assert.equal(o.type, t);
      assert.equal(o.lru, 0xfffffff);
      o.lru = (0xffff << 8) | 255; // LFU: minutes << 8 | counter
      assert.equal(o.lru, 0xffffff);
      assert.equal(o.type, t);
      assert.ok(Number.isInteger(o.bits) && o.bits >= -(2 ** 31) && o.bits < 2 ** 31, 'int32 (a V8 Smi)');
    }
    const now = Date.now();
    assert.equal(lruClock(now + 1000) - lruClock(now), 16, '1/16 s units');
  });

  it('an RObject is 48 bytes of heap, with an LRU clock set', () => {
    const n = 300_000;
    const keep: (RObject | null)[] = new Array(n).fill(null);
    const v = 'v';
    heapUsed(); // settle garbage left by module loading and earlier tests
    const before = heapUsed();
    const now = Date.now();
    for (let i = 0; i < n; i++) {
      const o = new RObject(ObjType.String, v);
      o.lru = lruClock(now + i);
      o.seq = i + 1;
      keep[i] = o;
    }
    const per = (heapUsed() - before) / n;
    assert.ok(keep.length === n && per <= 52, `RObject ${per.toFixed(1)} B`);
  });

  it('heap and table growth per small string key is close to estimateKeyBytes', () => {
    const s = new KeydraServer(commandTable, new Config());
    const db = s.keyspace.dbs[0];
    // 260,000 keys nearly fill a Map table of 2^18 entries, as 1M keys do one of 2^20.
    const n = 260_000;
    const base = 5_000_000;
    memoryUsed();
    const before = memoryUsed();
    for (let i = base; i < base + n; i++) db.add(fresh(`key:${i}`), new RObject(ObjType.String, fresh(`value:${i}`)));
    const per = (memoryUsed() - before) / n;
    const key = `key:${base}`;
    const est = estimateKeyBytes(key, db.table.get(key) as RObject);
    console.log(`# heap + table bytes per key:N → value:N key: measured ${per.toFixed(1)} B, estimated ${est} B`);
    assert.ok(per > est * 0.8 && per < est * 1.2, `measured ${per.toFixed(1)} B vs estimate ${est} B`);
  });
});
