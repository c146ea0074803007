/**
 * Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
 *
 * The dispatcher queues commands while `c.multi` is non-null (answering +QUEUED) and flags the
 * transaction when a command is rejected at queue time (EXEC then answers EXECABORT). EXEC runs
 * the queue through `call` with `execDepth` raised, so the writes propagate as one MULTI/EXEC unit
 * and no other client runs in between (handlers are synchronous). WATCH is optimistic locking:
 * any modification of a watched key (by anyone, expiry and FLUSH included) makes EXEC answer nil.
 * Source: Redis 7.0 docs (Transactions) and multi.c.
 */
import { loadLuaVM, luaReady } from '../../scripting/engine.js';
import { ERR_DISCARD_WITHOUT_MULTI, ERR_EXEC_WITHOUT_MULTI, ERR_EXECABORT, ERR_MULTI_NESTED } from '../../errors.js';
import type { Client } from '../../server/client.js';
import { aclExecCheck } from '../../server/acl.js';
import { call, resolveCommand } from '../../server/dispatch.js';
import type { KeydraServer } from '../../server/server.js';
import type { Db } from '../../store/db.js';
import type { CommandDef } from '../types.js';

/** Watchers per `${dbId}\0${key}`, per server. Hooks are installed on first use. */
const watchers = new WeakMap<KeydraServer, Map<string, Set<Client>>>();

function watchMap(server: KeydraServer): Map<string, Set<Client>> {
  let m = watchers.get(server);
  if (m === undefined) {
    const map = new Map<string, Set<Client>>();
    m = map;
    watchers.set(server, map);
    server.keyModifiedHooks.push((db: Db, key: string) => {
      if (map.size === 0) return;
      const k = `${db.id}\0${key}`;
      const set = map.get(k);
      if (set === undefined) return;
      for (const c of set) {
        // A key already expired when watched that is now deleted: logically no change (touchWatchedKey).
        if (c.watchedStale?.has(k) && !db.hasKey(key)) c.watchedStale.delete(k);
        else c.dirtyCas = true;
      }
    });
    server.dbClearedHooks.push((db: Db, replacedWith?: Db) => {
      // FLUSHDB/FLUSHALL/SWAPDB (Redis touchAllWatchedKeysInDb): a watched key that exists in the
      // emptied db or in the one replacing it is touched, but for expired keys that stay
      // logically absent.
      const prefix = `${db.id}\0`;
      const now = server.keyspace.now;
      const expired = (d: Db, key: string) => (d.expires.get(key) ?? Number.POSITIVE_INFINITY) <= now;
      for (const [k, set] of map) {
        if (!k.startsWith(prefix)) continue;
        const key = k.slice(prefix.length);
        const inEmptied = db.hasKey(key);
        const inReplacement = replacedWith?.hasKey(key) ?? false;
        if (!inEmptied && !inReplacement) continue;
        for (const c of set) {
          if (c.watchedStale?.has(k)) {
            if (!inReplacement) {
              c.watchedStale.delete(k); // the expired key is deleted: no logical change
              continue;
            }
            if (expired(replacedWith as Db, key)) continue; // still expired
          } else if (!inEmptied && expired(replacedWith as Db, key)) {
            (c.watchedStale ??= new Set()).add(k); // absent key replaced by an expired one
            continue;
          }
          c.dirtyCas = true;
        }
      }
    });
    server.clientFreeHooks.push((c: Client) => unwatchAll(c));
  }
  return m;
}

/** Removes every WATCH of a client (UNWATCH, EXEC, DISCARD, RESET, disconnect). */
export function unwatchAll(c: Client): void {
  if (c.watched.size === 0) return;
  const map = watchMap(c.server);
  for (const k of c.watched) {
    const set = map.get(k);
    if (set === undefined) continue;
    set.delete(c);
    if (set.size === 0) map.delete(k);
  }
  c.watched.clear();
  c.watchedExpiring = null;
  c.watchedStale = null;
}

/** Ends a transaction: drops the queue and flags, and unwatches (Redis discardTransaction). */
export function discardTransaction(c: Client): void {
  c.multi = null;
  c.multiError = false;
  c.multiFlags = 0;
  c.multiInvFlags = 0;
  c.dirtyCas = false;
  unwatchAll(c);
}

/** MULTI: starts queueing (`ERR MULTI calls can not be nested`). */
function multiCommand(c: Client): void {
  if (c.multi !== null) {
    c.error(ERR_MULTI_NESTED);
    return;
  }
  c.multi = [];
  // A script queued in the transaction cannot wait for the Lua VM at EXEC: start loading it now.
  if (!luaReady()) loadLuaVM().catch(() => {});
  c.reply.ok();
}

/** DISCARD: drops the queued commands (`ERR DISCARD without MULTI`). */
function discardCommand(c: Client): void {
  if (c.multi === null) {
    c.error(ERR_DISCARD_WITHOUT_MULTI);
    return;
  }
  discardTransaction(c);
  c.reply.ok();
}

/** True if a key watched while it had a TTL has expired since (Redis isWatchedKeyExpired). */
function watchedKeyExpired(c: Client): boolean {
  if (c.watchedExpiring === null) return false;
  const now = c.server.keyspace.now;
  for (const [dbId, key] of c.watchedExpiring) {
    const when = c.server.keyspace.dbs[dbId].expires.get(key);
    if (when !== undefined && when <= now) return true;
  }
  return false;
}

/**
 * EXEC: runs the queued commands atomically and replies an array of their replies; nil (null
 * array) if a watched key changed; EXECABORT if a command was rejected when queued.
 */
function execCommand(c: Client): void {
  const queue = c.multi;
  if (queue === null) {
    c.error(ERR_EXEC_WITHOUT_MULTI);
    return;
  }
  // A rejected queued command wins over a touched WATCH (Redis execCommand: DIRTY_EXEC first).
  if (c.multiError) {
    discardTransaction(c);
    c.error(ERR_EXECABORT);
    return;
  }
  if (c.dirtyCas || watchedKeyExpired(c)) {
    discardTransaction(c);
    c.reply.nullArray();
    return;
  }
  unwatchAll(c);
  c.reply.arrayLen(queue.length);
  c.server.execDepth++;
  execFrom(c, queue, 0);
  // The queued commands propagated themselves (as one MULTI/EXEC unit when more than one
  // wrote); EXEC itself is never propagated (Redis execCommand).
  c.server.preventPropagation = true;
}

/**
 * Runs queue[from..] of an EXEC. A script of the transaction that goes past busy-reply-threshold
 * is suspended (src/scripting/engine.ts): the transaction then waits, the rest runs when the
 * script ends (client.execContinuation), and other clients get -BUSY meanwhile, as in Redis.
 */
function execFrom(c: Client, queue: string[][], from: number): void {
  const server = c.server;
  let waiting = false;
  try {
    for (let i = from; i < queue.length; i++) {
      const argv = queue[i];
      // Commands were validated when queued; resolve again to get the Command object.
      const cmd = resolveCommand(c, argv);
      if (cmd !== null && (c.unrestricted || aclExecCheck(c, cmd, argv))) call(c, cmd, argv);
      if (c.scriptSuspended) {
        c.execContinuation = () => execFrom(c, queue, i + 1);
        waiting = true;
        return;
      }
    }
  } finally {
    if (!waiting) {
      server.execDepth--;
      c.multi = null;
      c.multiError = false;
      c.multiFlags = 0;
      c.multiInvFlags = 0;
      c.dirtyCas = false;
    }
  }
  if (server.execDepth === 0) server.flushPropagation();
}

/** WATCH key [key ...] (`ERR WATCH inside MULTI is not allowed`). */
function watchCommand(c: Client, argv: string[]): void {
  if (c.multi !== null) {
    c.error('ERR WATCH inside MULTI is not allowed');
    return;
  }
  const map = watchMap(c.server);
  for (let i = 1; i < argv.length; i++) {
    const k = `${c.db.id}\0${argv[i]}`;
    if (c.watched.has(k)) continue;
    c.watched.add(k);
    const set = map.get(k);
    if (set) set.add(c);
    else map.set(k, new Set([c]));
    // No lookup (which would expire the key): a key past its expire is watched as stale
    // (Redis watchForKey: keyIsExpired), one with a future expire is checked again at EXEC.
    const when = c.db.expires.get(argv[i]);
    if (when !== undefined && c.db.hasKey(argv[i])) {
      if (when <= c.server.keyspace.now) (c.watchedStale ??= new Set()).add(k);
      else (c.watchedExpiring ??= []).push([c.db.id, argv[i]]);
    }
  }
  c.reply.ok();
}

/** UNWATCH: forgets every watched key. */
function unwatchCommand(c: Client): void {
  unwatchAll(c);
  c.dirtyCas = false;
  c.reply.ok();
}

const commands: CommandDef[] = [
  { name: 'multi', handler: multiCommand },
  { name: 'exec', handler: execCommand },
  { name: 'discard', handler: discardCommand },
  { name: 'watch', handler: watchCommand },
  { name: 'unwatch', handler: unwatchCommand },
];
export default commands;
