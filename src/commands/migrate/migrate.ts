/**
 * MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password]
 * [AUTH2 username password] [KEYS key [key ...]]: moves keys to another Redis-protocol server by
 * sending RESTORE with DUMP payloads, then deletes them here (unless COPY) and propagates a DEL.
 *
 * Redis does the network round trip synchronously, with the whole server blocked. Keydra blocks
 * only the calling client: the payloads are taken when the command runs, the exchange happens on
 * the event loop, and the keys are deleted when the target acknowledged them. A key written by
 * another client meanwhile is kept here (the newer local value wins; the target has the value as
 * of MIGRATE), so no acknowledged write is ever lost.
 *
 * Connections are cached per host:port (at most 64, idle ones closed after 10 s; INFO
 * `migrate_cached_sockets`), remembering the db last SELECTed on them. Errors as Redis: `+NOKEY`
 * when no key exists, `-IOERR error or timeout connecting to the client`, `-IOERR error or timeout
 * reading|writing to target instance` (one retry on a non-timeout I/O error), `-ERR Target instance
 * replied with error: ...`.
 * Source: Redis 7.0 cluster.c migrateCommand, migrateGetSocket, migrateCloseTimedoutSockets.
 */
import net from 'node:net';
import { ERR_NOT_INTEGER, ERR_SYNTAX } from '../../errors.js';
import { dumpPayload } from '../../persistence/rdb/rdb.js';
import { decodeReply, type RespNode } from '../../protocol/decoder.js';
import type { Client } from '../../server/client.js';
import type { KeydraServer } from '../../server/server.js';
import type { Db } from '../../store/db.js';
import type { CommandDef } from '../types.js';

/** migrateGetSocket's cache bounds (cluster.c MIGRATE_SOCKET_CACHE_ITEMS / _TTL). */
const CACHE_ITEMS = 64;
const CACHE_TTL_MS = 10_000;

/** A cached connection to a target: the db last selected on it (-1: unknown). */
interface TargetConn {
  sock: net.Socket;
  lastDbId: number;
  lastUse: number;
  /** Bytes received and not yet consumed as replies. */
  rx: Buffer;
  /** Set when the socket errored or closed; the entry is dropped. */
  dead: boolean;
  onData: (() => void) | null;
}

/** Per-server MIGRATE state: the connection cache and the keys of migrations in flight. */
interface MigrateState {
  conns: Map<string, TargetConn>;
  /** `${dbId}\0${key}` of keys being migrated → written by someone since the payload was taken. */
  inFlight: Map<string, boolean>;
  timer: NodeJS.Timeout | null;
}

const states = new WeakMap<KeydraServer, MigrateState>();

function stateOf(server: KeydraServer): MigrateState {
  let st = states.get(server);
  if (st === undefined) {
    const s: MigrateState = { conns: new Map(), inFlight: new Map(), timer: null };
    st = s;
    states.set(server, s);
    server.keyModifiedHooks.push((db: Db, key: string) => {
      if (s.inFlight.size === 0) return;
      const k = `${db.id}\0${key}`;
      if (s.inFlight.has(k)) s.inFlight.set(k, true);
    });
  }
  return st;
}

/** Connections MIGRATE keeps open (INFO stats `migrate_cached_sockets`). */
export function migrateCachedSockets(server: KeydraServer): number {
  return states.get(server)?.conns.size ?? 0;
}

function closeConn(st: MigrateState, name: string): void {
  const cc = st.conns.get(name);
  if (cc === undefined) return;
  st.conns.delete(name);
  cc.dead = true;
  cc.sock.destroy();
}

/** Closes connections idle for more than 10 s (migrateCloseTimedoutSockets); stops when none is left. */
function armIdleTimer(st: MigrateState): void {
  if (st.timer !== null) return;
  st.timer = setInterval(() => {
    const now = Date.now();
    for (const [name, cc] of st.conns) if (now - cc.lastUse > CACHE_TTL_MS) closeConn(st, name);
    if (st.conns.size === 0 && st.timer !== null) {
      clearInterval(st.timer);
      st.timer = null;
    }
  }, 1000);
  st.timer.unref();
}

/**
 * A cached or new connection to host:port within `timeoutMs`: 'timeout' when it did not connect
 * in time, 'failed' when the connect failed at once (Redis's blocking connect only waits for the
 * socket to be writable, so a refused connection surfaces as a write error there).
 */
function getConn(
  st: MigrateState,
  host: string,
  port: number,
  timeoutMs: number,
  localAddress: string | undefined,
): Promise<TargetConn | 'timeout' | 'failed'> {
  const name = `${host}:${port}`;
  const cached = st.conns.get(name);
  if (cached !== undefined && !cached.dead) {
    cached.lastUse = Date.now();
    return Promise.resolve(cached);
  }
  if (st.conns.size >= CACHE_ITEMS) {
    // Full: drop a random entry (migrateGetSocket).
    const names = [...st.conns.keys()];
    closeConn(st, names[Math.floor(Math.random() * names.length)]);
  }
  return new Promise((resolve) => {
    const sock = net.connect({ host, port, localAddress });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve('timeout');
    }, timeoutMs);
    sock.once('error', () => {
      clearTimeout(timer);
      resolve('failed');
    });
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.setNoDelay(true);
      const cc: TargetConn = { sock, lastDbId: -1, lastUse: Date.now(), rx: Buffer.alloc(0), dead: false, onData: null };
      sock.removeAllListeners('error');
      const die = () => {
        cc.dead = true;
        if (st.conns.get(name) === cc) st.conns.delete(name);
        cc.onData?.();
      };
      sock.on('error', die);
      sock.on('close', die);
      sock.on('data', (d: Buffer) => {
        cc.rx = cc.rx.length === 0 ? d : Buffer.concat([cc.rx, d]);
        cc.onData?.();
      });
      st.conns.set(name, cc);
      armIdleTimer(st);
      resolve(cc);
    });
  });
}

/** Reads `n` replies from `cc` within `timeoutMs`; null on I/O error or timeout (`timedOut` says which). */
function readReplies(cc: TargetConn, n: number, timeoutMs: number): Promise<{ replies: RespNode[] | null; timedOut: boolean }> {
  return new Promise((resolve) => {
    const replies: RespNode[] = [];
    const finish = (r: RespNode[] | null, timedOut: boolean) => {
      clearTimeout(timer);
      cc.onData = null;
      resolve({ replies: r, timedOut });
    };
    const timer = setTimeout(() => finish(null, true), timeoutMs);
    cc.onData = () => {
      while (replies.length < n) {
        const d = decodeReply(cc.rx, 0);
        if (d === null) break;
        replies.push(d.node);
        cc.rx = cc.rx.subarray(d.end);
      }
      if (replies.length === n) finish(replies, false);
      else if (cc.dead) finish(null, false);
    };
    cc.onData();
  });
}

function encode(argv: string[]): string {
  let s = `*${argv.length}\r\n`;
  for (const a of argv) s += `$${a.length}\r\n${a}\r\n`;
  return s;
}

/** The error text of an error reply, or null for any other reply. */
function errorText(r: RespNode): string | null {
  return r !== null && typeof r === 'object' && !Array.isArray(r) && 't' in r && r.t === '-' ? (r as { v: string }).v : null;
}

interface MigrateOp {
  host: string;
  port: number;
  dbId: number;
  timeoutMs: number;
  copy: boolean;
  replace: boolean;
  auth: string[] | null;
  /** Keys that existed, with their payload and TTL in ms (0: none), as of the command. */
  items: { key: string; payload: string; ttl: number }[];
}

/** MIGRATE: parses, snapshots the payloads, blocks the client and runs the exchange. */
function migrateCommand(c: Client, argv: string[]): void {
  let copy = false;
  let replace = false;
  let auth: string[] | null = null;
  let firstKey = 3;
  let numKeys = 1;
  for (let j = 6; j < argv.length; j++) {
    const opt = argv[j].toLowerCase();
    const more = argv.length - j - 1;
    if (opt === 'copy') copy = true;
    else if (opt === 'replace') replace = true;
    else if (opt === 'auth') {
      if (more < 1) {
        c.error(ERR_SYNTAX);
        return;
      }
      auth = ['AUTH', argv[++j]];
    } else if (opt === 'auth2') {
      if (more < 2) {
        c.error(ERR_SYNTAX);
        return;
      }
      auth = ['AUTH', argv[j + 1], argv[j + 2]];
      j += 2;
    } else if (opt === 'keys') {
      if (argv[3].length !== 0) {
        c.error('ERR When using MIGRATE KEYS option, the key argument must be set to the empty string');
        return;
      }
      firstKey = j + 1;
      numKeys = argv.length - j - 1;
      break;
    } else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  if (!/^-?\d+$/.test(argv[5]) || !/^-?\d+$/.test(argv[4])) {
    c.error(ERR_NOT_INTEGER);
    return;
  }
  let timeoutMs = Number(argv[5]);
  const dbId = Number(argv[4]);
  if (!Number.isSafeInteger(timeoutMs) || !Number.isSafeInteger(dbId)) {
    c.error(ERR_NOT_INTEGER);
    return;
  }
  if (timeoutMs <= 0) timeoutMs = 1000;
  const port = Number(argv[2]);
  const db = c.db;
  const now = c.server.keyspace.now;
  const items: MigrateOp['items'] = [];
  for (let j = 0; j < numKeys; j++) {
    const key = argv[firstKey + j];
    const o = db.lookupRead(key);
    if (o === undefined) continue;
    const when = db.expires.get(key);
    let ttl = 0;
    if (when !== undefined) {
      ttl = when - now;
      if (ttl < 0) continue;
      if (ttl < 1) ttl = 1;
    }
    items.push({ key, payload: dumpPayload(o), ttl });
  }
  if (items.length === 0) {
    c.reply.simple('NOKEY');
    return;
  }
  const server = c.server;
  const st = stateOf(server);
  for (const it of items) st.inFlight.set(`${db.id}\0${it.key}`, false);
  server.blockClient(c, { keys: [], deadline: 0, command: 'migrate', onReady: () => false, onTimeout: () => {} });
  const op: MigrateOp = { host: argv[1], port, dbId, timeoutMs, copy, replace, auth, items };
  void exchange(c, st, op).then((outcome) => finish(c, db, st, op, outcome));
}

type Outcome = { kind: 'io'; text: string } | { kind: 'replies'; error: string | null; acked: string[] };

/** Sends AUTH/SELECT/RESTOREs and reads the replies; retries once after a non-timeout I/O error. */
async function exchange(c: Client, st: MigrateState, op: MigrateOp): Promise<Outcome> {
  for (let attempt = 0; ; attempt++) {
    // bind-source-addr: the local address of outgoing connections (Redis connTCPConnect).
    const src = c.server.config.str('bind-source-addr');
    const cc = Number.isInteger(op.port) ? await getConn(st, op.host, op.port, op.timeoutMs, src !== '' ? src : undefined) : 'failed';
    if (cc === 'timeout') return { kind: 'io', text: 'IOERR error or timeout connecting to the client' };
    if (cc === 'failed') {
      if (attempt === 0 && !c.closed) continue;
      return { kind: 'io', text: 'IOERR error or timeout writing to target instance' };
    }
    let out = '';
    if (op.auth) out += encode(op.auth);
    const select = cc.lastDbId !== op.dbId;
    if (select) out += encode(['SELECT', String(op.dbId)]);
    for (const it of op.items) {
      // A cluster node sends RESTORE-ASKING: the target may be importing the slot (Redis migrateCommand).
      const a = [c.server.cluster !== null ? 'RESTORE-ASKING' : 'RESTORE', it.key, String(it.ttl), it.payload];
      if (op.replace) a.push('REPLACE');
      out += encode(a);
    }
    cc.sock.write(Buffer.from(out, 'latin1'));
    const n = (op.auth ? 1 : 0) + (select ? 1 : 0) + op.items.length;
    const { replies, timedOut } = await readReplies(cc, n, op.timeoutMs);
    if (replies === null) {
      closeConn(st, `${op.host}:${op.port}`);
      if (!timedOut && attempt === 0 && !c.closed) continue;
      return { kind: 'io', text: 'IOERR error or timeout reading to target instance' };
    }
    let i = 0;
    const authErr = op.auth ? errorText(replies[i++]) : null;
    const selectErr = select ? errorText(replies[i++]) : null;
    if (select && selectErr === null) cc.lastDbId = op.dbId;
    let error: string | null = null;
    const acked: string[] = [];
    for (const it of op.items) {
      const e = errorText(replies[i++]);
      if (authErr !== null || selectErr !== null || e !== null) {
        if (error === null) {
          cc.lastDbId = -1; // on error the last db is no longer known
          error = `ERR Target instance replied with error: ${authErr ?? selectErr ?? e}`;
        }
      } else acked.push(it.key);
    }
    return { kind: 'replies', error, acked };
  }
}

/** Deletes the acknowledged keys (unless COPY), propagates DEL, replies and unblocks the client. */
function finish(c: Client, db: Db, st: MigrateState, op: MigrateOp, outcome: Outcome): void {
  const server = c.server;
  const written = new Set<string>();
  for (const it of op.items) {
    const k = `${db.id}\0${it.key}`;
    if (st.inFlight.get(k) === true) written.add(it.key);
    st.inFlight.delete(k);
  }
  if (outcome.kind === 'replies' && !op.copy) {
    server.keyspace.now = Date.now();
    const deleted: string[] = [];
    for (const key of outcome.acked) {
      if (written.has(key)) continue; // written here meanwhile: the newer local value stays
      if (db.delete(key)) {
        server.notifyKeyspaceEvent('g', 'del', key, db.id);
        server.dirty++;
        deleted.push(key);
      }
    }
    if (deleted.length > 0) {
      server.alsoPropagate(db.id, ['DEL', ...deleted]);
      server.flushPropagation();
    }
  }
  if (c.closed) return;
  if (outcome.kind === 'io') c.error(outcome.text);
  else if (outcome.error !== null) c.error(outcome.error);
  else c.reply.ok();
  server.unblockClient(c, true);
  server.flushPendingWrites();
}

const commands: CommandDef[] = [{ name: 'migrate', handler: migrateCommand }];
export default commands;
