/**
 * Active expiry: reclaims volatile keys that are never accessed again.
 *
 * Each cron tick walks every db's expires Map with a persistent iterator (so successive ticks
 * cover all volatile keys round-robin, the way Redis's cycle walks hash buckets), checking up to
 * 20 keys per loop (ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP, scaled by active-expire-effort) and
 * repeating while more than 10% of the sampled keys were expired, within a time budget of 25% of
 * a tick (ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC).
 * Source: Redis 7.0 expire.c activeExpireCycle.
 */
import type { Config } from '../config/config.js';
import type { Db, Keyspace } from '../store/db.js';

/** The server as the expire cycle sees it (ExpireHost implements it): src/expire imports no server code. */
export interface ExpireHost {
  readonly keyspace: Keyspace;
  readonly config: Config;
  /** Sends the DELs of expired keys to the AOF and replicas. */
  flushPropagation(): void;
}

const iterators = new WeakMap<Db, { map: ReadonlyMap<string, number>; it: Iterator<[string, number]> }>();

/** Servers whose active expiry is switched off by DEBUG SET-ACTIVE-EXPIRE 0. */
export const activeExpireOff = new WeakSet<ExpireHost>();

let expireCycleHook: ((server: ExpireHost, ms: number) => void) | null = null;

/** Sets the function told each cycle's duration in ms (the latency monitor's `expire-cycle` event). */
export function onExpireCycle(f: (server: ExpireHost, ms: number) => void): void {
  expireCycleHook = f;
}

/** Runs one slow cycle over every db. @returns the number of keys reclaimed. */
export function activeExpireCycle(server: ExpireHost): number {
  if (server.keyspace.expirePaused) return 0; // CLIENT PAUSE: the dataset stays static
  if (activeExpireOff.has(server)) return 0;
  // A replica expires nothing itself: its primary sends a DEL for each expired key (Redis
  // serverCron runs activeExpireCycle only when iAmMaster()).
  if (server.keyspace.replicaMode) return expireReplicaKeys(server);
  const effort = server.config.num('active-expire-effort') - 1;
  const perLoop = 20 + 5 * effort;
  const acceptableStale = 10 - effort;
  const hz = Math.max(1, server.config.num('hz'));
  const budgetMs = ((25 + 2 * effort) * 1000) / hz / 100;
  const start = performance.now();
  const ks = server.keyspace;
  let reclaimed = 0;
  dbs: for (const db of ks.dbs) {
    if (db.expires.size === 0) continue;
    let state = iterators.get(db);
    if (state === undefined || state.map !== db.expires) {
      state = { map: db.expires, it: db.expires.entries() };
      iterators.set(db, state);
    }
    for (;;) {
      let sampled = 0;
      let expired = 0;
      let ttlSum = 0;
      let ttlSamples = 0;
      const now = ks.now;
      while (sampled < perLoop && db.expires.size > 0) {
        let r = state.it.next();
        if (r.done) {
          state.it = db.expires.entries();
          r = state.it.next();
          if (r.done) break;
        }
        sampled++;
        const [key, when] = r.value;
        if (when <= now) {
          if (db.expireIfNeeded(key)) {
            expired++;
            // Each reclaimed key propagates as its own DEL, not one huge MULTI/EXEC per cycle.
            server.flushPropagation();
          }
        } else {
          ttlSum += when - now;
          ttlSamples++;
        }
      }
      reclaimed += expired;
      if (ttlSamples > 0) {
        const avg = ttlSum / ttlSamples;
        db.avgTtl = db.avgTtl === 0 ? avg : (db.avgTtl / 50) * 49 + avg / 50;
      }
      if (sampled === 0 || (expired * 100) / sampled <= acceptableStale) break;
      if (performance.now() - start > budgetMs) break dbs;
    }
    if (performance.now() - start > budgetMs) break;
  }
  // The whole cycle's duration is the `expire-cycle` latency event (Redis activeExpireCycle).
  expireCycleHook?.(server, performance.now() - start);
  return reclaimed;
}

/**
 * A replica's own expiry (Redis expireSlaveKeys): only keys clients of a writable replica gave a
 * TTL; each one past its time is deleted. Keys that lost their TTL or are gone are forgotten.
 * @returns the number of keys deleted.
 */
function expireReplicaKeys(server: ExpireHost): number {
  const ks = server.keyspace;
  const set = ks.replicaKeysWithExpire;
  if (set.size === 0) return 0;
  const now = ks.now;
  let n = 0;
  let checked = 0;
  for (const id of set) {
    if (++checked > 1000) break;
    const sep = id.indexOf('\0');
    const db = ks.dbs[Number(id.slice(0, sep))];
    const key = id.slice(sep + 1);
    const when = db?.expires.get(key);
    if (db === undefined || when === undefined) set.delete(id);
    else if (when <= now) {
      set.delete(id);
      if (db.expireIfNeeded(key, true)) {
        n++;
        server.flushPropagation();
      }
    }
  }
  return n;
}
