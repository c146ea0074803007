/**
 * The keyspace: numbered databases, each a Map from key to value object plus a Map of expire times.
 *
 * Keys are latin1 strings (one char per byte). Expire times are absolute Unix times in ms, as in
 * Redis's `expires` dict. No sockets here: the server installs callbacks on the Keyspace for the
 * things a key change must trigger elsewhere (WATCH, blocked clients, notifications, propagation).
 * Source: Redis 7.0 `db.c` (lookupKey, dbAdd, setKey, dbDelete, expireIfNeeded).
 */

import { type ExpireMap, INLINE_MAX, SlabKeyTable } from './keyTable.js';
import { ObjType, RObject } from './robject.js';
import type { SlotIndex } from './slotIndex.js';

export { ObjType, RObject, TYPE_NAMES } from './robject.js';

/** Bytes of a value inside the keyspace table: buf[start, end). */
export interface ValueView {
  buf: Buffer;
  start: number;
  end: number;
}

const EMPTY = Buffer.alloc(0);
const noTouch = (_o: RObject): void => {};

/** What Db.lookupReadView() returns when the value's bytes are in Db.view (a string, type checked). */
export const STRING_VIEW = new RObject(ObjType.String, '');
/** The value object addStringBytes hands the table for its eviction bits and seq (never stored). */
const loadScratch = new RObject(ObjType.String, '');

/** Callbacks the server installs so that store changes reach WATCH, blocking, pub/sub and the AOF. */
export interface KeyspaceHooks {
  /** A key's value changed or it was deleted (Redis signalModifiedKey: WATCH, client tracking). */
  keyModified(db: Db, key: string): void;
  /**
   * A whole db is about to be emptied (FLUSHDB, FLUSHALL) or, with `replacedWith`, to get that
   * db's contents (SWAPDB): touches WATCHed keys (Redis touchAllWatchedKeysInDb). Called before
   * the change, so both contents can still be read.
   */
  dbCleared?(db: Db, replacedWith?: Db): void;
  /** A key was created (Redis dbAdd → signalKeyAsReady): wakes clients blocked on it. */
  keyAdded?(db: Db, key: string): void;
  /** A key expired lazily or actively: notify and propagate a DEL (Redis deleteExpiredKeyAndPropagate). */
  keyExpired(db: Db, key: string): void;
}

/** Counters the keyspace maintains, reported by INFO stats under Redis's names. */
export class KeyspaceStats {
  keyspace_hits = 0;
  keyspace_misses = 0;
  expired_keys = 0;
  evicted_keys = 0;
}

/**
 * The keyspace table as the rest of Keydra sees it: a read-only key → RObject map (size, get, has,
 * iteration). Iteration is in insertion order (or newest first), which is seq order (RObject.seq), and iterators stay
 * valid while the table changes (deleted keys are skipped, added ones come later): the background
 * snapshot (src/persistence/snapshot.ts), SCAN (src/store/scan.ts) and eviction sampling rely on it.
 * A db replaces its table object on FLUSHDB and SWAPDB, so a holder of the old one (a snapshot, a
 * lazy free, a parked SCAN) keeps the old contents. Every change goes through Db's methods; this is
 * the seam behind which the table's storage can change (issue 19: an off-heap table).
 */
export type KeyTable = ReadonlyMap<string, RObject> & {
  /** [key, value] pairs newest first, live (SlabKeyTable.entriesNewestFirst; the snapshot's order). */
  entriesNewestFirst(): IterableIterator<[string, RObject]>;
};

/** A numbered database (SELECT index): the main dict and the expires dict. */
export class Db {
  /** The main dict (key → value object); read it through `table`, change it through the methods below. */
  private dict = new SlabKeyTable();
  /**
   * The expires dict (key → unix time in ms), kept in the table (SlabKeyTable.expires): a key's
   * expire goes with it on delete. A new object after clear(), swapContents(), adoptContents().
   */
  get expires(): ExpireMap {
    return this.dict.expires;
  }
  /** Average TTL estimate for INFO keyspace avg_ttl (ms), maintained by the active expire cycle. */
  avgTtl = 0;
  /**
   * Keys by hash slot (src/store/slotIndex.ts) on db 0 of a cluster node (cluster-enabled yes),
   * kept in step with `dict` by add/setKey/setString/deleteKey/clear; null otherwise.
   */
  slots: SlotIndex | null = null;

  constructor(
    public readonly id: number,
    public readonly ks: Keyspace,
  ) {}

  /** Number of keys (DBSIZE), including keys logically expired but not yet reclaimed. */
  get size(): number {
    return this.dict.size;
  }

  /** The current table, read-only (see KeyTable): a new object after clear(), swapContents(), adoptContents(). */
  get table(): KeyTable {
    return this.dict;
  }

  /** Bytes of the expire times kept in the table (MEMORY STATS overhead.hashtable.expires), exact. */
  get expireBytes(): number {
    return this.dict.expireBytes;
  }

  /** Bytes of the table's own structures (index, entry arrays, key slab, value pointers), exact. */
  get tableBytes(): number {
    return this.dict.externalBytes - this.dict.expireBytes + 8 * this.dict.size;
  }

  /** A uniformly random key (logically expired or not), O(1) expected; undefined when empty. */
  randomKey(): string | undefined {
    return this.dict.randomKey();
  }

  /** Bytes of the table outside V8's heap (index, entry arrays, key and small-value slab), exact. */
  get offHeapBytes(): number {
    return this.dict.externalBytes;
  }

  /** Estimated bytes of the value objects (all but inline strings): SlabKeyTable.valueBytes. */
  get valueBytes(): number {
    return this.dict.valueBytes;
  }

  /** Bytes of the table in use: its index, live entries and live slab bytes (KeyTable.usedBytes). */
  get tableUsedBytes(): number {
    return this.dict.usedBytes;
  }

  /** True if the key is in the table, logically expired or not: no expiry, no stats, no touch. */
  hasKey(key: string): boolean {
    return this.dict.has(key);
  }

  /**
   * SWAPDB: exchanges this db's keys, expires and avg_ttl with `other`'s (both keep their own ids).
   * The caller signals watched keys and blocked clients. Source: Redis 7.0 db.c dbSwapDatabases.
   */
  swapContents(other: Db): void {
    [this.dict, other.dict] = [other.dict, this.dict];
    [this.avgTtl, other.avgTtl] = [other.avgTtl, this.avgTtl];
    this.slots?.rebuild(this.dict.keys());
    other.slots?.rebuild(other.dict.keys());
  }

  /**
   * Takes `src`'s keys, expires and avg_ttl in place of this db's (a replica's swapdb load: Redis
   * swapMainDbWithTempDb); `src` is left sharing them and must not be used afterwards. Rebuilds the
   * per-slot index of a cluster node.
   */
  adoptContents(src: Db): void {
    this.dict = src.dict;
    this.avgTtl = src.avgTtl;
    this.slots?.rebuild(this.dict.keys());
  }

  /**
   * Deletes the key if its expire time has passed (Redis expireIfNeeded).
   * @returns true if the key is (now) absent because it expired.
   */
  expireIfNeeded(key: string, forceDelete = false): boolean {
    const when = this.expires.get(key);
    if (when === undefined || when > this.ks.now || this.ks.loading) return false;
    // A replica hides expired keys but never deletes them (the primary sends the DEL), except for
    // a write on a writable replica (`forceDelete`); the primary's own commands see them as
    // existing (Redis expireIfNeeded: current_client == master, EXPIRE_FORCE_DELETE_EXPIRED).
    if (this.ks.replicaMode) {
      if (this.ks.applyingPrimary) return false;
      if (!forceDelete) return true;
    }
    if (this.ks.expirePaused) return true;
    this.deleteKey(key);
    this.ks.stats.expired_keys++;
    this.ks.hooks.keyExpired(this, key);
    return true;
  }

  /**
   * Reads the table ahead for a batch of keys given as byte spans (SlabKeyTable.prefetch): a hint
   * before a pipeline's commands run, with no effect but warmer caches.
   */
  prefetch(buf: Uint8Array, spans: Int32Array, n: number): number {
    return this.dict.prefetch(buf, spans, n);
  }

  /** Looks a key up for reading: lazy expiry, LRU/LFU touch, hit/miss stats (lookupKeyRead). */
  lookupRead(key: string): RObject | undefined {
    const o = this.dict.get(key);
    if (o === undefined) {
      this.ks.stats.keyspace_misses++;
      return undefined;
    }
    if (this.expires.size !== 0 && this.expireIfNeeded(key)) {
      this.ks.stats.keyspace_misses++;
      return undefined;
    }
    this.ks.stats.keyspace_hits++;
    this.ks.touch(o);
    this.dict.touched(o);
    return o;
  }

  /**
   * lookupRead for a reply of the value's bytes (GET): the same effects, but a small string kept
   * inline in the table is not copied out: its bytes are described by `view` (slab, start, end;
   * valid until the next keyspace change) and STRING_VIEW is returned. Otherwise the value object,
   * or undefined when the key is missing.
   */
  lookupReadView(key: string): RObject | undefined {
    const t = this.dict;
    const id = t.locate(key);
    if (id < 0 || (this.expires.size !== 0 && this.expireIfNeeded(key))) {
      this.ks.stats.keyspace_misses++;
      return undefined;
    }
    this.ks.stats.keyspace_hits++;
    if (t.viewAt(id, this.view, this.ks.touch)) return STRING_VIEW;
    const o = t.objAt(id);
    this.ks.touch(o);
    return o;
  }

  /** Where lookupReadView() leaves an inline string's bytes. */
  readonly view: ValueView = { buf: EMPTY, start: 0, end: 0 };

  /** Looks a key up for writing: lazy expiry and LRU/LFU touch, no hit stats (lookupKeyWrite). */
  lookupWrite(key: string): RObject | undefined {
    const o = this.dict.get(key);
    if (o === undefined) return undefined;
    if (this.expires.size !== 0 && this.expireIfNeeded(key, this.ks.writableReplica)) return undefined;
    if (this.ks.beforeWrite !== null) this.ks.beforeWrite(this, key);
    this.ks.touch(o);
    this.dict.touched(o);
    this.dict.markWritten(key); // it may change in place: estimated again (valueBytes)
    return o;
  }

  /**
   * lookupWrite for a command that reads a string and writes a new one (INCR, DECR): the same
   * effects, but a small string kept inline is not copied out: its bytes are described by `view`
   * and STRING_VIEW is returned (then write with storeString). Otherwise the value object, or
   * undefined when the key is missing.
   */
  lookupWriteView(key: string): RObject | undefined {
    const t = this.dict;
    const id = t.locate(key);
    if (id < 0) return undefined;
    if (this.expires.size !== 0 && this.expireIfNeeded(key, this.ks.writableReplica)) return undefined;
    if (this.ks.beforeWrite !== null) this.ks.beforeWrite(this, key); // reads only: `id` stays valid
    if (t.viewAt(id, this.view, this.ks.touch)) return STRING_VIEW;
    const o = t.objAt(id);
    this.ks.touch(o);
    t.markWritten(key);
    return o;
  }

  /**
   * Replaces the value of an existing string key by `val` (not raw), keeping its place, seq,
   * eviction metadata and TTL; no hooks (the caller signals the modification). For a key
   * lookupWriteView() just returned STRING_VIEW or an object for.
   */
  storeString(key: string, val: string): void {
    const t = this.dict;
    const id = t.locate(key);
    if (t.overwriteInline(id, val, noTouch)) return;
    const o = t.objAt(id);
    o.value = val;
    o.raw = false;
    t.set(key, o);
  }

  /**
   * storeString(key, String(n)) for a safe integer `n` (INCR, DECR): the digits go straight into
   * an inline value with room for them, else through storeString.
   */
  storeInteger(key: string, n: number): void {
    const t = this.dict;
    if (t.overwriteInlineInt(t.locate(key), n, noTouch)) return;
    this.storeString(key, String(n));
  }

  /** Looks a key up without side effects on LRU or stats, but still honouring expiry (LOOKUP_NOTOUCH). */
  peek(key: string): RObject | undefined {
    const o = this.dict.get(key);
    if (o === undefined) return undefined;
    if (this.expires.size !== 0 && this.expireIfNeeded(key)) return undefined;
    return o;
  }

  /** True if the key exists and is not expired. */
  exists(key: string): boolean {
    return this.peek(key) !== undefined;
  }

  /**
   * Adds a new key or overwrites an existing one (Redis setKey). Unless keepTtl, any expire is
   * removed. Signals the modification (WATCH).
   */
  setKey(key: string, obj: RObject, keepTtl = false): void {
    if (this.ks.beforeWrite !== null) this.ks.beforeWrite(this, key);
    const old = this.dict.get(key);
    if (old !== undefined) {
      obj.lru = old.lru;
      obj.seq = old.seq;
    } else {
      this.ks.touch(obj);
      obj.seq = ++seqCounter;
      if (this.slots !== null) this.slots.add(key);
    }
    this.dict.set(key, obj);
    if (!keepTtl && this.expires.size !== 0) this.expires.delete(key);
    this.ks.hooks.keyModified(this, key);
    if (old === undefined) this.ks.hooks.keyAdded?.(this, key);
  }

  /**
   * SET's write path: the same effects as `lookupWrite(key)` followed by
   * `setKey(key, new RObject(ObjType.String, val), keepTtl)` (lazy expiry, beforeWrite, one
   * LRU/LFU touch, expire removed unless keepTtl, keyModified, keyAdded for a new key) with fewer
   * Map operations: an existing string key is overwritten in place (one lookup, no allocation; its
   * seq and eviction metadata stay, as setKey copies them), a new key costs one lookup and one
   * insert. Source: Redis 7.0 t_string.c setGenericCommand → db.c setKey (dbOverwrite/dbAdd).
   * @returns true if the key existed (and was not expired).
   */
  setString(key: string, val: string, keepTtl = false): boolean {
    if (this.expires.size !== 0) this.expireIfNeeded(key, this.ks.writableReplica);
    const ks = this.ks;
    const t = this.dict;
    const id = t.locate(key);
    if (id >= 0) {
      if (t.typeAt(id) !== ObjType.String) {
        this.lookupWrite(key);
        this.setKey(key, new RObject(ObjType.String, val), keepTtl);
        return true;
      }
      if (ks.beforeWrite !== null) ks.beforeWrite(this, key); // reads only: `id` stays valid
      if (!t.overwriteInline(id, val, ks.touch)) {
        const old = t.objAt(id);
        ks.touch(old);
        old.value = val;
        if (old.bits < 0) old.raw = false; // a new value: its encoding follows it again
        t.set(key, old); // inline again if it fits; an object value stays the same object
      }
      if (!keepTtl && this.expires.size !== 0) this.expires.delete(key);
      ks.hooks.keyModified(this, key);
      return true;
    }
    if (ks.beforeWrite !== null) ks.beforeWrite(this, key);
    const obj = new RObject(ObjType.String, val);
    ks.touch(obj);
    obj.seq = ++seqCounter;
    this.dict.set(key, obj);
    if (this.slots !== null) this.slots.add(key);
    ks.hooks.keyModified(this, key);
    ks.hooks.keyAdded?.(this, key);
    return false;
  }

  /**
   * Stores back a value object a command changed in place (a string's value or raw flag, its
   * eviction metadata): the table may keep small strings as bytes, so the object a lookup returned
   * can be a copy. No hooks, no touch; the caller signals the modification.
   */
  storeValue(key: string, o: RObject): void {
    this.dict.set(key, o);
  }

  /** Sizes the table for `n` keys in all (RDB loading's RESIZEDB hint, Redis dictExpand). */
  reserveKeys(n: number): void {
    this.dict.reserveKeys(n);
  }

  /** Adds a key that must not exist yet (Redis dbAdd); caller signals the modification. */
  add(key: string, obj: RObject): void {
    this.ks.touch(obj);
    obj.seq = ++seqCounter;
    this.dict.set(key, obj);
    if (this.slots !== null) this.slots.add(key);
    this.ks.hooks.keyAdded?.(this, key);
  }

  /**
   * add() for a string value given as bytes `src[start, end)` (RDB loading), kept inline in the
   * table without a value string or object. @returns false (nothing done) when it is longer than
   * INLINE_MAX: then use add(). The key must not exist.
   */
  addStringBytes(key: string, src: Uint8Array, start: number, end: number): boolean {
    if (end - start > INLINE_MAX) return false;
    const o = loadScratch;
    this.ks.touch(o);
    o.seq = ++seqCounter;
    this.dict.insertInlineBytes(key, src, start, end, o);
    if (this.slots !== null) this.slots.add(key);
    this.ks.hooks.keyAdded?.(this, key);
    return true;
  }

  /** Removes a key and its expire (Redis dbDelete, without signalling). @returns true if it existed. */
  deleteKey(key: string): boolean {
    if (this.ks.beforeWrite !== null) this.ks.beforeWrite(this, key);
    if (!this.dict.delete(key)) return false;
    if (this.expires.size !== 0) this.expires.delete(key);
    if (this.slots !== null) this.slots.remove(key);
    return true;
  }

  /** Deletes a live key and signals the modification (DEL, UNLINK). @returns true if it existed. */
  delete(key: string): boolean {
    if (this.expires.size !== 0) this.expireIfNeeded(key);
    if (!this.deleteKey(key)) return false;
    this.ks.hooks.keyModified(this, key);
    return true;
  }

  /** Sets an absolute expire time in ms on an existing key. */
  setExpire(key: string, whenMs: number): void {
    if (this.ks.beforeWrite !== null) this.ks.beforeWrite(this, key);
    this.expires.set(key, whenMs);
    // A client's key with a TTL on a writable replica: the replica expires it itself.
    if (this.ks.writableReplica && !this.ks.applyingPrimary) this.ks.replicaKeysWithExpire.add(`${this.id}\0${key}`);
  }

  /** The absolute expire time in ms, or -1 when the key has none. */
  getExpire(key: string): number {
    return this.expires.get(key) ?? -1;
  }

  /** Removes the expire of a key. @returns true if it had one. */
  removeExpire(key: string): boolean {
    if (this.ks.beforeWrite !== null) this.ks.beforeWrite(this, key);
    return this.expires.delete(key);
  }

  /** Empties the db (FLUSHDB). @returns the number of keys removed. */
  clear(): number {
    const n = this.dict.size;
    if (n > 0) this.ks.hooks.dbCleared?.(this);
    this.dict = new SlabKeyTable();
    this.avgTtl = 0;
    if (this.slots !== null) this.slots.clear();
    return n;
  }
}

/**
 * All databases plus the shared clock and counters.
 * `now` is the command-time snapshot (ms), set once per command by the dispatcher, so that one
 * command (or a whole MULTI/EXEC or script) sees a single time (Redis cmd_time_snapshot).
 */
export class Keyspace {
  readonly dbs: Db[] = [];
  /** Unix time in ms of the current command. */
  now = Date.now();
  /** As a replica, expired keys are hidden but not deleted (the master sends the DEL). */
  replicaMode = false;
  /** A dataset is being loaded: nothing expires meanwhile (Redis keyIsExpired while server.loading). */
  loading = false;
  /** True while a replica runs its primary's stream: expired keys still exist for those commands. */
  applyingPrimary = false;
  /** A replica with replica-read-only no: writes delete the expired keys they look up (Redis lookupKey). */
  writableReplica = false;
  /**
   * `${dbId}\0${key}` of keys given a TTL by clients of a writable replica, which the replica
   * expires itself (Redis slaveKeysWithExpire, expireSlaveKeys).
   */
  readonly replicaKeysWithExpire = new Set<string>();
  /**
   * While CLIENT PAUSE is in force the dataset stays static: expired keys are hidden but neither
   * deleted nor propagated, and the active expire cycle skips (Redis 7.0 db.c expireIfNeeded,
   * expire.c activeExpireCycle: checkClientPauseTimeoutAndReturnIfPaused).
   */
  expirePaused = false;
  /**
   * Called before a key's value, expire or existence changes (lookupWrite, setKey, deleteKey,
   * setExpire, removeExpire): a background snapshot saves the old value first (copy-on-write at
   * key granularity, src/persistence/snapshot.ts). FLUSHDB/SWAPDB replace or move whole Maps,
   * which a snapshot keeps references to, so they need no call. null when no snapshot runs.
   */
  beforeWrite: ((db: Db, key: string) => void) | null = null;
  readonly stats = new KeyspaceStats();
  /**
   * Called on every key access (eviction metadata); replaced by the eviction module. Default:
   * the LRU clock (lruClock: 1/16 s units; OBJECT IDLETIME reads it).
   */
  touch: (o: RObject) => void = (o) => {
    o.lru = lruClock(this.now);
  };

  constructor(
    count: number,
    public hooks: KeyspaceHooks,
  ) {
    for (let i = 0; i < count; i++) this.dbs.push(new Db(i, this));
  }

  /** Bytes the dbs' keyspace tables hold outside V8's heap (index, entry arrays, slabs), exact. */
  get offHeapBytes(): number {
    let n = 0;
    for (const db of this.dbs) n += db.offHeapBytes;
    return n;
  }

  /** Estimated bytes of the dbs' value objects (used_memory; SlabKeyTable.valueBytes). */
  get valueBytes(): number {
    let n = 0;
    for (const db of this.dbs) n += db.valueBytes;
    return n;
  }

  /** Bytes of the dbs' keyspace tables in use (used_memory: what writes added and deletes did not take back). */
  get tableUsedBytes(): number {
    let n = 0;
    for (const db of this.dbs) n += db.tableUsedBytes;
    return n;
  }

  /** Total number of keys in all dbs. */
  get totalKeys(): number {
    let n = 0;
    for (const db of this.dbs) n += db.size;
    return n;
  }
}

/** Source of RObject.seq. */
let seqCounter = 0;

/** The last RObject.seq handed out: keys with a greater seq were added after this moment. */
export function currentSeq(): number {
  return seqCounter;
}

/**
 * The LRU clock: Redis's LRU_CLOCK (seconds, 24 bits) with 4 more bits of resolution, i.e. 1/16 s
 * units wrapping at 28 bits (every 2^24 s, as Redis's). @param nowMs Unix ms.
 */
export function lruClock(nowMs: number): number {
  return Math.floor(nowMs / 62.5) & 0xfffffff;
}
