/**
 * Lazy free (Redis 7.0 lazyfree.c): UNLINK, FLUSHDB/FLUSHALL ASYNC and the lazyfree-lazy-*
 * options hand big values to a background job instead of freeing them in the command.
 *
 * In Node the bytes of a dropped value come back when V8 collects it, so "freeing" is: the
 * command detaches the value (the key is gone at once), and a job on a later event-loop turn
 * walks what was queued (a flushed db in slices of FREE_SLICE keys), adds up the values' bytes
 * and counts them in INFO's `lazyfree_pending_objects` / `lazyfreed_objects` (used_memory fell
 * at once: a value detached from the keyspace table stops counting, src/evict). When the job
 * has dropped at least a quarter of the heap in use, or emptied the keyspace, it asks V8 for a
 * major GC: marking costs what is live, so that GC's work is at most about three times the
 * memory it gives back, or small (Redis pays per freed allocation, in its bio thread); a small
 * value freed from a big dataset never triggers one. A synchronous FLUSHDB/FLUSHALL goes through
 * the same job (not counted as lazy freed objects), so its garbage is collected too.
 *
 * Values whose free effort (lazyfreeGetFreeEffort) is at most LAZYFREE_THRESHOLD are dropped
 * in the command, as Redis frees them synchronously.
 */
import { estimateKeyBytes, evictorOf, gcFunction, noteMajorGc } from '../../evict/index.js';
import type { KeydraServer } from '../../server/server.js';
import { type KeyTable, ObjType, type RObject } from '../../store/db.js';
import type { QuickList } from '../../store/quicklist.js';
import type { Stream } from '../../store/stream.js';

/** Redis LAZYFREE_THRESHOLD: values with a higher free effort are freed in the background. */
export const LAZYFREE_THRESHOLD = 64;
/** Keys of a flushed db accounted per event-loop turn. */
const FREE_SLICE = 4096;
/** Elements per quicklist node assumed for a list's effort (8 KB nodes of ~64-byte elements). */
const LIST_NODE_ELEMENTS = 128;

/** One queued unit: a value, or a whole flushed db's dict. */
type Job =
  | { obj: RObject; key: string }
  | { dict: KeyTable; iter: Iterator<[string, RObject]>; count: number; counted: boolean };

/** Lazy free state of one server. */
export class LazyFree {
  /** Objects queued and not freed yet (Redis lazyfree_objects). */
  pending = 0;
  /** Objects freed by the job since start or CONFIG RESETSTAT (Redis lazyfreed_objects). */
  freed = 0;
  private queue: Job[] = [];
  private scheduled = false;
  /** Bytes dropped since the last GC request. */
  private droppedBytes = 0;

  constructor(readonly server: KeydraServer) {}

  /** Queues a detached value (Redis freeObjAsync past the threshold). */
  addObject(key: string, obj: RObject): void {
    this.pending++;
    this.queue.push({ obj, key });
    this.schedule();
  }

  /**
   * Queues a flushed db's dict of `count` keys (Redis emptyDbAsync). `counted` false: a
   * synchronous flush, already gone for the client and not a lazy free for INFO; only its bytes
   * are accounted (and may lead to a GC) in the background.
   */
  addDict(dict: KeyTable, count: number, counted = true): void {
    if (counted) this.pending += count;
    this.queue.push({ dict, iter: dict.entries(), count, counted });
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.run());
  }

  /** The background job: one slice of the queue per turn. */
  private run(): void {
    this.scheduled = false;
    const ev = evictorOf(this.server);
    let budget = FREE_SLICE;
    while (this.queue.length > 0 && budget > 0) {
      const job = this.queue[0];
      if ('obj' in job) {
        this.droppedBytes += estimateKeyBytes(job.key, job.obj, 1);
        this.pending--;
        this.freed++;
        this.queue.shift();
        budget -= LAZYFREE_THRESHOLD;
        continue;
      }
      let bytes = 0;
      for (; budget > 0; budget--) {
        const r = job.iter.next();
        if (r.done) break;
        bytes += estimateKeyBytes(r.value[0], r.value[1], 1);
      }
      this.droppedBytes += bytes;
      if (budget > 0) {
        // The whole dict was walked: its keys count as freed together (lazyfreeFreeDatabase).
        // (Not cleared: a running BGSAVE snapshot may still read the old dict.)
        if (job.counted) {
          this.pending -= job.count;
          this.freed += job.count;
        }
        this.queue.shift();
      }
    }
    if (this.queue.length > 0) this.schedule();
    else this.maybeCollect(ev);
  }

  /**
   * Asks V8 for a major GC when the dropped bytes are at least a quarter of the heap in use, or
   * the keyspace is now empty (then little is live and marking it is cheap).
   */
  private maybeCollect(ev: ReturnType<typeof evictorOf>): void {
    const dropped = this.droppedBytes;
    if (dropped === 0) return;
    if (dropped * 4 < ev.heapInUse() && this.server.keyspace.totalKeys > 0) return;
    this.droppedBytes = 0;
    // On a later turn: this job's frame may still hold the last value it dropped.
    setImmediate(collectGarbage);
  }
}

/** Runs a major GC through V8's gc extension (src/evict gcFunction), if it is available. */
function collectGarbage(): void {
  const gc = gcFunction();
  if (gc !== null) {
    gc();
    noteMajorGc();
  }
}

const states = new WeakMap<KeydraServer, LazyFree>();

/** The lazy free state of a server (created on first use). */
export function lazyfreeOf(server: KeydraServer): LazyFree {
  let s = states.get(server);
  if (s === undefined) {
    s = new LazyFree(server);
    states.set(server, s);
  }
  return s;
}

/**
 * Redis lazyfreeGetFreeEffort: about how many allocations freeing `o` takes. 1 for strings and
 * compact encodings (listpack, intset); elements of a hashtable set/hash or skiplist zset; nodes
 * of a list (estimated) or stream plus its groups times the first group's PEL size.
 */
export function freeEffort(o: RObject): number {
  const v = o.value as { encoding?: string; size?: number };
  switch (o.type) {
    case ObjType.List:
      return Math.ceil((o.value as QuickList).length / LIST_NODE_ELEMENTS);
    case ObjType.Set:
    case ObjType.Hash:
      return v.encoding === 'hashtable' ? (v.size ?? 1) : 1;
    case ObjType.ZSet:
      return v.encoding === 'skiplist' ? (v.size ?? 1) : 1;
    case ObjType.Stream: {
      const s = o.value as Stream;
      let effort = s.nodeCount;
      if (s.groups.size > 0) {
        const first = s.groups.values().next().value;
        effort += s.groups.size * (1 + (first?.pelSize ?? 0));
      }
      return effort;
    }
    default:
      return 1;
  }
}

/**
 * Frees a value detached from the keyspace (Redis freeObjAsync): in the background when its
 * effort passes LAZYFREE_THRESHOLD, else now (dropping the reference is all there is to do).
 */
export function freeObjectAsync(server: KeydraServer, key: string, o: RObject): void {
  if (freeEffort(o) > LAZYFREE_THRESHOLD) lazyfreeOf(server).addObject(key, o);
}

/** Frees a flushed db's dict of `count` keys in the background (Redis emptyDbAsync). */
export function freeDictAsync(server: KeydraServer, dict: KeyTable, count: number): void {
  if (count > 0) lazyfreeOf(server).addDict(dict, count);
}

/**
 * After a synchronous FLUSHDB/FLUSHALL: the keys are gone (Redis freed them in the command);
 * their bytes are accounted as freed in the background, which may run a GC, so that
 * used_memory falls as Redis's does. Not counted as lazy freed objects.
 */
export function accountFlushedDict(server: KeydraServer, dict: KeyTable, count: number): void {
  if (count > 0) lazyfreeOf(server).addDict(dict, count, false);
}
