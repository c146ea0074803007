/**
 * The value object stored under a key (Redis robj) and the value types. Kept apart from db.ts so
 * the keyspace table (src/store/keyTable.ts) and the Db (src/store/db.ts) both build on it.
 * Source: Redis 7.0 server.h (robj, OBJ_* types).
 */

/** Value types, numbered as Redis's OBJ_* constants (also RDB's type families). */
export const enum ObjType {
  String = 0,
  List = 1,
  Set = 2,
  ZSet = 3,
  Hash = 4,
  Stream = 6,
}

/** Names TYPE replies with, indexed by ObjType. */
export const TYPE_NAMES: readonly string[] = ['string', 'list', 'set', 'zset', 'hash', 'module', 'stream'];

/**
 * A value stored under a key (Redis robj). `value` is a latin1 string for strings and the
 * family's structure otherwise (see src/store/). `type` and `lru` are accessors over one packed
 * small integer (`bits`: type in the low 3 bits, eviction metadata above) and `seq` is a small
 * integer for the first 2^31 insertions, so an RObject is 3 tagged fields (48 bytes on 64-bit V8)
 * with no boxed double: a string key costs key string + value string + 48 + the Map entry.
 */
export class RObject {
  /** `type | (lru << 3)`, an int32 (a V8 Smi, never a heap number). */
  bits: number;
  /**
   * Monotonic insertion number, assigned when the key is added to a db (add/setKey of a new key),
   * so a db's Map order is seq order: SCAN's fallback cursor (src/store/scan.ts). 0 = unknown.
   */
  seq = 0;
  constructor(
    type: ObjType,
    public value: unknown,
  ) {
    this.bits = type;
  }
  /** The value's type (ObjType). */
  get type(): ObjType {
    return (this.bits & 7) as ObjType;
  }
  /**
   * Eviction metadata, 28 bits, as Redis's 24-bit robj.lru but finer: under LRU the clock in
   * 1/16 s units (lruClock, wraps with Redis's 24-bit seconds clock); under LFU
   * `(minutes << 8) | counter` as Redis packs it.
   */
  get lru(): number {
    return (this.bits >>> 3) & 0x0fffffff;
  }
  set lru(v: number) {
    this.bits = (v << 3) | (this.bits & RAW_AND_TYPE);
  }
  /**
   * A string value changed in place (APPEND, SETRANGE, SETBIT, BITFIELD, BITOP's result): OBJECT
   * ENCODING reports `raw` whatever the value, as Redis's unshared sds strings (dbUnshareStringValue);
   * otherwise a string's encoding follows its value (int, embstr, raw). The sign bit of `bits`
   * (still a Smi on 64-bit V8).
   */
  get raw(): boolean {
    return this.bits < 0;
  }
  set raw(v: boolean) {
    this.bits = v ? this.bits | RAW_BIT : this.bits & ~RAW_BIT;
  }
}

/** `bits`: the raw-string flag (sign bit) and the type (low 3 bits). */
const RAW_BIT = 1 << 31;
const RAW_AND_TYPE = RAW_BIT | 7;

// V8 sizes a class's objects after its first constructions (in-object slack tracking); a full GC
// in the middle of them was seen to leave RObject's fields out of object (64 B instead of 48 B per
// key, test/unit/evict/layout.test.ts). Completing it at load time avoids that.
for (let i = 0; i < 8; i++) new RObject(ObjType.String, null).seq = 1;
