/**
 * DEBUG: the subset client test suites and tools use — SLEEP, OBJECT, SET-ACTIVE-EXPIRE, RELOAD,
 * DIGEST, DIGEST-VALUE, PROTOCOL, POPULATE, ERROR, LOG, CHANGE-REPL-ID,
 * QUICKLIST-PACKED-THRESHOLD, HELP; the crash subcommands (SEGFAULT, PANIC, ASSERT, OOM, ...) are
 * refused. Allowed per `enable-debug-command` (no | yes | local) as in Redis 7.0.
 * Source: Redis 7.0 debug.c (debugCommand, xorDigest, mixDigest, xorObjectDigest,
 * computeDatasetDigest), server.c mustObeyClient / enable-debug-command checks.
 */
import fs from 'node:fs';
import { formatDouble } from '../../protocol/reply.js';
import type { Client } from '../../server/client.js';
import type { KeydraServer } from '../../server/server.js';
import { type Db, ObjType, RObject } from '../../store/db.js';
import { INLINE_MAX } from '../../store/keyTable.js';
import type { QuickList } from '../../store/quicklist.js';
import type { RHash } from '../../store/hash.js';
import type { RSet } from '../../store/set.js';
import type { Stream } from '../../store/stream.js';
import type { ZSet } from '../../store/zset.js';
import { lruIdleSeconds } from '../../evict/index.js';
import { activeExpireOff } from '../../expire/activeExpire.js';
import { getPersistence } from '../../persistence/index.js';
import { ERR_LOADING } from '../../errors.js';
import { decodeRdb, dumpPayload } from '../../persistence/rdb/rdb.js';
import { objectEncoding } from '../keys/index.js';
import { parseInt64, parseIntOrReply } from '../args.js';
import type { CommandDef } from '../types.js';
import { replyHelp } from '../../protocol/respTree.js';
import { parseMemory } from '../../config/config.js';
import { DigestSha1 } from './digestSha1.js';
import { functionsEngine } from '../../scripting/functions.js';
import { rewriteConfigFile } from './config.js';

// ---- digest (Redis debug.c) ----------------------------------------------------------------

const SHA = new DigestSha1();
const HASH = new Uint8Array(20);
const U32 = new Uint8Array(4);

function xor20(digest: Uint8Array, h: Uint8Array): void {
  for (let i = 0; i < 20; i++) digest[i] ^= h[i];
}

/** XORs SHA1(latin1 s) into digest (order-independent accumulation). */
function xorDigest(digest: Uint8Array, s: string): void {
  SHA.str(s, HASH);
  xor20(digest, HASH);
}

/** Replaces digest by SHA1(digest) (the second half of mixDigest). */
function remix(digest: Uint8Array): void {
  SHA.bytes(digest, 0, 20, digest);
}

/** XORs SHA1(latin1 s) into digest, then replaces digest by SHA1(digest) (order-dependent). */
function mixDigest(digest: Uint8Array, s: string): void {
  xorDigest(digest, s);
  remix(digest);
}

/** mixDigest of a big-endian uint32 (htonl) as 4 bytes. */
function mixDigestU32(digest: Uint8Array, n: number): void {
  U32[0] = n >>> 24;
  U32[1] = (n >>> 16) & 0xff;
  U32[2] = (n >>> 8) & 0xff;
  U32[3] = n & 0xff;
  SHA.bytes(U32, 0, 4, HASH);
  xor20(digest, HASH);
  remix(digest);
}

/** XORs SHA1(20-byte element digest) into digest. */
function xorDigestBytes(digest: Uint8Array, ed: Uint8Array): void {
  SHA.bytes(ed, 0, 20, HASH);
  xor20(digest, HASH);
}

const L1 = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Redis's object type numbers (OBJ_STRING..OBJ_STREAM), which enter the digest. */
const REDIS_TYPE: Record<number, number> = {
  [ObjType.String]: 0,
  [ObjType.List]: 1,
  [ObjType.Set]: 2,
  [ObjType.ZSet]: 3,
  [ObjType.Hash]: 4,
  [ObjType.Stream]: 6,
};

/** Adds a value's digest into `digest` (Redis xorObjectDigest: type, contents, expire marker). */
function xorObjectDigest(db: Db, key: string, digest: Uint8Array, o: RObject): void {
  mixDigestU32(digest, REDIS_TYPE[o.type] ?? o.type);
  switch (o.type) {
    case ObjType.String:
      mixDigest(digest, o.value as string);
      break;
    case ObjType.List:
      for (const e of o.value as QuickList) mixDigest(digest, e);
      break;
    case ObjType.Set:
      for (const m of o.value as RSet) xorDigest(digest, m);
      break;
    case ObjType.ZSet: {
      const ed = new Uint8Array(20);
      for (const [m, score] of o.value as ZSet) {
        ed.fill(0);
        mixDigest(ed, m);
        mixDigest(ed, formatDouble(score));
        xorDigestBytes(digest, ed);
      }
      break;
    }
    case ObjType.Hash: {
      const ed = new Uint8Array(20);
      for (const [f, v] of o.value as RHash) {
        ed.fill(0);
        mixDigest(ed, f);
        mixDigest(ed, v);
        xorDigestBytes(digest, ed);
      }
      break;
    }
    case ObjType.Stream:
      for (const [id, fields] of (o.value as Stream).entries()) {
        mixDigest(digest, `${id.ms}.${id.seq}`);
        for (const f of fields) mixDigest(digest, f);
      }
      break;
  }
  if (db.expires.has(key)) xorDigest(digest, '!!expire!!');
}

/** DEBUG DIGEST: the dataset digest (Redis computeDatasetDigest), 40 hex digits. */
function datasetDigest(server: KeydraServer): string {
  const final = Buffer.alloc(20);
  const d = new Uint8Array(20);
  for (const db of server.keyspace.dbs) {
    if (db.size === 0) continue;
    mixDigestU32(final, db.id);
    for (const [key, o] of db.table) {
      d.fill(0);
      mixDigest(d, key);
      xorObjectDigest(db, key, d, o);
      xorDigestBytes(final, d);
    }
  }
  return final.toString('hex');
}

// ---- subcommands ---------------------------------------------------------------------------

/** Blocks the whole process for `ms` milliseconds (Redis usleep: the server stops). */
function sleepSync(ms: number): void {
  if (!(ms > 0)) return;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Redis serializedlength: the value's RDB payload length (DUMP payload minus type byte and footer). */
function serializedLength(o: RObject): number {
  return dumpPayload(o).length - 11;
}

let fakeAddress = 0x7f0000100000;
const addresses = new WeakMap<RObject, number>();

/** DEBUG OBJECT key: Redis's one-line status about the value. */
function debugObject(c: Client, key: string): void {
  // The dict as it is, an expired key not yet reclaimed included (debug.c: dictFind, no lazy expiry).
  const o = c.db.table.get(key);
  if (o === undefined) {
    c.error('ERR no such key');
    return;
  }
  // A small string lives in the keyspace table's slab (src/store/keyTable.ts), a lookup returns a
  // copy: its entry's seq is its identity, so INCR in place keeps the address, as Redis's.
  const v = o.value;
  let addr =
    o.type === ObjType.String && typeof v === 'string' && v.length <= INLINE_MAX ? 0x7f1000000000 + o.seq * 0x40 : addresses.get(o);
  if (addr === undefined) {
    addr = fakeAddress;
    fakeAddress += 0x20;
    addresses.set(o, addr);
  }
  const lru = Math.floor(o.lru / 16) & 0xffffff;
  let extra = '';
  if (o.type === ObjType.List && objectEncoding(o) === 'quicklist') {
    // debug.c: the node count, elements per node, the fill, whether nodes may be compressed (Keydra
    // never compresses), and the nodes' bytes: Keydra's entry bytes plus a listpack's 7-byte
    // header and end per node (equal to Redis's listpack sizes for strings under 64 bytes).
    const ql = o.value as QuickList;
    const nodes = ql.nodeCount;
    const avg = nodes === 0 ? 0 : ql.length / nodes;
    extra = ` ql_nodes:${nodes} ql_avg_node:${avg.toFixed(2)} ql_listpack_max:${c.server.config.num('list-max-listpack-size')} ql_compressed:0 ql_uncompressed_size:${ql.nodeBytes + 7 * nodes}`;
  }
  c.reply.simple(
    `Value at:0x${addr.toString(16)} refcount:1 encoding:${objectEncoding(o)} serializedlength:${serializedLength(o)} lru:${lru} lru_seconds_idle:${Math.floor(lruIdleSeconds(o.lru, c.server.keyspace.now))}${extra}`,
  );
}

/** DEBUG RELOAD: SAVE, empty the keyspace, load the file back. */
function debugReload(c: Client, argv: string[]): void {
  let save = true;
  let flush = true;
  let merge = false;
  for (let i = 2; i < argv.length; i++) {
    const o = argv[i].toLowerCase();
    if (o === 'nosave') save = false;
    else if (o === 'noflush') flush = false;
    else if (o === 'merge') merge = true;
    else {
      c.error('ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.');
      return;
    }
  }
  const p = getPersistence(c.server);
  try {
    if (save) p.saveSync();
    const data = fs.readFileSync((p as unknown as { rdbPath: string }).rdbPath);
    if (flush) {
      // Redis emptyData(-1, EMPTYDB_NO_FLAGS): the function libraries go too.
      for (const db of c.server.keyspace.dbs) db.clear();
      functionsEngine(c.server).flush();
    }
    decodeRdb(data, c.server.keyspace, Date.now(), true, merge);
  } catch (e) {
    // Redis replies without the cause (rdbLoad logs it).
    c.server.log.warning(`DEBUG RELOAD: ${(e as Error).message}`);
    c.error('ERR Error trying to load the RDB dump');
    return;
  }
  c.server.log.warning('DB reloaded by DEBUG RELOAD');
  c.reply.ok();
}

/**
 * DEBUG LOADAOF: flushes the AOF, empties every db and loads the AOF back (debug.c). As in Redis,
 * which processes events while it loads, other clients are served meanwhile (-LOADING; INFO and
 * the other `loading` commands answer) and a slow script in the AOF is suspended past
 * busy-reply-threshold ("Slow script detected"): the load runs in slices while this client is
 * blocked (Persistence.reloadAof). Inside EXEC or a script the load runs at once. Nothing of the
 * reload is propagated. Where Redis exits on a load failure, the error is replied and logged
 * (the dataset is then partial).
 */
function debugLoadAof(c: Client): void {
  const server = c.server;
  const p = getPersistence(server);
  // Redis sets server.dirty = 0 "to prevent AOF / replication" of the command.
  server.preventPropagation = true;
  if (server.loading) {
    c.error(ERR_LOADING);
    return;
  }
  const failed = (e: unknown): void => {
    server.log.warning(`DEBUG LOADAOF failed: ${(e as Error).message}`);
    c.error(`ERR Error loading the append only file: ${(e as Error).message}`);
  };
  const loaded = (): void => {
    server.dirty = 0;
    server.log.warning('Append Only File loaded by DEBUG LOADAOF');
    c.reply.ok();
  };
  try {
    if (server.config.bool('appendonly')) p.aof.flush();
    for (const db of server.keyspace.dbs) db.clear();
    if (!p.aof.exists()) {
      loaded();
      return;
    }
    if (c.socket === null || server.execDepth > 0 || c.multi !== null) {
      p.aof.load();
      loaded();
      return;
    }
  } catch (e) {
    failed(e);
    return;
  }
  server.blockClient(c, { keys: [], deadline: 0, onReady: () => false, onTimeout: () => {}, command: 'debug' });
  p.reloadAof().then(loaded, failed).finally(() => {
    server.unblockClient(c, true);
    server.flushPendingWrites();
  });
}

/** DEBUG POPULATE count [prefix] [size]: adds `prefix:N` → `value:N` (padded to size) where absent. */
function debugPopulate(c: Client, argv: string[]): void {
  if (argv.length > 5) {
    c.error('ERR Syntax error, try DEBUG HELP');
    return;
  }
  const n = parseInt64(argv[2]);
  if (n === null || n < 0) {
    c.error('ERR value is out of range, must be positive');
    return;
  }
  const prefix = argv.length >= 4 ? argv[3] : 'key';
  let size = -1;
  if (argv.length === 5) {
    const s = parseInt64(argv[4]);
    if (s === null || s < 0) {
      c.error('ERR value is out of range, must be positive');
      return;
    }
    size = Number(s);
  }
  const count = Number(n);
  for (let j = 0; j < count; j++) {
    const key = `${prefix}:${j}`;
    if (c.db.lookupRead(key) !== undefined) continue;
    let val = `value:${j}`;
    if (size > 0) val = val.length >= size ? val.slice(0, size) : val + '\0'.repeat(size - val.length);
    c.db.setKey(key, new RObject(ObjType.String, val));
  }
  c.reply.ok();
}

/** DEBUG PROTOCOL type: a sample reply of each RESP3 type (Redis's exact values). */
function debugProtocol(c: Client, type: string): void {
  const w = c.reply;
  switch (type.toLowerCase()) {
    case 'string':
      w.bulk('Hello World');
      return;
    case 'integer':
      w.integer(12345);
      return;
    case 'double':
      w.double(3141 / 1000); // Redis's sample value 3.141
      return;
    case 'bignum':
      if (w.resp === 3) w.raw(L1('(1234567999999999999999999999999999999\r\n'));
      else w.bulk('1234567999999999999999999999999999999');
      return;
    case 'null':
      w.nullBulk();
      return;
    case 'array':
      w.arrayLen(3);
      for (let j = 0; j < 3; j++) w.integer(j);
      return;
    case 'set':
      w.setLen(3);
      for (let j = 0; j < 3; j++) w.integer(j);
      return;
    case 'map':
      w.mapLen(3);
      for (let j = 0; j < 3; j++) {
        w.integer(j);
        w.bool(j === 1);
      }
      return;
    case 'attrib':
      if (w.resp === 3) {
        w.raw(L1('|1\r\n'));
        w.bulk('key-popularity');
        w.arrayLen(2);
        w.bulk('key:123');
        w.integer(90);
      }
      w.bulk('Some real reply following the attribute');
      return;
    case 'push':
      if (w.resp !== 3) {
        c.error('ERR RESP2 is not supported by this command');
        return;
      }
      w.pushLen(2);
      w.bulk('server-cpu-usage');
      w.integer(42);
      w.bulk('Some real reply following the push reply');
      return;
    case 'true':
      w.bool(true);
      return;
    case 'false':
      w.bool(false);
      return;
    case 'verbatim':
      w.verbatim('This is a verbatim\nstring');
      return;
  }
  c.error(
    'ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false',
  );
}

const REFUSED = new Set(['segfault', 'panic', 'assert', 'oom', 'crash-and-recover', 'restart', 'leak', 'mallctl', 'mallctl-str']);

/** DEBUG: dispatches on argv[1]; arity (-2) is checked by the dispatcher. */
function debugCommand(c: Client, argv: string[]): void {
  const mode = c.server.config.str('enable-debug-command');
  if (mode === 'no' || (mode === 'local' && !isLocal(c))) {
    c.error(
      'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.',
    );
    return;
  }
  const sub = argv[1].toLowerCase();
  const n = argv.length;
  if (sub === 'help' && n === 2) {
    replyHelp(c.reply, HELP);
    return;
  }
  if (sub === 'aof-flush-sleep' && n === 3) {
    getPersistence(c.server).aof.flushSleepUs = Number.parseInt(argv[2], 10) || 0;
    c.reply.ok();
    return;
  }
  if (sub === 'replicate' && n >= 3) {
    // DEBUG REPLICATE cmd args...: fed to the replicas as is (the stream's selected db).
    c.server.replication.stream.feed(-1, argv.slice(2));
    c.reply.ok();
    return;
  }
  if (sub === 'sleep' && n === 3) {
    sleepSync(Number.parseFloat(argv[2]) * 1000);
    c.reply.ok();
    return;
  }
  if (sub === 'object' && n === 3) {
    debugObject(c, argv[2]);
    return;
  }
  if (sub === 'drop-cluster-packet-filter' && n === 3) {
    // Cluster bus packets of this type are dropped on receipt (-1: none), src/cluster.
    const t = parseIntOrReply(c, argv[2]);
    if (t === null) return;
    if (c.server.cluster !== null) c.server.cluster.dropPacketFilter = t;
    c.reply.ok();
    return;
  }
  if (sub === 'clusterlink' && n === 5 && argv[2].toLowerCase() === 'kill') {
    // DEBUG CLUSTERLINK KILL to|from|all <node-id>: frees the bus link(s) with a node (debug.c).
    const cl = c.server.cluster;
    if (cl === null) {
      c.error('ERR Debug option only available for cluster mode enabled setup!');
      return;
    }
    const node = cl.state.nodes.get(argv[4]);
    if (node === undefined) {
      c.error(`ERR Unknown node ${argv[4]}`);
      return;
    }
    const dir = argv[3].toLowerCase();
    if (dir !== 'from' && dir !== 'to' && dir !== 'all') {
      c.error(`ERR Unknown direction ${argv[3]}`);
      return;
    }
    if (dir !== 'from' && node.link !== null) cl.freeLink(node.link);
    if (dir !== 'to' && node.inboundLink !== null) cl.freeLink(node.inboundLink);
    c.reply.ok();
    return;
  }
  if (sub === 'set-active-expire' && n === 3) {
    if (argv[2] === '0') activeExpireOff.add(c.server);
    else activeExpireOff.delete(c.server);
    c.reply.ok();
    return;
  }
  if (sub === 'reload') {
    debugReload(c, argv);
    return;
  }
  if (sub === 'digest' && n === 2) {
    c.reply.simple(datasetDigest(c.server));
    return;
  }
  if (sub === 'digest-value' && n >= 2) {
    c.reply.arrayLen(n - 2);
    for (let i = 2; i < n; i++) {
      const d = Buffer.alloc(20);
      const o = c.db.peek(argv[i]);
      if (o !== undefined) xorObjectDigest(c.db, argv[i], d, o);
      c.reply.simple(d.toString('hex'));
    }
    return;
  }
  if (sub === 'protocol' && n === 3) {
    debugProtocol(c, argv[2]);
    return;
  }
  if (sub === 'populate' && n >= 3) {
    debugPopulate(c, argv);
    return;
  }
  if (sub === 'error' && n === 3) {
    c.error(argv[2]);
    return;
  }
  if (sub === 'log' && n === 3) {
    c.server.log.warning(`DEBUG LOG: ${argv[2]}`);
    c.reply.ok();
    return;
  }
  if (sub === 'pause-cron' && n === 3) {
    // Redis: atoi of the argument; non-zero pauses the cron.
    c.server.cronPaused = Number.parseInt(argv[2], 10) > 0 || Number.parseInt(argv[2], 10) < 0;
    c.reply.ok();
    return;
  }
  if (sub === 'config-rewrite-force-all' && n === 2) {
    // CONFIG REWRITE writing every directive, defaults included (Redis rewriteConfig force_all).
    try {
      rewriteConfigFile(c.server, true);
    } catch (e) {
      c.error(`ERR CONFIG-REWRITE-FORCE-ALL failed: ${(e as Error).message}`);
      return;
    }
    c.reply.ok();
    return;
  }
  if (sub === 'change-repl-id' && n === 2) {
    // changeReplicationId + clearReplicationId2.
    c.server.replication.stream.resetReplid();
    c.server.log.notice('Changing replication IDs after receiving DEBUG change-repl-id');
    c.reply.ok();
    return;
  }
  if (sub === 'quicklist-packed-threshold' && n === 3) {
    // Redis memtoull + quicklistisSetPackedThreshold: 0 (back to 1 GB) up to 4 GB - 1 MB. Keydra's
    // lists keep elements of any size the same way, so the threshold changes no behaviour.
    const sz = parseMemory(argv[2]);
    if (!(sz >= 0 && sz <= 2 ** 32 - 2 ** 20)) {
      c.error('ERR argument must be a memory value bigger than 1 and smaller than 4gb');
      return;
    }
    c.reply.ok();
    return;
  }
  if (sub === 'loadaof' && n === 2) {
    debugLoadAof(c);
    return;
  }
  if (sub === 'set-disable-deny-scripts' && n === 3) {
    // Lets scripts call commands flagged noscript (server.script_disable_deny_script).
    c.server.scriptDisableDenyScript = Number.parseInt(argv[2], 10) !== 0;
    c.reply.ok();
    return;
  }
  if (sub === 'replybuffer' && n === 4) {
    // Keydra's reply buffers do not shrink or grow per client by a peak timer: the knobs are
    // accepted with Redis's argument checks and have nothing to tune.
    const opt = argv[2].toLowerCase();
    if (opt === 'peak-reset-time') {
      const v = argv[3].toLowerCase();
      if (v !== 'never' && v !== 'reset' && parseInt64(argv[3]) === null) {
        c.error('ERR value is not an integer or out of range');
        return;
      }
    } else if (opt !== 'resizing') {
      c.error(`ERR unknown subcommand or wrong number of arguments for '${argv[1]}'. Try DEBUG HELP.`);
      return;
    }
    c.reply.ok();
    return;
  }
  if (sub === 'set-skip-checksum-validation' && n === 3) {
    c.reply.ok();
    return;
  }
  if (REFUSED.has(sub)) {
    c.error(`ERR DEBUG ${sub.toUpperCase()} is not supported by Keydra`);
    return;
  }
  c.error(`ERR unknown subcommand or wrong number of arguments for '${argv[1]}'. Try DEBUG HELP.`);
}

/** True for a loopback, unix socket or socketless client (Redis islocalClient): `local` of enable-*-command. */
export function isLocal(c: Client): boolean {
  if (c.socket === null || c.unixSocket) return true;
  const a = c.socket.remoteAddress ?? '';
  return a.startsWith('127.') || a === '::1' || a.startsWith('::ffff:127.');
}

const HELP = [
  'DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CHANGE-REPL-ID',
  '    Change the replication IDs of the instance.',
  '    Dangerous: should be used only for testing the replication subsystem.',
  'DIGEST',
  '    Output a hex signature representing the current DB content.',
  'DIGEST-VALUE <key> [<key> ...]',
  '    Output a hex signature of the values of all the specified keys.',
  'ERROR <string>',
  '    Return a Redis protocol error with <string> as message. Useful for clients',
  '    unit tests to simulate Redis errors.',
  'LOG <message>',
  '    Write <message> to the server log.',
  'OBJECT <key>',
  '    Show low level info about `key` and associated value.',
  'POPULATE <count> [<prefix>] [<size>]',
  '    Create <count> string keys named key:<num>. If <prefix> is specified then',
  "    it is used instead of the 'key' prefix. These are not propagated to",
  '    replicas. Cluster slots are not respected so keys not belonging to the',
  '    current node can be created in cluster mode.',
  'PROTOCOL <type>',
  '    Reply with a test value of the specified type. <type> can be: string,',
  '    integer, double, bignum, null, array, set, map, attrib, push, verbatim,',
  '    true, false.',
  'RELOAD [option ...]',
  '    Save the RDB on disk and reload it back to memory. Valid <option> values:',
  '    * MERGE: conflicting keys will be loaded from RDB.',
  '    * NOFLUSH: the existing database will not be removed before load, but',
  '      conflicting keys will generate an exception and kill the server.',
  '    * NOSAVE: the database will be loaded from an existing RDB file.',
  '    Examples:',
  '    * DEBUG RELOAD: verify that the server is able to persist, flush and reload',
  '      the database.',
  '    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an',
  '      existing RDB file.',
  '    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB',
  '      file to the database.',
  'SET-ACTIVE-EXPIRE <0|1>',
  '    Setting it to 0 disables expiring keys in background when they are not',
  '    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the',
  '    default.',
  'QUICKLIST-PACKED-THRESHOLD <size>',
  '    Sets the threshold for elements to be inserted as plain vs packed nodes',
  '    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.',
  'SET-SKIP-CHECKSUM-VALIDATION <0|1>',
  "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
  'SLEEP <seconds>',
  '    Stop the server for <seconds>. Decimals allowed.',
  'HELP',
  '    Prints this help.',
];

/** DEBUG. */
export const debugDef: CommandDef = { name: 'debug', handler: debugCommand };
