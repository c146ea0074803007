/**
 * Keyspace-wide and process commands: DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, TIME, SHUTDOWN.
 * Source: Redis 7.0 db.c (flushdbCommand, flushallCommand, swapdbCommand), server.c
 * (timeCommand), db.c shutdownCommand / server.c prepareForShutdown.
 */
import { ERR_DB_INDEX, ERR_SWAPDB_CLUSTER, ERR_SYNTAX } from '../../errors.js';
import type { Client } from '../../server/client.js';
import type { Db } from '../../store/db.js';
import { isKeyword, parseIntOrReply } from '../args.js';
import type { CommandDef } from '../types.js';
import { accountFlushedDict, freeDictAsync } from '../keys/lazyfree.js';
import { getPersistence } from '../../persistence/index.js';

/** DBSIZE: keys in the selected db. */
function dbsizeCommand(c: Client): void {
  c.reply.integer(c.db.size);
}

/**
 * Parses FLUSHDB/FLUSHALL's optional ASYNC|SYNC (Redis getFlushCommandFlags); without one,
 * lazyfree-lazy-user-flush decides. @returns whether to free in the background, or null after
 * replying a syntax error.
 */
function flushArgs(c: Client, argv: string[]): boolean | null {
  if (argv.length > 2 || (argv.length === 2 && !isKeyword(argv[1], 'sync') && !isKeyword(argv[1], 'async'))) {
    c.error(ERR_SYNTAX);
    return null;
  }
  if (argv.length === 2) return isKeyword(argv[1], 'async');
  return c.server.config.bool('lazyfree-lazy-user-flush');
}

/**
 * Empties one db (Db.clear touches its watched keys, Redis signalFlushedDb); with `async` the
 * old keys go to the background free (Redis emptyDbAsync). @returns keys removed.
 */
function flushDb(c: Client, db: Db, async: boolean): number {
  const old = db.table;
  const n = db.clear();
  if (async) freeDictAsync(c.server, old, n);
  else accountFlushedDict(c.server, old, n);
  return n;
}

/** FLUSHDB [ASYNC|SYNC]: empties the selected db. */
function flushdbCommand(c: Client, argv: string[]): void {
  const async = flushArgs(c, argv);
  if (async === null) return;
  c.server.dirty += flushDb(c, c.db, async);
  c.server.dirty++;
  c.reply.ok();
}

/**
 * FLUSHALL [ASYNC|SYNC]: empties every db; stops a running BGSAVE and, with save points, saves the
 * empty dataset at once (Redis 7.0 flushAllDataAndResetRDB, in src/persistence/index.ts).
 */
function flushallCommand(c: Client, argv: string[]): void {
  const async = flushArgs(c, argv);
  if (async === null) return;
  for (const db of c.server.keyspace.dbs) c.server.dirty += flushDb(c, db, async);
  c.server.dirty++;
  if (getPersistence(c.server).flushAllReset()) {
    // The save reset the dirty counter; FLUSHALL still goes to the AOF and replicas (Redis 7.0
    // flushallCommand: forceCommandPropagation).
    c.server.alsoPropagate(c.db.id, argv);
    c.server.preventPropagation = true;
  }
  c.reply.ok();
}

/**
 * SWAPDB index1 index2: exchanges two dbs' contents; clients stay on their db number and see the
 * other data. Keys of both are touched for WATCH and signalled for blocked clients.
 */
function swapdbCommand(c: Client, argv: string[]): void {
  if (c.server.cluster !== null) {
    c.error(ERR_SWAPDB_CLUSTER);
    return;
  }
  const a = parseIntOrReply(c, argv[1], 'ERR invalid first DB index');
  if (a === null) return;
  const b = parseIntOrReply(c, argv[2], 'ERR invalid second DB index');
  if (b === null) return;
  const dbs = c.server.keyspace.dbs;
  if (a < 0 || b < 0 || a >= dbs.length || b >= dbs.length) {
    c.error(ERR_DB_INDEX);
    return;
  }
  if (a !== b) {
    const x = dbs[a];
    const y = dbs[b];
    const hooks = c.server.keyspace.hooks;
    // Every watched key of both dbs is touched (Redis touchAllWatchedKeysInDb).
    hooks.dbCleared?.(x, y);
    hooks.dbCleared?.(y, x);
    x.swapContents(y);
    for (const key of x.table.keys()) c.server.signalKeyAsReady(x, key);
    for (const key of y.table.keys()) c.server.signalKeyAsReady(y, key);
  }
  c.server.dirty++;
  c.reply.ok();
}

/** TIME: [unix seconds, microseconds] as bulk strings. */
function timeCommand(c: Client): void {
  const us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  c.reply.arrayLen(2);
  c.reply.bulk(String(Math.floor(us / 1e6)));
  c.reply.bulk(String(us % 1e6));
}

/**
 * SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: runs the shutdown hooks (final save), then closes
 * the server and calls `onExit(0)`. No reply on success (the connection closes); a failing hook
 * replies `ERR Errors trying to SHUTDOWN. Check logs.` unless FORCE. ABORT cancels a shutdown
 * signalled (SIGTERM/SIGINT) but not yet started by the cron, else replies `ERR No shutdown in
 * progress.` (SHUTDOWN itself runs at once).
 */
function shutdownCommand(c: Client, argv: string[]): void {
  let nosave = false;
  let save = false;
  let force = false;
  let flags = 0;
  let abort = false;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i].toLowerCase();
    if (a === 'nosave') nosave = true;
    else if (a === 'save') save = true;
    else if (a === 'now') flags++;
    else if (a === 'force') force = true;
    else if (a === 'abort') abort = true;
    else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  if ((abort && (nosave || save || force || flags > 0)) || (nosave && save)) {
    c.error(ERR_SYNTAX);
    return;
  }
  if (abort) {
    // A signalled shutdown the cron has not started yet can be cancelled (Redis abortShutdown).
    if (c.server.shutdownAsap !== null && !c.server.shutdownStarted) {
      c.server.shutdownAsap = null;
      c.server.log.notice('Shutdown manually aborted.');
      c.reply.ok();
      return;
    }
    c.error('ERR No shutdown in progress.');
    return;
  }
  const server = c.server;
  server.log.warning('User requested shutdown...');
  try {
    for (const h of server.shutdownHooks) h({ save: nosave ? false : save ? true : undefined });
  } catch (e) {
    server.log.warning(`Error trying to shut down: ${(e as Error).message}`);
    if (!force) {
      c.error('ERR Errors trying to SHUTDOWN. Check logs.');
      return;
    }
  }
  void server.close().then(() => {
    server.log.warning('Keydra is now ready to exit, bye bye...');
    server.onExit?.(0);
  });
}

export const adminDefs: CommandDef[] = [
  { name: 'dbsize', handler: dbsizeCommand },
  { name: 'flushdb', handler: flushdbCommand },
  { name: 'flushall', handler: flushallCommand },
  { name: 'swapdb', handler: swapdbCommand },
  { name: 'time', handler: timeCommand },
  { name: 'shutdown', handler: shutdownCommand },
];
