/**
 * Client: one connection's state — query buffer and parser, reply writer, selected db, protocol
 * version, auth, name, and the per-feature state (MULTI, blocking, pub/sub) that commands hang on it.
 * Source: Redis 7.0 server.h `struct client`.
 */
import type net from 'node:net';
import type { Command } from '../commands/table.js';
import { RespParser } from '../protocol/parser.js';
import { type AclUser, aclOf } from './acl.js';
import type { Connection } from './connection.js';
import { ReplyWriter } from '../protocol/reply.js';
import type { Db } from '../store/db.js';
import type { KeydraServer } from './server.js';

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
  closed = false;
  /** Commands come from the AOF (or a master): replay rewritten arguments as given (Redis mustObeyClient). */
  mustObey = false;
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
  /** A WATCHed key was touched: EXEC must answer nil. */
  dirtyCas = false;
  /** The client scripts run their commands as (Redis CLIENT_SCRIPT). */
  isScript = false;
  /** A script this client runs is suspended past busy-reply-threshold (src/scripting/engine.ts). */
  scriptSuspended = false;
  /** The rest of an EXEC that waits for such a script: run by the engine when the script ends. */
  execContinuation: (() => void) | null = null;
  /** Keys this client WATCHes, as `${dbId}\0${key}`. */
  readonly watched = new Set<string>();
  /** Watched keys that had a TTL when watched ([dbId, key]); EXEC fails if one has expired since. */
  watchedExpiring: [number, string][] | null = null;
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
  /** Unix ms since which the output has been over its soft limit (client-output-buffer-limit). */
  softLimitSince: number | undefined = undefined;

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
    this.parser = new RespParser({
      maxBulkLen: server.config.num('proto-max-bulk-len'),
      maxQueryBuffer: server.config.num('client-query-buffer-limit'),
    });
    // Redis createClient: the default user, authenticated when it is nopass and on.
    this.user = aclOf(server).defaultUser;
    // Clients without a socket (scripts, AOF loading) run as Redis's superuser (no ACL check).
    this.unrestricted = socket === null || this.user.unrestricted;
    this.authenticated = this.user.nopass && this.user.enabled;
    this.parser.authenticated = this.authenticated;
    this.createdAt = Date.now();
    this.lastInteraction = this.createdAt;
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
}

function formatAddr(ip: string | undefined, port: number | undefined): string {
  if (!ip) return '';
  if (ip.startsWith('::ffff:')) ip = ip.slice(7);
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
