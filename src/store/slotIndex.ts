/**
 * The per-slot key index of a cluster node's db 0 (Redis 7.0 db.c / cluster.c slots_to_keys:
 * slotToKeyAddEntry, slotToKeyDelEntry, slotToKeyFlush, countKeysInSlot, getKeysInSlot): for each
 * of the 16384 hash slots, the set of its keys, so that CLUSTER COUNTKEYSINSLOT is O(1) and
 * CLUSTER GETKEYSINSLOT, MIGRATE-driven resharding and delKeysInSlot touch only the slot's keys,
 * never scanning the keyspace.
 *
 * Db keeps one (`db.slots`) only when cluster-enabled is yes; otherwise `db.slots` is null and the
 * store pays one null check per key creation or deletion. Keys are latin1 strings (STYLE.md).
 */
import { keyHashSlot } from './keyslot.js';

/** Number of hash slots (Redis CLUSTER_SLOTS). */
const SLOTS = 16384;

/** Keys by hash slot (see module doc). A slot's Set is created on its first key. */
export class SlotIndex {
  private readonly sets: (Set<string> | undefined)[] = new Array<Set<string> | undefined>(SLOTS).fill(undefined);

  /** Records a key that was just added to the db (slotToKeyAddEntry). */
  add(key: string): void {
    const slot = keyHashSlot(key);
    let s = this.sets[slot];
    if (s === undefined) {
      s = new Set();
      this.sets[slot] = s;
    }
    s.add(key);
  }

  /** Forgets a key that was just deleted from the db (slotToKeyDelEntry). */
  remove(key: string): void {
    this.sets[keyHashSlot(key)]?.delete(key);
  }

  /** Forgets every key (slotToKeyFlush: FLUSHDB, FLUSHALL, a full resync). */
  clear(): void {
    this.sets.fill(undefined);
  }

  /** Rebuilds the index from a db's keys (a dataset swapped in whole: repl-diskless-load swapdb). */
  rebuild(keys: Iterable<string>): void {
    this.clear();
    for (const k of keys) this.add(k);
  }

  /** Number of keys in `slot` (0..16383), O(1) (countKeysInSlot). */
  count(slot: number): number {
    return this.sets[slot]?.size ?? 0;
  }

  /**
   * Up to `max` keys of `slot`, the most recently added first, as Redis's per-slot lists (keys
   * are linked in at the head) give them to CLUSTER GETKEYSINSLOT. O(keys of the slot).
   */
  keys(slot: number, max: number): string[] {
    const s = this.sets[slot];
    if (s === undefined || max <= 0 || s.size === 0) return [];
    const all = [...s];
    const out: string[] = [];
    for (let i = all.length - 1; i >= 0 && out.length < max; i--) out.push(all[i]);
    return out;
  }

  /**
   * Calls `fn` for each key of `slot`. The keys are copied first, so `fn` may delete keys (the
   * way delKeysInSlot empties a slot).
   */
  forEachKeyInSlot(slot: number, fn: (key: string) => void): void {
    const s = this.sets[slot];
    if (s === undefined || s.size === 0) return;
    for (const k of [...s]) fn(k);
  }

  /** Total number of keys indexed (equals the db's size; used by tests). */
  get size(): number {
    let n = 0;
    for (const s of this.sets) if (s !== undefined) n += s.size;
    return n;
  }
}
