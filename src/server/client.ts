/**
 * Client: one connection's state — query buffer and parser, reply writer, selected db, protocol
 * version, auth, name, and the per-feature state (MULTI, blocking, pub/sub) that commands hang on it.
 * Also the client accounting of the connection layer: client-output-buffer-limit per class
 * (checked as replies grow, after writes and by the clients cron), and the clients cron that
 * resizes the accounted query and reply buffers (CLIENT LIST qbuf-free, rbs, rbp).
 * Source: Redis 7.0 server.h `struct client`, networking.c (checkClientOutputBufferLimits,
 * closeClientOnOutputBufferLimitReached), server.c (clientsCron and its helpers).
 */
import type net from 'node:net';
import type { Command } from './command.js';
import { type ParserLimits, RespParser } from '../protocol/parser.js';
import { type AclUser, aclOf } from './acl.js';
import type { Connection } from './connection.js';
import { ReplyWriter } from '../protocol/reply.js';
import type { Db } from '../store/db.js';
import type { KeydraServer } from './server.js';
import { clientMemoryChanged, clientMemoryOf } from './clientEviction.js';

/** A blocked client's wait (BLPOP & co.): keys waited on, deadline (ms, 0 = forever), handlers. */
export interface BlockState {
  /** Keys waited on, in the db the command ran in. */
  keys: string[];
  /** Absolute Unix ms at which the wait times out; 0 waits forever. */
  deadline: number;
  /**
   * Called when a waited key is signalled ready. Runs the command's serve step; returns true if
   * the client was served (and replied), false to keep waiting.
   */
  onReady: (c: Client, key: string) => boolean;
  /** Replies the timeout value (nil array for BLPOP). */
  onTimeout: (c: Client) => void;
  /** The command being waited on, for CLIENT LIST and commandstats. */
  command: string;
  /** Also called when the key is gone (XREADGROUP replies an error then), so waiters after it are tried too. */
  servesMissingKey?: boolean;
  /**
   * Set by the dispatcher's after-call hook (commands/server/slowlog.ts afterCall): the command
   * and argv as sent and the blocking call's duration (µs), for the stats, slow log and latency
   * histogram recorded when the client is served (Redis updateStatsOnUnblock).
   */
  sent?: { cmd: Command; argv: string[]; usec: number };
}

export class Client {
  /** CLIENT ID: unique, increasing. */
  readonly id: number;
  db: Db;
  readonly reply: ReplyWriter;
  readonly parser: RespParser;
  name = '';
  libName = '';
  libVer = '';
  authenticated: boolean;
  /** The ACL user (src/server/acl.ts); `unrestricted` mirrors user.unrestricted (dispatcher skips the ACL check). */
  user: AclUser;
  unrestricted: boolean;
  /** Unix ms of creation and of the last command (CLIENT LIST age/idle, `timeout`). */
  readonly createdAt: number;
  lastInteraction: number;
  /** Full name of the last command run (CLIENT LIST cmd=). */
  lastCommand = 'NULL';
  /** argv[0] of the last request resolved and its top-level command (dispatcher lookup cache). */
  lastCmdName: string | null = null;
  lastCmd: Command | null = null;
  /** Reply, then close the connection (QUIT, protocol errors, CLIENT KILL of self). */
  closeAfterReply = false;
  /**
   * While a Lua debugging session of this client lasts (src/scripting/ldb.ts), its input bytes go
   * here instead of the command parser (Redis ldbRepl reads the connection directly); else null.
   */
  ldbInput: ((data: Buffer) => void) | null = null;
  closed = false;
  /** Commands come from the AOF (or a master): replay rewritten arguments as given (Redis mustObeyClient). */
  mustObey = false;
  /** This connection is a replica's link (after SYNC/PSYNC): its commands must not produce replies (dispatch.ts replicaLinkCommand). */
  replicaLink = false;
  /** READONLY: a cluster replica serves this client's reads of its primary's slots (Redis CLIENT_READONLY). */
  clusterReadonly = false;
  /** ASKING: the next command may use a slot this node imports (Redis CLIENT_ASKING, one-shot; kept inside MULTI). */
  asking = false;
  /**
   * Cluster forwarding (src/server/clusterForward.ts): while a command of this client is away at a
   * slot's owner, the replies of its later commands in request order (null until known), and the
   * first later command that must wait for all of them (it runs once they are relayed).
   */
  fwdQueue: { reply: Buffer | null }[] = [];
  fwdDeferred: string[] | null = null;
  /** Replication offset after this client's last propagated write (Redis c->woff; WAIT). */
  woff = 0;
  /** Set while the client waits in a blocking command. */
  blocked: BlockState | null = null;
  /** Pub/sub subscriptions (channels and patterns), latin1 names. */
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  readonly shardChannels = new Set<string>();
  /** MULTI state: null outside a transaction; queued argv lists otherwise. */
  multi: string[][] | null = null;
  /** A command inside MULTI was rejected: EXEC must answer EXECABORT. */
  multiError = false;
  /** Union of the CmdFlag bits of the queued commands (Redis mstate.cmd_flags): EXEC of a queue
   * holding a denyoom command is refused when over maxmemory. */
  multiFlags = 0;
  /** Union of the inverted CmdFlag bits of the queued commands (Redis mstate.cmd_inv_flags): a
   * queued command without `stale` makes EXEC refused on a stale replica. */
  multiInvFlags = 0;
  /** A WATCHed key was touched: EXEC must answer nil. */
  dirtyCas = false;
  /** The client scripts run their commands as (Redis CLIENT_SCRIPT). */
  isScript = false;
  /** For the script client: the client whose script runs and the keys it declared (Redis
   * server.script_caller), so that tracking remembers those keys for the caller. */
  scriptCaller: Client | null = null;
  scriptKeys: string[] | null = null;
  /** A script this client runs is suspended past busy-reply-threshold (src/scripting/engine.ts). */
  scriptSuspended = false;
  /** The rest of an EXEC that waits for such a script: run by the engine when the script ends. */
  execContinuation: (() => void) | null = null;
  /**
   * A socketless client whose scripts may be suspended past busy-reply-threshold too (the AOF
   * replayer of an asynchronous load: it waits for the script through `scriptDone`).
   */
  scriptsMayYield = false;
  /** Called once when a suspended script of this socketless client has replied (engine cleanup). */
  scriptDone: (() => void) | null = null;
  /** Keys this client WATCHes, as `${dbId}\0${key}`. */
  readonly watched = new Set<string>();
  /** Watched keys that had a TTL when watched ([dbId, key]); EXEC fails if one has expired since. */
  watchedExpiring: [number, string][] | null = null;
  /** Watched keys that were already expired (not yet deleted) when watched, as `${dbId}\0${key}`:
   * their deletion is no change (Redis watchedKey.expired). */
  watchedStale: Set<string> | null = null;
  /** CLIENT NO-EVICT ON: never freed by client eviction (Redis CLIENT_NO_EVICT, CLIENT LIST flag e). */
  noEvict = false;
  /** Connected through the unix socket (CLIENT LIST flag U). */
  readonly unixSocket: boolean;
  /** Peer and local addresses as `ip:port`. */
  readonly addr: string;
  readonly laddr: string;
  /** True once output is waiting in `reply` and the client is queued for a flush. */
  pendingWrite = false;
  /** True while reading is paused because the socket's send buffer is full. */
  paused = false;
  /** The socket's data path (reads and writes on the libuv handle); null for fake clients. */
  conn: Connection | null = null;
  /** Timer of a blocking command's timeout. */
  blockTimer: NodeJS.Timeout | undefined = undefined;
  /** Unix seconds since which the output has been over its soft limit (client-output-buffer-limit); 0: not over. */
  softLimitSince = 0;
  /**
   * Closed for its output (client-output-buffer-limit, Redis CLIENT_CLOSE_ASAP): its output is
   * dropped, its pending commands are not run, and the next flush frees it. `closeAfterReply` is
   * set with it (the read loop stops on that one flag).
   */
  closeAsap = false;
  /**
   * Redis's reply buffer accounting (CLIENT LIST rbs, rbp): the size of the static reply buffer
   * (16 KB at first, resized by the clients cron between 1 KB and 16 KB) and the most of it used
   * since the last peak reset (Unix ms). Source: server.c clientsCronResizeOutputBuffer.
   */
  rbs = PROTO_REPLY_CHUNK_BYTES;
  rbPeak = PROTO_REPLY_CHUNK_BYTES;
  rbPeakReset: number;

  constructor(
    readonly server: KeydraServer,
    readonly socket: net.Socket | null,
    id: number,
    /** The socket file of a unix socket connection (CLIENT LIST shows `addr=<path>:0`). */
    unixPath?: string,
  ) {
    this.id = id;
    this.db = server.keyspace.dbs[0];
    this.reply = new ReplyWriter(2048);
    this.parser = new RespParser(netOf(server).parserLimits);
    if (socket !== null) this.reply.overflow = (size) => outputMayGrow(this, size);
    // Redis createClient: the default user, authenticated when it is nopass and on.
    this.user = aclOf(server).defaultUser;
    // Clients without a socket (scripts, AOF loading) run as Redis's superuser (no ACL check).
    this.unrestricted = socket === null || this.user.unrestricted;
    this.authenticated = this.user.nopass && this.user.enabled;
    this.parser.authenticated = this.authenticated;
    this.createdAt = Date.now();
    this.lastInteraction = this.createdAt;
    // Redis 7.0 stamps a new client's peak reset with server.unixtime (seconds) and compares it
    // with milliseconds, so the first cron visit always resets the peak: do the same.
    this.rbPeakReset = Math.floor(this.createdAt / 1000);
    this.unixSocket = unixPath !== undefined;
    if (unixPath !== undefined) {
      this.addr = `${unixPath}:0`;
      this.laddr = this.addr;
    } else {
      this.addr = socket ? formatAddr(socket.remoteAddress, socket.remotePort) : '';
      this.laddr = socket ? formatAddr(socket.localAddress, socket.localPort) : '';
    }
  }

  /** Replies an error and counts it for INFO errorstats; `msg` is the full text (`ERR ...`). */
  error(msg: string): void {
    this.server.countError(msg);
    this.reply.error(msg);
  }

  /** Protocol version chosen with HELLO (2 or 3). */
  get resp(): 2 | 3 {
    return this.reply.resp;
  }

  set resp(v: 2 | 3) {
    this.reply.resp = v;
  }

  /** True while the client is subscribed to any channel or pattern (RESP2 subscribed mode). */
  get inPubSub(): boolean {
    return this.channels.size + this.patterns.size + this.shardChannels.size > 0;
  }

  /** The client's class (CLIENT LIST/KILL TYPE, output limits): normal, pubsub, master or replica (Redis getClientType). */
  get type(): ClientType {
    const x = this as unknown as { isReplica?: boolean; isMaster?: boolean };
    if (x.isMaster) return 'master';
    if (x.isReplica) return 'replica';
    return this.inPubSub ? 'pubsub' : 'normal';
  }

  /**
   * Bytes of output waiting (Redis getClientOutputBufferMemoryUsage, CLIENT LIST omem): the reply
   * bytes beyond the first 16 KB (what Redis keeps in its reply list past its static buffer) plus
   * those queued in the socket, written but not yet taken by the kernel.
   */
  get outputMemory(): number {
    const over = this.reply.pos - PROTO_REPLY_CHUNK_BYTES;
    return Math.max(over, 0) + (this.conn !== null ? this.conn.pendingBytes : 0);
  }
}

/** A client class of client-output-buffer-limit and CLIENT LIST TYPE. */
export type ClientType = 'normal' | 'pubsub' | 'master' | 'replica';

/** Redis's reply chunk and static reply buffer size (PROTO_REPLY_CHUNK_BYTES), bytes. */
const PROTO_REPLY_CHUNK_BYTES = 16 * 1024;
/** The least size Redis shrinks a reply buffer to (PROTO_REPLY_MIN_BYTES), bytes. */
const PROTO_REPLY_MIN_BYTES = 1024;
/** How often the reply buffer peak restarts (REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME), ms. */
const REPLY_BUFFER_PEAK_RESET_MS = 5000;
/** Clients visited per cron tick at least (CLIENTS_CRON_MIN_ITERATIONS). */
const CLIENTS_CRON_MIN_ITERATIONS = 5;

/** One class's client-output-buffer-limit: bytes (0: none) and seconds. */
export interface OutputLimit {
  hard: number;
  soft: number;
  softSeconds: number;
}

/** Per-server connection-layer state: parsed limits shared by every client, clients cron position. */
interface NetState {
  /** client-output-buffer-limit per class (master clients use `normal`, as in Redis). */
  limits: Record<'normal' | 'replica' | 'pubsub', OutputLimit>;
  /** One object shared by every client's parser, updated by CONFIG SET. */
  parserLimits: ParserLimits;
  /** Where the clients cron goes on (it visits a share of the clients per tick, as Redis). */
  cronIter: Iterator<Client> | null;
}

const nets = new WeakMap<KeydraServer, NetState>();

/** Parses client-output-buffer-limit's normalised rules (`class hard soft seconds`, bytes). */
function parseOutputLimits(rules: string[]): NetState['limits'] {
  // Redis's defaults for a class the rules do not name.
  const limits: NetState['limits'] = {
    normal: { hard: 0, soft: 0, softSeconds: 0 },
    replica: { hard: 256 * 1024 * 1024, soft: 64 * 1024 * 1024, softSeconds: 60 },
    pubsub: { hard: 32 * 1024 * 1024, soft: 8 * 1024 * 1024, softSeconds: 60 },
  };
  for (const r of rules) {
    const [cls, hard, soft, secs] = r.split(' ');
    const k = cls === 'slave' ? 'replica' : cls;
    if (k === 'normal' || k === 'replica' || k === 'pubsub') {
      limits[k] = { hard: Number(hard), soft: Number(soft), softSeconds: Number(secs) };
    }
  }
  return limits;
}

/** The connection-layer state of `server`, created (and bound to its config) on first use. */
function netOf(server: KeydraServer): NetState {
  const st = nets.get(server);
  if (st !== undefined) return st;
  const cfg = server.config;
  const created: NetState = {
    limits: parseOutputLimits(cfg.list('client-output-buffer-limit')),
    parserLimits: { maxBulkLen: cfg.num('proto-max-bulk-len'), maxQueryBuffer: cfg.num('client-query-buffer-limit') },
    cronIter: null,
  };
  cfg.onChange('client-output-buffer-limit', (v) => {
    created.limits = parseOutputLimits(v as string[]);
  });
  cfg.onChange('proto-max-bulk-len', (v) => {
    created.parserLimits.maxBulkLen = v as number;
  });
  cfg.onChange('client-query-buffer-limit', (v) => {
    created.parserLimits.maxQueryBuffer = v as number;
  });
  nets.set(server, created);
  return created;
}

/**
 * Whether `c` is over its class's output limit with `used` bytes waiting (Redis
 * checkClientOutputBufferLimits): at or over the hard limit (for a replica, at least
 * repl-backlog-size), or over the soft limit continuously for more than its seconds (the first
 * time over starts the clock). Updates the soft-limit clock.
 */
export function outputLimitReached(c: Client, used: number): boolean {
  const t = c.type;
  const lim = netOf(c.server).limits[t === 'master' ? 'normal' : t];
  // A replica's hard limit is at least repl-backlog-size (a lower one is ignored, as Redis: the
  // replica shares the backlog's memory, and a partial sync would succeed only to be dropped).
  let hardBytes = lim.hard;
  if (t === 'replica' && hardBytes > 0) hardBytes = Math.max(hardBytes, c.server.config.num('repl-backlog-size'));
  const hard = lim.hard > 0 && used >= hardBytes;
  let soft = lim.soft > 0 && used >= lim.soft;
  if (soft) {
    const now = Math.floor(Date.now() / 1000);
    if (c.softLimitSince === 0) {
      c.softLimitSince = now;
      soft = false;
    } else if (now - c.softLimitSince <= lim.softSeconds) {
      soft = false;
    }
  } else {
    c.softLimitSince = 0;
  }
  return soft || hard;
}

/**
 * Closes `c` for its output (Redis closeClientOnOutputBufferLimitReached): `async` drops its
 * output and frees it at the next flush (it may be in the middle of a command, or be written by
 * another client's); otherwise frees it now. Logs as Redis does, with the CLIENT LIST line.
 */
export function closeForOutputLimit(c: Client, async: boolean): void {
  if (c.closed || c.closeAsap) return;
  const info = c.server.commands.hooks.clientInfo(c);
  const server = c.server;
  if (async) {
    c.closeAsap = true;
    c.closeAfterReply = true;
    c.conn?.pauseReading();
    server.markPendingWrite(c);
    server.log.warning(`Client ${info} scheduled to be closed ASAP for overcoming of output buffer limits.`);
  } else {
    server.freeClient(c);
    server.log.warning(`Client ${info} closed for overcoming of output buffer limits.`);
  }
}

/**
 * True when client-output-buffer-limit bounds this socket client's output (a hard or soft limit for
 * its class): an over-long reply then closes it mid-command (Redis CLIENT_CLOSE_ASAP), so commands
 * may stream replies larger than they could build and stop when `c.closeAsap` turns true.
 */
export function outputLimited(c: Client): boolean {
  if (c.conn === null) return false;
  const t = c.type;
  const lim = netOf(c.server).limits[t === 'master' ? 'normal' : t];
  return lim.hard > 0 || lim.soft > 0;
}

/**
 * ReplyWriter overflow hook of socket clients: the reply buffer must grow to `size` bytes.
 * @returns false when the client is (now) being closed for its output: the writer drops it.
 */
function outputMayGrow(c: Client, size: number): boolean {
  if (c.closeAsap) return false;
  const t = c.type;
  const lim = netOf(c.server).limits[t === 'master' ? 'normal' : t];
  // With a limit for its class, asked again at the end of each 16 KB block of output: Redis checks
  // when it allocates a reply block, and counts the whole block.
  const blocks = Math.ceil(size / PROTO_REPLY_CHUNK_BYTES) * PROTO_REPLY_CHUNK_BYTES;
  c.reply.limitAt = lim.hard > 0 || lim.soft > 0 ? blocks : Number.POSITIVE_INFINITY;
  // The whole buffer counts here (omem leaves out its first 16 KB, Redis's static buffer, but a
  // reply with a deferred length, such as KEYS, goes to blocks from its first byte): the limit is
  // then hit before the buffer would double past it.
  const used = (size <= PROTO_REPLY_CHUNK_BYTES ? size : blocks) + (c.conn !== null ? c.conn.pendingBytes : 0);
  if (!outputLimitReached(c, used)) return true;
  c.reply.limitAt = Number.POSITIVE_INFINITY;
  closeForOutputLimit(c, true);
  return false;
}

/**
 * After a flush wrote `c`'s replies: notes the reply buffer peak, and checks the output limits
 * against what is still queued in the socket (a client that does not read). Frees it if over.
 */
export function afterClientWrite(c: Client, written: number): void {
  const used = Math.min(written, c.rbs);
  if (used > c.rbPeak) c.rbPeak = used;
  if (c.conn === null) return;
  const pending = c.conn.pendingBytes;
  if ((pending > 0 || c.softLimitSince !== 0) && outputLimitReached(c, pending)) {
    const info = c.server.commands.hooks.clientInfo(c);
    c.server.freeClient(c);
    c.server.log.warning(`Client ${info} scheduled to be closed ASAP for overcoming of output buffer limits.`);
    return;
  }
  // Redis writeToClient → updateClientMemUsageAndBucket (then evictClients, in beforeSleep).
  const ce = c.server.clientEviction;
  if (ce !== null) clientMemoryChanged(ce, c);
}

/** Bytes of replies a client that does not read may have queued before its requests stop being read. */
export const OUTPUT_BACKLOG_PAUSE = 32 * 1024 * 1024;

/**
 * True when `c`'s socket queues so much output (OUTPUT_BACKLOG_PAUSE) that reading its requests
 * pauses until the queue drains. Below that it is read on as Redis does: what it does not read
 * counts in its output memory (omem), so client-output-buffer-limit and maxmemory-clients see it.
 */
export function outputBacklogFull(c: Client): boolean {
  return c.conn !== null && c.conn.pendingBytes >= OUTPUT_BACKLOG_PAUSE;
}

/**
 * Clients cron (Redis clientsCron): visits numclients/hz clients per tick (at least 5), so each
 * about once a second, resizing the accounted query and reply buffers and closing clients over
 * their output limits (the soft limit's seconds pass without new output).
 */
export function clientsCron(server: KeydraServer, now: number, hz: number): void {
  const st = netOf(server);
  const n = server.clients.size;
  let iterations = Math.floor(n / Math.max(1, hz));
  if (iterations < CLIENTS_CRON_MIN_ITERATIONS) iterations = Math.min(n, CLIENTS_CRON_MIN_ITERATIONS);
  let restarted = false;
  while (iterations-- > 0) {
    st.cronIter ??= server.clients.values();
    const r = st.cronIter.next();
    if (r.done) {
      st.cronIter = null;
      if (restarted) break;
      restarted = true;
      iterations++;
      continue;
    }
    const c = r.value;
    if (c.closed) continue;
    c.parser.cronResize(Math.floor(now / 1000) - Math.floor(c.lastInteraction / 1000));
    resizeReplyBuffer(c, now);
    c.reply.trim();
    // Redis clientsCron: the client's memory, in its bucket when it may be evicted, else only in
    // its class's total (INFO mem_clients_normal).
    const ce = server.clientEviction;
    if ((ce === null || !ce.update(c)) && !c.closeAsap) clientMemoryOf(server).updateUsage(c);
    if (c.outputMemory > 0 || c.softLimitSince !== 0) {
      if (outputLimitReached(c, c.outputMemory)) closeForOutputLimit(c, false);
    }
  }
  // Redis beforeSleep → evictClients: what the cron saw (a NO-EVICT client's growth) counts too.
  server.clientEviction?.evict();
}

/** Redis clientsCronResizeOutputBuffer on the accounted reply buffer (rbs, rbp). */
function resizeReplyBuffer(c: Client, now: number): void {
  const shrinkTo = c.rbs / 2;
  const expandTo = c.rbs * 2;
  if (shrinkTo >= PROTO_REPLY_MIN_BYTES && c.rbPeak < shrinkTo) {
    c.rbs = Math.max(PROTO_REPLY_MIN_BYTES, c.rbPeak + 1);
  } else if (expandTo < PROTO_REPLY_CHUNK_BYTES * 2 && c.rbPeak === c.rbs) {
    c.rbs = Math.min(PROTO_REPLY_CHUNK_BYTES, expandTo);
  }
  if (now - c.rbPeakReset >= REPLY_BUFFER_PEAK_RESET_MS) {
    const p = c.reply.pos;
    c.rbPeak = Math.min(p, c.rbs);
    c.rbPeakReset = now;
  }
}

function formatAddr(ip: string | undefined, port: number | undefined): string {
  if (!ip) return '';
  if (ip.startsWith('::ffff:')) ip = ip.slice(7);
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** True when the client is connected over TLS (a tls-port connection). */
export function clientIsTls(c: Client): boolean {
  return (c.conn?.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
}
