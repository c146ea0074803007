/**
 * Persistence commands: SAVE, BGSAVE, LASTSAVE, BGREWRITEAOF, DUMP, RESTORE.
 * The work is done by src/persistence (RDB codec, AOF); these handlers parse and reply.
 * Source: Redis 7.0 rdb.c (saveCommand, bgsaveCommand), aof.c (bgrewriteaofCommand),
 * cluster.c (dumpCommand, restoreCommand), Redis docs for each command.
 */
import {
  ERR_AOF_REWRITE_IN_PROGRESS,
  ERR_BAD_DATA_FORMAT,
  ERR_BGSAVE_IN_PROGRESS,
  ERR_BUSYKEY,
  ERR_DUMP_PAYLOAD,
  ERR_SYNTAX,
} from '../../errors.js';
import { getPersistence } from '../../persistence/index.js';
import { dumpPayload, restorePayload, verifyDumpPayload } from '../../persistence/rdb/rdb.js';
import type { Client } from '../../server/client.js';
import { lruClock } from '../../store/db.js';
import { isKeyword, parseIntOrReply } from '../args.js';
import type { CommandDef } from '../types.js';

/** SAVE: synchronous RDB save; `-ERR` on failure (Redis docs: SAVE). */
function saveCommand(c: Client, _argv: string[]): void {
  const p = getPersistence(c.server);
  if (p.rdb.bgsaveInProgress) {
    c.error(ERR_BGSAVE_IN_PROGRESS);
    return;
  }
  try {
    p.saveSync();
    c.reply.ok();
  } catch (e) {
    c.server.log.warning(`Failed saving the DB: ${(e as Error).message}`);
    c.error('ERR');
  }
}

/**
 * Replies with `reply()` once the save child this command started runs (as Redis replies after
 * fork(): a client that then looks for the child finds it, and INFO shows the save in progress).
 * Until then the client waits, its pipelined commands too; with no spawn pending, inside
 * MULTI/EXEC or a script, the reply is immediate. Used by BGSAVE, BGREWRITEAOF, CONFIG SET appendonly.
 */
export function replyWhenChildRuns(c: Client, command: string, reply: () => void): void {
  const server = c.server;
  if (c.socket === null || server.execDepth > 0 || c.multi !== null) {
    reply();
    return;
  }
  const waiting = getPersistence(server).whenChildRuns(() => {
    reply();
    if (c.blocked !== null) server.unblockClient(c, true);
    server.flushPendingWrites();
  });
  if (!waiting) {
    reply();
    return;
  }
  server.blockClient(c, { keys: [], deadline: 0, onReady: () => false, onTimeout: () => {}, command });
}

/** BGSAVE [SCHEDULE]: snapshot and write in the background (Redis docs: BGSAVE). */
function bgsaveCommand(c: Client, argv: string[]): void {
  let schedule = false;
  if (argv.length > 1) {
    if (argv.length === 2 && isKeyword(argv[1], 'schedule')) schedule = true;
    else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  const p = getPersistence(c.server);
  if (p.rdb.bgsaveInProgress) {
    c.error(ERR_BGSAVE_IN_PROGRESS);
    return;
  }
  if (p.aof.stats.rewriteInProgress) {
    if (schedule) {
      p.rdb.scheduledBgsave = true;
      c.reply.simple('Background saving scheduled');
    } else {
      c.error(
        "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
      );
    }
    return;
  }
  try {
    p.bgsave();
    replyWhenChildRuns(c, 'bgsave', () => c.reply.simple('Background saving started'));
  } catch (e) {
    c.server.log.warning(`Can't save in background: ${(e as Error).message}`);
    c.error('ERR');
  }
}

/** LASTSAVE: Unix time in seconds of the last successful save (Redis docs: LASTSAVE). */
function lastsaveCommand(c: Client, _argv: string[]): void {
  c.reply.integer(getPersistence(c.server).rdb.lastSave);
}

/** BGREWRITEAOF: new AOF base from the current dataset, written in the background (Redis docs: BGREWRITEAOF). */
function bgrewriteaofCommand(c: Client, _argv: string[]): void {
  const p = getPersistence(c.server);
  if (p.aof.stats.rewriteInProgress) {
    c.error(ERR_AOF_REWRITE_IN_PROGRESS);
    return;
  }
  if (p.rdb.bgsaveInProgress) {
    p.aof.stats.rewriteScheduled = true;
    c.reply.simple('Background append only file rewriting scheduled');
    return;
  }
  try {
    p.aof.rewriteBackground();
    replyWhenChildRuns(c, 'bgrewriteaof', () => c.reply.simple('Background append only file rewriting started'));
  } catch (e) {
    c.server.log.warning(`Can't rewrite append only file in background: ${(e as Error).message}`);
    c.error("ERR Can't rewrite append only file in background");
  }
}

/** DUMP key: the value serialized in RDB format with version and CRC64 footer, or nil (Redis docs: DUMP). */
function dumpCommand(c: Client, argv: string[]): void {
  const o = c.db.lookupRead(argv[1]);
  if (o === undefined) {
    c.reply.nullBulk();
    return;
  }
  c.reply.bulk(dumpPayload(o));
}

/**
 * RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f] (Redis docs: RESTORE).
 * Errors: syntax, BUSYKEY, invalid TTL/IDLETIME/FREQ, bad checksum, bad data format. A relative
 * TTL is propagated as an absolute one (ABSTTL), as Redis does.
 */
function restoreCommand(c: Client, argv: string[]): void {
  let replace = false;
  let absttl = false;
  let idle = -1;
  let freq = -1;
  for (let j = 4; j < argv.length; j++) {
    const more = argv.length - j - 1;
    if (isKeyword(argv[j], 'replace')) replace = true;
    else if (isKeyword(argv[j], 'absttl')) absttl = true;
    else if (isKeyword(argv[j], 'idletime') && more >= 1 && freq === -1) {
      const v = parseIntOrReply(c, argv[++j]);
      if (v === null) return;
      if (v < 0) {
        c.error('ERR Invalid IDLETIME value, must be >= 0');
        return;
      }
      idle = v;
    } else if (isKeyword(argv[j], 'freq') && more >= 1 && idle === -1) {
      const v = parseIntOrReply(c, argv[++j]);
      if (v === null) return;
      if (v < 0 || v > 255) {
        c.error('ERR Invalid FREQ value, must be >= 0 and <= 255');
        return;
      }
      freq = v;
    } else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  const key = argv[1];
  const db = c.db;
  if (!replace && db.lookupWrite(key) !== undefined) {
    c.error(ERR_BUSYKEY);
    return;
  }
  let ttl = parseIntOrReply(c, argv[2]);
  if (ttl === null) return;
  if (ttl < 0) {
    c.error('ERR Invalid TTL value, must be >= 0');
    return;
  }
  const payload = Buffer.from(argv[3], 'latin1');
  if (!verifyDumpPayload(payload)) {
    c.error(ERR_DUMP_PAYLOAD);
    return;
  }
  let obj: ReturnType<typeof restorePayload>;
  try {
    obj = restorePayload(payload);
  } catch {
    c.error(ERR_BAD_DATA_FORMAT);
    return;
  }
  const server = c.server;
  const deleted = replace && db.delete(key);
  if (ttl > 0 && !absttl) ttl += server.keyspace.now;
  if (ttl > 0 && ttl <= server.keyspace.now) {
    if (deleted) {
      server.propArgv = ['DEL', key];
      server.notifyKeyspaceEvent('g', 'del', key, db.id);
      server.dirty++;
    }
    c.reply.ok();
    return;
  }
  db.add(key, obj);
  if (ttl > 0) {
    db.setExpire(key, ttl);
    if (!absttl) server.propArgv = [...argv.slice(0, 2), String(ttl), ...argv.slice(3), 'ABSTTL'];
  }
  const lfu = c.server.config.str('maxmemory-policy').includes('lfu');
  if (lfu && freq >= 0) obj.lru = (((Math.floor(Date.now() / 60000) & 0xffff) << 8) | freq) >>> 0;
  else if (!lfu && idle >= 0) obj.lru = lruClock(Date.now() - idle * 1000);
  db.storeValue(key, obj);
  server.keyspace.hooks.keyModified(db, key);
  server.notifyKeyspaceEvent('g', 'restore', key, db.id);
  server.dirty++;
  c.reply.ok();
}

const commands: CommandDef[] = [
  { name: 'save', handler: saveCommand },
  { name: 'bgsave', handler: bgsaveCommand },
  { name: 'lastsave', handler: lastsaveCommand },
  { name: 'bgrewriteaof', handler: bgrewriteaofCommand },
  { name: 'dump', handler: dumpCommand },
  { name: 'restore', handler: restoreCommand },
  // RESTORE that a cluster node importing the slot accepts without ASKING (MIGRATE sends it in cluster mode).
  { name: 'restore-asking', handler: restoreCommand },
];
export default commands;
