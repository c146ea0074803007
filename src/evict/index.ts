/**
 * Memory accounting and eviction under `maxmemory` (Redis 7.0 evict.c, object.c LFU helpers).
 *
 * Accounting (`used_memory`): what the dataset and the clients hold, each part counted where it
 * is known best, so that it moves only when data does (Redis's tests check it to within 4 KB):
 *
 *   used_memory = keyspace tables (exact) + value objects (estimated per value)
 *                 + clients (their accounting, as Redis getClientMemoryUsage) + 1 MB + residual
 *   residual    = max(0, V8 heap after the last major GC - the first such figure - value objects
 *                 - V8_SLACK - value objects / 8)
 *
 * - The keyspace tables (src/store/keyTable.ts: keys and small strings in typed arrays and slabs)
 *   are counted exactly by what is in use (Keyspace.tableUsedBytes): a SET adds its entry and
 *   bytes, a delete or eviction takes them back at once.
 * - Every other value (long strings, collections, streams, HyperLogLogs) is an object the table
 *   counts at its estimated size (estimateValueBytes, MEMORY USAGE's estimate with 5 samples):
 *   estimated again when it is stored or looked up for writing, taken back when it is deleted.
 * - The clients (query buffers, arguments, output waiting, MULTI, pub/sub: src/server/clientEviction.ts)
 *   are counted from their accounting, updated as they read and write under maxmemory, computed
 *   afresh for INFO; a client freed stops counting at once.
 * - The V8 heap itself is read only right after a major GC (a garbage-free figure; between two GCs
 *   it grows by garbage, promoted objects and feedback by ~100 KB per command, which is not data):
 *   what it holds beyond the idle server's heap, the estimated values and V8_SLACK is the
 *   residual (estimates short of the real size, structures no estimate covers), constant until
 *   the next major GC. Once over maxmemory a major GC (rate-limited: ~5% of the time at most,
 *   none on a heap over 512 MB) refreshes it before keys are evicted or writes refused.
 * Eviction: sampled approximated LRU/LFU with a pool of 16 candidates (EVPOOL_SIZE), random and
 * volatile-ttl policies; volatile-* sample only the expires dict. Keys are sampled through a
 * persistent iterator per db and dict (Map iterators survive inserts and deletes) with random
 * skips, as a Map has no random access. Expired keys are reclaimed first.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import type { Config } from '../config/config.js';
import type { Keyspace } from '../store/db.js';
import { type Db, lruClock, ObjType, type RObject } from '../store/db.js';
import { RHash } from '../store/hash.js';
import { INLINE_MAX, setValueEstimator } from '../store/keyTable.js';
import { QuickList } from '../store/quicklist.js';
import { RSet } from '../store/set.js';

/** The server as eviction sees it (EvictionHost implements it): src/evict imports no server code. */
export interface EvictionHost {
  readonly keyspace: Keyspace;
  readonly config: Config;
  /** maxmemory in bytes (0: no limit). */
  readonly maxmemory: number;
  /** Queues a write to the AOF and replicas (evictions propagate as DEL). */
  alsoPropagate(dbId: number, argv: string[]): void;
  /**
   * Bytes the clients use (Redis counts their buffers in used_memory): the tracked totals, or
   * with `fresh` each client's memory computed now (src/server/clientEviction.ts).
   */
  clientsMemory(fresh: boolean): number;
  /** Number of connected clients. */
  clientsCount(): number;
  /** Bytes in used_memory that must not cause evictions: output waiting for replicas. */
  notCountedMemory(): number;
  /** Publishes a keyspace event (`evicted`, class e). */
  notifyKeyspaceEvent(type: string, event: string, key: string, dbId: number): void;
}

/** Redis EVPOOL_SIZE. */
const EVPOOL_SIZE = 16;
/** Redis LFU_INIT_VAL: the counter a new key starts with. */
export const LFU_INIT_VAL = 5;

let gcObserver: PerformanceObserver | null = null;
function watchGc(): void {
  if (gcObserver !== null) return;
  gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) noteMajorGc();
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
}

/** Records a major GC run on purpose (lazy free's, eviction's), before the observer reports it. */
export function noteMajorGc(): void {
  const heap = heapBytes();
  for (const ref of evictorRefs) {
    const e = ref.deref();
    if (e === undefined) evictorRefs.delete(ref);
    else e.afterMajorGc(heap);
  }
}

/** Every server's Evictor (weakly held): each reads the heap after a major GC (afterMajorGc). */
const evictorRefs = new Set<WeakRef<Evictor>>();

/** LFU minutes clock, 16 bits (Redis LFUGetTimeInMinutes). @param nowMs Unix ms. */
export function lfuMinutes(nowMs: number): number {
  return Math.floor(nowMs / 60000) & 0xffff;
}

/** Decayed LFU counter of `o` (Redis LFUDecrAndReturn); does not store it. */
export function lfuDecrAndReturn(lru: number, nowMs: number, decayTime: number): number {
  const ldt = lru >>> 8;
  let counter = lru & 0xff;
  const now = lfuMinutes(nowMs);
  const elapsed = now >= ldt ? now - ldt : 65535 - ldt + now;
  const periods = decayTime > 0 ? Math.floor(elapsed / decayTime) : 0;
  if (periods > 0) counter = periods > counter ? 0 : counter - periods;
  return counter;
}

/** Logarithmic increment of an 8-bit counter (Redis LFULogIncr). */
export function lfuLogIncr(counter: number, logFactor: number): number {
  if (counter === 255) return 255;
  const base = Math.max(0, counter - LFU_INIT_VAL);
  const p = 1 / (base * logFactor + 1);
  return Math.random() < p ? counter + 1 : counter;
}

/**
 * Idle seconds (fractional, 1/16 s resolution) of an object under LRU, from its `lru` clock value
 * (lruClock units), wrapping as Redis estimateObjectIdleTime does.
 */
export function lruIdleSeconds(lru: number, nowMs: number): number {
  const clock = lruClock(nowMs);
  return (clock >= lru ? clock - lru : clock + (0xfffffff - lru)) / 16;
}

/**
 * Bytes of a keyspace table entry besides its slab bytes (src/store/keyTable.ts): a 32-byte
 * entry, ×~4/3 as the arrays double, and an index slot (4 B at a load of 3/8 to 3/4: ~7 B).
 */
export const TABLE_ENTRY_BYTES = 40;
/** A value object's slot in the table's objs array (a pointer). */
const OBJ_SLOT_BYTES = 8;

/** Slab bytes of `len` bytes of key (and inline value): the slab doubles, ~1.4× on average. */
function slabBytes(len: number): number {
  return Math.ceil(len * 1.4);
}

/** Heap bytes of an RObject (header of 3 words + 3 fields; measured, see src/store/db.ts). */
const ROBJECT_BYTES = 48;

/** Per list node outside its bytes: the ListNode object, its Buffer and ArrayBuffer headers, its ring slot (bytes). */
const LIST_NODE_BYTES = 160;

/** Heap bytes of a flat latin1 string of `len` chars (V8 SeqOneByteString: 16-byte header, 8-aligned). */
export function stringBytes(len: number): number {
  return (16 + len + 7) & ~7;
}

/**
 * Estimated bytes a key holds (V8 heap, 64-bit, plus the keyspace table outside it): table entry,
 * key and small string value bytes, or RObject, key bytes and value (calibrated: 1M keys
 * key:N → value:N measure 73.0 B/key of heap and table, this gives 74, test/unit/evict/layout.test.ts);
 * for collections elements × (per-element overhead + average sampled element length).
 * @param samples elements sampled for collections (0: all), as MEMORY USAGE SAMPLES.
 */
export function estimateKeyBytes(key: string, o: RObject, samples = 5): number {
  const sv = o.value;
  if (o.type === ObjType.String && typeof sv === 'string' && sv.length <= INLINE_MAX) {
    return TABLE_ENTRY_BYTES + slabBytes(key.length + sv.length); // kept inline, no object
  }
  let n = TABLE_ENTRY_BYTES + OBJ_SLOT_BYTES + ROBJECT_BYTES + slabBytes(key.length);
  if (o.type === ObjType.String) return n + (typeof sv === 'string' ? stringBytes(sv.length) : 16 + bufferBytes(sv));
  // The common families sampled by index (no iterator objects: values are estimated again as
  // they are written, src/store/keyTable.ts valueBytes); the same elements as iteration visits.
  const fast = o.value;
  if (fast instanceof QuickList) {
    // Packed nodes (src/store/quicklist.ts): each element's bytes and its two length fields in a
    // node buffer, plus per node the ListNode, its Buffer and its ring slot.
    const count = fast.length;
    const m = samples > 0 ? Math.min(samples, count) : count;
    let avg = 16;
    if (m > 0) {
      let bytes = 0;
      for (let i = 0; i < m; i++) bytes += (fast.at(i) as string).length;
      avg = bytes / m;
    }
    return n + 64 + Math.round(count * (avg + 2)) + fast.nodeCount * LIST_NODE_BYTES;
  }
  // A hash knows its bytes: its packed listpack string or its table's slab (src/store/hash.ts).
  if (fast instanceof RHash) return n + fast.bytes;
  if (fast instanceof RSet) {
    const count = fast.size;
    let avg = 16;
    const m = samples > 0 ? Math.min(samples, count) : count;
    if (m > 0) {
      let bytes = 0;
      for (let i = 0; i < m; i++) {
        bytes += stringBytes(fast.members[i].length);
      }
      avg = bytes / m;
    }
    return n + 64 + Math.round(count * (56 + avg));
  }
  const v = o.value as { size?: number; length?: number; [Symbol.iterator]?: () => Iterator<unknown> };
  const count = typeof v.size === 'number' ? v.size : typeof v.length === 'number' ? v.length : 0;
  let avg = 16;
  if (typeof v[Symbol.iterator] === 'function' && count > 0) {
    let seen = 0;
    let bytes = 0;
    for (const e of v as Iterable<unknown>) {
      bytes += elementBytes(e);
      if (++seen === samples && samples > 0) break;
    }
    if (seen > 0) avg = bytes / seen;
  }
  n += 64 + Math.round(count * (56 + avg));
  return n;
}

/**
 * Estimated bytes of a value object alone (the table's share is counted apart): its RObject and
 * what its value holds (src/store/keyTable.ts valueBytes, used_memory). @param samples as MEMORY USAGE.
 */
export function estimateValueBytes(o: RObject, samples = 5): number {
  return Math.max(0, estimateKeyBytes('', o, samples) - TABLE_ENTRY_BYTES - OBJ_SLOT_BYTES);
}
setValueEstimator((o) => estimateValueBytes(o));

/** Bytes of a Buffer value, or of the Buffer a value wraps (HllBuf.buf); 0 otherwise. */
function bufferBytes(v: unknown): number {
  if (Buffer.isBuffer(v)) return v.length;
  const b = (v as { buf?: unknown } | null)?.buf;
  return Buffer.isBuffer(b) ? b.length : 0;
}

function elementBytes(e: unknown): number {
  if (typeof e === 'string') return stringBytes(e.length);
  if (Array.isArray(e)) {
    let b = 16;
    for (const x of e) b += typeof x === 'string' ? stringBytes(x.length) : 16;
    return b;
  }
  return 16;
}

/** Number of cursors a Sampler spreads over a Map. */
const CURSORS = 4;

/**
 * Per-db sampler over a Map: CURSORS persistent iterators spread evenly over the Map (created
 * lazily, each advanced to its share of the Map once), each wrapping around when exhausted. A
 * sample comes from a random cursor, so consecutive samples come from different regions of
 * insertion order (which correlates with age) rather than one sequential sweep. Map iterators
 * survive inserts and deletes; the cursors are reset when the db's Map is replaced (FLUSHDB).
 */
class Sampler<V> {
  private map: ReadonlyMap<string, V> | null = null;
  private its: (Iterator<[string, V]> | null)[] = new Array(CURSORS).fill(null);
  next(map: ReadonlyMap<string, V>): [string, V] | undefined {
    if (this.map !== map) {
      this.map = map;
      this.its.fill(null);
    }
    const j = Math.floor(Math.random() * CURSORS);
    let it = this.its[j];
    if (it === null) {
      it = map.entries();
      const skip = Math.floor((j * map.size) / CURSORS);
      for (let i = 0; i < skip; i++) it.next();
      this.its[j] = it;
    }
    let r = it.next();
    if (r.done) {
      it = map.entries();
      this.its[j] = it;
      r = it.next();
      if (r.done) return undefined;
    }
    return r.value;
  }
}

/** Per-server eviction state: pool, samplers, accounting. */
export class Evictor {
  private readonly poolKeys: string[] = [];
  private readonly poolDbs: number[] = [];
  private readonly poolScores: number[] = [];
  private readonly dictSamplers: Sampler<RObject>[] = [];
  private readonly expireSamplers: Sampler<number>[] = [];
  /** V8 heap (heapBytes) at setup (lazy free's heapInUse). */
  private baseline = 0;
  /** Heap beyond the values after the first major GC or one with no keys (lowered by any smaller one); -1 before. */
  private gcBaseline = -1;
  /** Keyspace tables and value objects at setup (a fresh server's used_memory leaves them out). */
  private ksBaseline = 0;
  /** The keyspace tables, value objects and clients as of the last usedMemory call (see module doc). */
  private direct = 0;
  /** The clients' memory at the last sample (summed every 8 calls or SAMPLE_MAX_AGE_MS). */
  private clientsBytes = 0;
  /** Heap not accounted for by the parts, as of the last major GC (module doc). */
  private residual = 0;
  private calls = 0;
  /** performance.now() of the last sample. */
  private sampledAt = 0;
  /** performance.now() of the last major GC forced by eviction, and how long it took (ms). */
  private gcAt = Number.NEGATIVE_INFINITY;
  private gcMs = 0;
  /** Highest used_memory seen (INFO used_memory_peak). */
  peak = 0;

  constructor(readonly server: EvictionHost) {
    for (let i = 0; i < server.keyspace.dbs.length; i++) {
      this.dictSamplers.push(new Sampler());
      this.expireSamplers.push(new Sampler());
    }
    this.baseline = heapBytes();
    this.ksBaseline = server.keyspace.tableUsedBytes + server.keyspace.valueBytes;
    evictorRefs.add(new WeakRef(this));
    watchGc(); // the residual is refreshed after each major GC
  }

  /**
   * After a major GC (`heap`: heapBytes then, garbage-free): the residual is what the heap holds
   * beyond the baseline (the first such figure, or one taken with an empty keyspace: the
   * server's own heap; a smaller one lowers it), the estimated values, V8_SLACK and an eighth of
   * the values (the estimates' own error is not worth reacting to): the module doc.
   */
  afterMajorGc(heap: number): void {
    const values = this.server.keyspace.valueBytes;
    const unexplained = heap - values;
    // With no keys, all of it is the server's own (code loaded since, caches): the baseline then.
    if (this.gcBaseline < 0 || unexplained < this.gcBaseline || this.server.keyspace.totalKeys === 0) this.gcBaseline = unexplained;
    this.residual = Math.max(0, unexplained - this.gcBaseline - V8_SLACK - values / 8);
  }

  /** Bytes V8 reports in use now, before the module doc's corrections (for lazy free's GC decision). */
  heapInUse(): number {
    return heapBytes() - this.baseline + this.server.keyspace.tableUsedBytes;
  }

  /**
   * Estimated used memory in bytes (see module doc). `fresh` forces a sample (`exact`: with every
   * client's memory computed now, for INFO and MEMORY); otherwise one is taken every 8 calls, and
   * whenever the last is more than SAMPLE_MAX_AGE_MS old (memory grows between commands too: a
   * client's input arriving, replies queued for it).
   */
  usedMemory(fresh: boolean | 'exact' = true): number {
    const now = performance.now();
    if (fresh !== false || (++this.calls & 7) === 0 || now - this.sampledAt > SAMPLE_MAX_AGE_MS) {
      this.sampledAt = now;
      // A residual seen by a GC in the middle of a burst holds that burst's live objects (socket
      // writes, parsed commands): INFO and MEMORY confirm it with a fresh GC when affordable.
      if (fresh === 'exact' && this.residual > 0) this.collectGarbage();
      this.clientsBytes = this.server.clientsMemory(fresh === 'exact');
    }
    // The keyspace's part is read every time (counters kept as keys are written, a few values
    // re-estimated), so a write's bytes count from the next command on, as Redis's zmalloc
    // counter does: only the clients' sum is sampled.
    const ks = this.server.keyspace;
    this.direct = ks.tableUsedBytes + ks.valueBytes + this.clientsBytes;
    const used = Math.max(1024 * 1024, this.direct - this.ksBaseline + this.residual + 1024 * 1024);
    if (used > this.peak) this.peak = used;
    return used;
  }

  /**
   * Frees memory until used_memory ≤ maxmemory (Redis performEvictions). @returns false when
   * still above the limit and nothing could be evicted (the caller replies -OOM).
   */
  performEvictions(): boolean {
    const server = this.server;
    if (server.maxmemory <= 0) return true;
    if (this.usedMemory(false) <= server.maxmemory) return true;
    // The output waiting for replicas counts in used_memory, not against maxmemory (Redis
    // getMaxmemoryState: mem_reported - freeMemoryGetNotCountedMemory()).
    const max = server.maxmemory + server.notCountedMemory();
    if (this.usedMemory(false) <= max) return true;
    watchGc();
    // Over the limit by the cheap sample: measured as INFO does (with few clients: their memory is
    // summed afresh), so that what INFO reports after evictions is under the limit too.
    const exact = this.server.clientsCount() <= EXACT_MAX_CLIENTS ? 'exact' : true;
    if (this.usedMemory(exact) <= max) return true;
    // Over the limit: garbage (freed clients' buffers, values overwritten or deleted) may be the
    // reason; a major GC before evicting keys or refusing writes, when affordable (collectGarbage).
    if (this.residual > 0 && this.collectGarbage() && this.usedMemory(exact) <= max) return true;
    const policy = server.config.str('maxmemory-policy');
    const tenacity = server.config.num('maxmemory-eviction-tenacity');
    const limitUs = tenacity >= 100 ? Number.POSITIVE_INFINITY : tenacity <= 10 ? 50 * tenacity : 500 * 1.15 ** (tenacity - 10);
    const start = performance.now();
    let evicted = 0;
    this.reclaimExpired();
    while (this.usedMemory(evicted % 16 === 0 ? exact : false) > max) {
      // Nothing (more) may be evicted and still above the limit: Redis EVICT_FAIL, unless a
      // major GC (at most every 20 ms here) finds the memory was garbage.
      if (policy === 'noeviction' || !this.evictOne(policy)) {
        // Without V8's part the memory is under the limit: only its garbage is in the way.
        const garbageOnly = this.direct - this.ksBaseline + 1024 * 1024 <= max;
        return this.collectGarbage(garbageOnly ? 2 : 20) && this.usedMemory(exact) <= max;
      }
      evicted++;
      if ((evicted & 15) === 0 && (performance.now() - start) * 1000 > limitUs) return true;
    }
    return true;
  }

  /**
   * Runs a major GC (V8's gc extension) unless one ran within 20 times its own duration (so forced
   * collections take at most ~5% of the time) or within the last 20 ms (a heap under
   * GC_SMALL_HEAP) or second (larger), or the heap is over GC_MAX_HEAP (a full collection would
   * stall the server); before refusing a write, whenever `refusingWait` ms have passed.
   * @returns true if it ran.
   */
  private collectGarbage(refusingWait = 0): boolean {
    const now = performance.now();
    const heap = v8.getHeapStatistics().used_heap_size;
    if (heap > GC_MAX_HEAP) return false;
    // A small heap is collected in a few ms: as often as every 20 ms (at most ~5% of the time);
    // before refusing a write, every `refusingWait` ms whatever the heap.
    const wait = refusingWait > 0 ? refusingWait : Math.max(heap < GC_SMALL_HEAP ? 20 : 1000, 20 * this.gcMs);
    if (now - this.gcAt < wait) return false;
    const gc = gcFunction();
    if (gc === null) return false;
    gc();
    noteMajorGc();
    this.gcAt = performance.now();
    this.gcMs = this.gcAt - now;
    return true;
  }

  /** Deletes expired keys found by sampling the expires dicts (they are reclaimable first). */
  private reclaimExpired(): void {
    const ks = this.server.keyspace;
    if (ks.replicaMode) return;
    for (const db of ks.dbs) {
      const n = Math.min(db.expires.size, 20);
      for (let i = 0; i < n; i++) {
        const e = this.expireSamplers[db.id].next(db.expires);
        if (e === undefined) break;
        if (e[1] <= ks.now) db.expireIfNeeded(e[0]);
      }
    }
  }

  /**
   * Evicts one key by `policy` (no memory check): fills the pool from every db, then deletes the
   * best candidate still present. @returns false if no key may be evicted.
   */
  evictOne(policy: string): boolean {
    const ks = this.server.keyspace;
    const volatile = policy.startsWith('volatile-');
    if (policy.endsWith('-random')) {
      const start = this.rr++;
      for (let k = 0; k < ks.dbs.length; k++) {
        const db = ks.dbs[(start + k) % ks.dbs.length];
        const size = volatile ? db.expires.size : db.size;
        if (size === 0) continue;
        const skip = Math.floor(Math.random() * Math.min(size, 32));
        let key: string | undefined;
        for (let i = 0; i <= skip; i++) {
          key = volatile ? this.expireSamplers[db.id].next(db.expires)?.[0] : this.dictSamplers[db.id].next(db.table)?.[0];
        }
        if (key !== undefined) return this.evictKey(db, key);
      }
      return false;
    }
    for (let tries = 0; tries < 2; tries++) {
      for (const db of ks.dbs) {
        const size = volatile ? db.expires.size : db.size;
        if (size > 0) this.populate(db, policy, volatile);
      }
      while (this.poolKeys.length > 0) {
        const key = this.poolKeys.pop() as string;
        const dbId = this.poolDbs.pop() as number;
        this.poolScores.pop();
        const db = ks.dbs[dbId];
        if (volatile ? db.expires.has(key) : db.hasKey(key)) return this.evictKey(db, key);
      }
    }
    return false;
  }
  private rr = 0;

  /** Samples keys of one db into the pool (Redis evictionPoolPopulate). */
  private populate(db: Db, policy: string, volatile: boolean): void {
    const cfg = this.server.config;
    const samples = cfg.num('maxmemory-samples');
    const size = volatile ? db.expires.size : db.size;
    const n = Math.min(samples, size);
    // Random skips of up to size/n entries (capped at 256 steps) make a sweep of the Map take a
    // few evictions, so samples are spread over all ages, not one region of insertion order.
    const skipMax = size > samples * 2 ? Math.min(256, Math.floor(size / n)) : 0;
    const now = this.server.keyspace.now;
    const decay = cfg.num('lfu-decay-time');
    const scoreOf = (key: string, when: number): number => {
      if (policy === 'volatile-ttl') return Number.MAX_SAFE_INTEGER - when;
      const o = db.table.get(key);
      if (o === undefined) return -1;
      return policy.endsWith('-lfu') ? 255 - lfuDecrAndReturn(o.lru, now, decay) : lruIdleSeconds(o.lru, now);
    };
    if (size <= samples) {
      // A small dict is sampled whole (no duplicate samples, no misses).
      if (volatile) for (const [key, when] of db.expires) this.poolInsert(key, db.id, scoreOf(key, when));
      else for (const key of db.table.keys()) this.poolInsert(key, db.id, scoreOf(key, 0));
      return;
    }
    for (let i = 0; i < n; i++) {
      let key: string | undefined;
      let when = 0;
      const skip = skipMax > 0 ? Math.floor(Math.random() * skipMax) : 0;
      for (let s = 0; s <= skip; s++) {
        if (volatile) {
          const e = this.expireSamplers[db.id].next(db.expires);
          key = e?.[0];
          when = e?.[1] ?? 0;
        } else key = this.dictSamplers[db.id].next(db.table)?.[0];
      }
      if (key === undefined) return;
      const score = scoreOf(key, when);
      if (score >= 0) this.poolInsert(key, db.id, score);
    }
  }

  private poolInsert(key: string, dbId: number, score: number): void {
    const keys = this.poolKeys;
    for (let j = 0; j < keys.length; j++) if (keys[j] === key && this.poolDbs[j] === dbId) return;
    if (keys.length >= EVPOOL_SIZE) {
      if (score <= this.poolScores[0]) return;
      keys.shift();
      this.poolDbs.shift();
      this.poolScores.shift();
    }
    let i = keys.length;
    while (i > 0 && this.poolScores[i - 1] > score) i--;
    keys.splice(i, 0, key);
    this.poolDbs.splice(i, 0, dbId);
    this.poolScores.splice(i, 0, score);
  }

  /** Deletes an evicted key: DEL propagation, `evicted` event, WATCH, stats. */
  private evictKey(db: Db, key: string): boolean {
    if (!db.table.has(key)) return false;
    db.deleteKey(key);
    const server = this.server;
    server.keyspace.stats.evicted_keys++;
    server.alsoPropagate(db.id, ['DEL', key]);
    server.notifyKeyspaceEvent('e', 'evicted', key, db.id);
    server.keyspace.hooks.keyModified(db, key);
    return true;
  }
}

/**
 * Heap beyond the idle baseline and the estimated values not counted as residual (bytes): V8's own
 * growth as the server runs (feedback of functions run for the first time, caches), not data.
 */
const V8_SLACK = 4 * 1024 * 1024;
/** Up to this many clients, eviction sums their memory afresh as INFO does (usedMemory 'exact'). */
const EXACT_MAX_CLIENTS = 256;
/** A cached heap sample is taken again after this long (ms). */
const SAMPLE_MAX_AGE_MS = 2;
/** Eviction forces no major GC of a heap larger than this (bytes). */
const GC_MAX_HEAP = 512 * 1024 * 1024;
/** Below this heap size (bytes) a forced major GC takes a few ms. */
const GC_SMALL_HEAP = 64 * 1024 * 1024;

let gcFn: (() => void) | null | undefined;

/** V8's gc() (the extension is enabled on first use), or null if unavailable. */
export function gcFunction(): (() => void) | null {
  if (gcFn === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gcFn = vm.runInNewContext('gc') as () => void;
    } catch {
      gcFn = null;
    }
  }
  return gcFn;
}

/**
 * V8 heap bytes of data: the old generation (old space and its large objects), read after major
 * GCs (the residual, see the module doc; the young generation is left out: the GC observer runs
 * after the collection, when new objects, mostly garbage, already fill it again). Left out too:
 * - code (V8 compiles functions as the server runs new paths: hundreds of KB, not data; Redis
 *   does not count its binary either);
 * - external memory (Buffers, typed arrays): mostly the clients' buffers, and the garbage of
 *   replies already written. The keyspace tables (Keyspace.tableUsedBytes), the values' own
 *   Buffers (estimateValueBytes) and the clients (their accounting, EvictionHost.clientsMemory)
 *   are counted apart.
 */
function heapBytes(): number {
  let n = 0;
  for (const sp of v8.getHeapSpaceStatistics()) {
    const name = sp.space_name;
    if (name === 'old_space' || name === 'large_object_space') n += sp.space_used_size;
  }
  return n;
}

const evictors = new WeakMap<EvictionHost, Evictor>();

/** The server's Evictor, created on first use. */
export function evictorOf(server: EvictionHost): Evictor {
  let e = evictors.get(server);
  if (e === undefined) {
    e = new Evictor(server);
    evictors.set(server, e);
  }
  return e;
}

/**
 * Installs eviction on a server: the accounting baseline and an LRU/LFU-aware `keyspace.touch`
 * that follows `maxmemory-policy` (LFU: 16-bit minutes + 8-bit log counter, Redis updateLFU).
 */
export function setupEviction(server: EvictionHost): void {
  evictorOf(server);
  const ks = server.keyspace;
  const cfg = server.config;
  // LRU clock as Redis's but in 1/16 s units, so that keys touched within the same second still
  // order; an integer, so RObject's packed field stays a small integer (no boxed double).
  const lruTouch = (o: RObject): void => {
    o.lru = lruClock(ks.now);
  };
  const lfuTouch = (o: RObject): void => {
    const now = ks.now;
    if (o.lru === 0 || o.seq === 0) {
      o.lru = (lfuMinutes(now) << 8) | LFU_INIT_VAL;
      return;
    }
    const c = lfuLogIncr(lfuDecrAndReturn(o.lru, now, cfg.num('lfu-decay-time')), cfg.num('lfu-log-factor'));
    o.lru = (lfuMinutes(now) << 8) | c;
  };
  const apply = (policy: string) => {
    ks.touch = policy.includes('lfu') ? lfuTouch : lruTouch;
  };
  apply(cfg.str('maxmemory-policy'));
  cfg.onChange('maxmemory-policy', (v) => apply(String(v)));
}
