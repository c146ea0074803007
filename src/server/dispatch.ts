/**
 * The dispatcher: from parsed argv to an executed command, with Redis's shared checks in Redis's
 * order (unknown command, arity, auth, OOM, pub/sub context, loading, MULTI queueing), then `call`,
 * which runs the handler, records stats and propagates the write.
 * Source: Redis 7.0 server.c processCommand, call, propagatePendingCommands.
 */
import { performance } from 'node:perf_hooks';
import { CmdFlag, type Command } from './command.js';
import {
  ERR_LOADING,
  ERR_NOAUTH,
  ERR_MASTERDOWN,
  ERR_NOREPLICAS,
  ERR_OOM,
  ERR_READONLY,
  errArity,
  errPubSubContext,
  errUnknownCommand,
  errUnknownSubcommand,
} from '../errors.js';
import { QUEUED } from '../protocol/reply.js';
import { aclCheck } from './acl.js';
import { commandMayHaveKeys, getNodeByQuery, Redir, redirectError } from './clusterRouter.js';
import type { Client } from './client.js';
import { postponeIfPaused } from './pause.js';
import { trackingBeforeCall } from './tracking.js';

/** Commands allowed while a RESP2 client is subscribed. */
const PUBSUB_ALLOWED = new Set([
  'ping',
  'subscribe',
  'ssubscribe',
  'unsubscribe',
  'sunsubscribe',
  'psubscribe',
  'punsubscribe',
  'quit',
  'reset',
]);
/** Commands that run immediately inside MULTI instead of being queued. */
const MULTI_IMMEDIATE = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);

/** Replies an error for a command refused before running, flagging an open MULTI (rejectCommand). */
function reject(c: Client, cmd: Command | null, msg: string): void {
  if (cmd) c.server.cmdStats.a[cmd.statIdx + 2]++;
  if (c.multi !== null && cmd?.fullName === 'exec') {
    // Redis rejectCommand → execCommandAbort: a rejected EXEC (e.g. -BUSY) discards the transaction.
    c.server.commands.hooks.discardTransaction(c);
    c.error(`EXECABORT Transaction discarded because of: ${msg}`);
    return;
  }
  c.server.countError(msg);
  if (c.multi !== null) c.multiError = true;
  c.reply.error(msg);
}

/**
 * The cluster gate of processCommand (cluster-enabled yes): consumes the one-shot ASKING flag
 * (kept inside MULTI, Redis resetClient), then, unless the client must be obeyed (AOF, primary)
 * or the command has no keys, routes it (getNodeByQuery). A command for another node is
 * forwarded there (cluster-forward yes, src/server/clusterForward.ts) or refused with the
 * redirection: a refused EXEC discards the transaction, a refused command inside MULTI flags it.
 * @returns true when the command was answered here (redirected or forwarded).
 */
function clusterGate(c: Client, cmd: Command, argv: string[], flags: number): boolean {
  const asking = c.asking;
  if (asking && c.multi === null && cmd.fullName !== 'multi') c.asking = false;
  if (c.mustObey || !commandMayHaveKeys(cmd)) {
    if (cmd.fullName === 'script|load' && c.server.clusterForward?.enabled === true) c.server.clusterForward.rememberScript(argv[2]);
    return false;
  }
  const r = getNodeByQuery(c, cmd, argv, cmd.flagsFor === null ? flags : cmd.flagsFor(c, argv, flags), asking);
  if (r.code === Redir.None) return false;
  const fwd = c.server.clusterForward;
  if (fwd?.enabled) {
    // Inside MULTI a remote slot's command is queued: EXEC forwards the whole transaction.
    if (c.multi !== null && cmd.fullName !== 'exec' && fwd.queuesRemote(c, r)) return false;
    if (fwd.tryForward(c, cmd, argv, r)) return true;
  }
  const msg = redirectError(c, r);
  if (cmd.fullName === 'exec') {
    c.server.cmdStats.a[cmd.statIdx + 2]++; // rejected_calls
    c.server.commands.hooks.discardTransaction(c);
    c.error(msg);
  } else reject(c, cmd, msg);
  return true;
}

/** Commands not refused inside MULTI when over maxmemory (Redis processCommand). */
const MULTI_OOM_EXEMPT = new Set(['exec', 'discard', 'quit', 'reset']);

/**
 * The maxmemory gate of processCommand (Redis 7.0 processCommand): evictions first, then a denyoom command, an EXEC whose
 * queue holds one, and any command queued inside MULTI (but EXEC, DISCARD, QUIT, RESET) are refused
 * with `-OOM ...` when eviction cannot bring memory under the limit; a refused EXEC answers
 * `-EXECABORT Transaction discarded because of: OOM ...` and ends the transaction (execCommandAbort).
 * @returns true when the command was refused.
 */
function oomCheck(c: Client, cmd: Command, flags: number): boolean {
  const isExec = cmd.fullName === 'exec';
  const denyOom =
    (flags & CmdFlag.DenyOom) !== 0 ||
    (isExec && (c.multiFlags & CmdFlag.DenyOom) !== 0) ||
    (c.multi !== null && !MULTI_OOM_EXEMPT.has(cmd.fullName));
  // Evictions run before every command, reads included (the keys they free are invalidated for
  // tracking clients before the reply); not while a script is suspended (isInsideYieldingLongCommand).
  if (c.server.busyScript !== null) return false;
  const ok = c.server.evict();
  // Keys the evictions freed: their invalidations go out before this command's reply.
  trackingBeforeCall(c);
  if (ok || !denyOom) return false;
  reject(c, cmd, ERR_OOM); // a refused EXEC answers EXECABORT (reject → execCommandAbort)
  return true;
}

/** Redis is_write_command: the call's own write flag (a script's declared one), or EXEC of a queue with a write. */
function isWriteCall(c: Client, cmd: Command, argv: string[], flags: number): boolean {
  const f = cmd.flagsFor === null ? flags : cmd.flagsFor(c, argv, flags);
  return (f & CmdFlag.Write) !== 0 || (cmd.fullName === 'exec' && c.multi !== null && (c.multiFlags & CmdFlag.Write) !== 0);
}

/**
 * Resolves argv[0] (and argv[1] for containers) to a command, replying the unknown-command,
 * unknown-subcommand or arity error when it cannot run. @returns the command or null.
 */
export function resolveCommand(c: Client, argv: string[]): Command | null {
  // The client's previous command name is usually the same string object (the parser reuses it):
  // one pointer comparison instead of a command table lookup.
  const name = argv[0];
  let cmd: Command | undefined;
  if (name === c.lastCmdName) cmd = c.lastCmd as Command;
  else {
    cmd = c.server.commands.lookup(name);
    if (cmd === undefined) {
      reject(c, null, errUnknownCommand(argv));
      return null;
    }
    c.lastCmdName = name;
    c.lastCmd = cmd;
  }
  if (cmd.subcommands !== null && argv.length >= 2) {
    const sub = cmd.subcommands.get(argv[1]) ?? cmd.subcommands.get(argv[1].toLowerCase());
    if (sub === undefined) {
      reject(c, null, errUnknownSubcommand(cmd.fullName, argv[1]));
      return null;
    }
    cmd = sub;
  }
  const arity = cmd.arity;
  if ((arity > 0 && argv.length !== arity) || argv.length < -arity) {
    reject(c, cmd, errArity(cmd.fullName));
    return null;
  }
  return cmd;
}

/*
 * The command clock. Reading a clock costs ~0.2 µs on this class of VM (clock_gettime without a
 * vDSO fast path), so the dispatcher reads one per command instead of three (Date.now for the
 * keyspace time, performance.now before and after the handler): `clockMark` is performance.now()
 * at the end of the previous command of the same read batch (or at the start of the batch), the
 * start time of the next one. Its commandstats usec thus include its own parsing (~0.3 µs), and
 * `keyspace.now` is derived from it through `wallOffset` (Date.now() - performance.now(), in ms),
 * which the cron re-synchronises (a wall clock step is picked up within 1/hz s).
 */
// Both in a Float64Array: a double assigned to a module variable is boxed (a new HeapNumber per
// command, stored with a write barrier); a typed array element is written in place.
const clock = new Float64Array(2);
/** clock[MARK]: clockMark (ms, performance.now()); clock[WALL]: wallOffset (ms). */
const MARK = 0;
const WALL = 1;
clock[MARK] = performance.now();
// performance.timeOrigin is the wall time at performance.now() = 0 with sub-ms precision;
// Date.now() - performance.now() would be up to 1 ms low (Date.now truncates to whole ms).
clock[WALL] = performance.timeOrigin;
/** >0 while a read batch runs (processInput): clockMark is then the previous command's end. */
let batchDepth = 0;

/**
 * Re-reads the wall clock offset (server cron). A sample is up to 1 ms low (Date.now truncates),
 * so it replaces the offset only when the wall clock moved ahead, or back by 2 ms or more (a step).
 */
export function syncWallClock(): void {
  const off = Date.now() - performance.now();
  if (off > clock[WALL] || clock[WALL] - off >= 2) clock[WALL] = off;
}

/** Starts a batch of commands read together (processInput): one clock read for the batch start. */
export function beginBatch(): void {
  if (batchDepth++ === 0) clock[MARK] = performance.now();
}

/** Ends the batch begun by beginBatch. */
export function endBatch(): void {
  if (batchDepth > 0) batchDepth--;
}

/** keySpans' output: [start, end) of up to 32 frames' keys. */
const keySpans = new Int32Array(64);

/**
 * Before the next commands of a read batch run: finds the keys of the whole frames buffered for
 * `c` (up to 32) and reads the table ahead for them when there are at least two (Db.prefetch:
 * the cache misses of a pipeline overlap). A hint only. @returns the number of frames covered
 * (0 when none could be scanned: no more read-ahead for this batch).
 */
export function prefetchKeys(c: Client): number {
  const parser = c.parser;
  const frames = parser.keySpans(keySpans);
  if (parser.spanCount > 1) c.db.prefetch(parser.buffer, keySpans, parser.spanCount);
  return frames;
}

/** Runs one request from a client: checks, MULTI queueing, execution. */
export function processCommand(c: Client, argv: string[]): void {
  const server = c.server;
  if (batchDepth === 0) clock[MARK] = performance.now();
  server.keyspace.now = Math.floor(clock[MARK] + clock[WALL]);
  c.lastInteraction = server.keyspace.now;
  const cmd = resolveCommand(c, argv);
  if (cmd === null) return;
  const flags = cmd.flags;
  if (!c.authenticated && (flags & CmdFlag.NoAuth) === 0) {
    reject(c, cmd, ERR_NOAUTH);
    return;
  }
  if (c.multi !== null && (flags & CmdFlag.NoMulti) !== 0) {
    reject(c, cmd, 'ERR Command not allowed inside a transaction');
    return;
  }
  if (!c.unrestricted && !aclCheck(c, cmd, argv)) return; // ACL (src/server/acl.ts)
  if (server.cluster !== null && clusterGate(c, cmd, argv, flags)) return; // redirections (src/server/clusterRouter.ts)
  if (server.maxmemory > 0 && oomCheck(c, cmd, cmd.flagsFor === null ? flags : cmd.flagsFor(c, argv, flags))) return;
  // c.inPubSub spelled out: this function is past V8's inlining budget, the getter was a call.
  if (
    c.channels.size + c.patterns.size + c.shardChannels.size !== 0 &&
    c.resp === 2 &&
    !PUBSUB_ALLOWED.has(cmd.parent?.fullName ?? cmd.fullName)
  ) {
    reject(c, cmd, errPubSubContext(cmd.fullName));
    return;
  }
  if (server.loading && (flags & CmdFlag.Loading) === 0 && !c.mustObey) {
    // -LOADING is for clients: the replayer (AOF loading, a primary's stream) runs its commands.
    reject(c, cmd, ERR_LOADING);
    return;
  }
  if (
    server.diskError !== null &&
    (((cmd.flagsFor === null ? flags : cmd.flagsFor(c, argv, flags)) & CmdFlag.Write) !== 0 || cmd.fullName === 'ping')
  ) {
    // Redis writeCommandsDeniedByDiskError (after the loading check, as in processCommand); a
    // script's flags are its shebang's (EVAL of a `#!lua` script without no-writes is a write).
    reject(c, cmd, server.diskError);
    return;
  }
  if (server.minReplicasToWrite > 0 && !server.goodReplicasOk() && isWriteCall(c, cmd, argv, flags)) {
    // Redis processCommand: write commands need min-replicas-to-write good replicas (checkGoodReplicasStatus).
    reject(c, cmd, ERR_NOREPLICAS);
    return;
  }
  if (server.keyspace.replicaMode && !c.mustObey) {
    const repl = server.replication;
    if (repl.isReplica && isWriteCall(c, cmd, argv, flags) && server.config.bool('replica-read-only')) {
      reject(c, cmd, ERR_READONLY);
      return;
    }
    // EXEC is denied when a queued command is (Redis cmd_inv_flags & CMD_STALE).
    const denyStale = (flags & CmdFlag.Stale) === 0 || (cmd.fullName === 'exec' && (c.multiInvFlags & CmdFlag.Stale) !== 0);
    if (repl.isReplica && !repl.link?.linkUp && denyStale && !server.config.bool('replica-serve-stale-data')) {
      // Redis processCommand: a replica with a broken link and replica-serve-stale-data no.
      reject(c, cmd, ERR_MASTERDOWN);
      return;
    }
  }
  if (server.busyScript !== null && (flags & CmdFlag.AllowBusy) === 0) {
    // A script runs past busy-reply-threshold (Redis isInsideYieldingLongCommand).
    reject(c, cmd, server.busyScript);
    return;
  }
  if (server.pauseState !== null && postponeIfPaused(c, cmd, argv)) return; // CLIENT PAUSE (src/server/pause.ts)
  // A script command while the Lua VM loads (first use) waits for it, before MULTI queueing too,
  // so that EXEC never meets a VM that is not there.
  if (luaGate !== null && cmd.needsLua && luaGate(c, argv)) return;
  if (c.multi !== null && !MULTI_IMMEDIATE.has(cmd.fullName)) {
    c.multi.push(argv);
    const f = cmd.flagsFor === null ? flags : cmd.flagsFor(c, argv, flags);
    c.multiFlags |= f;
    c.multiInvFlags |= ~f;
    c.reply.raw(QUEUED);
    return;
  }
  if (c.replicaLink && cmd.fullName !== 'replconf') {
    replicaLinkCommand(c, cmd, argv);
    return;
  }
  call(c, cmd, argv);
  server.afterCommand();
}

/**
 * A command a replica sent on its replication link (other than REPLCONF): a keyspace command is
 * refused ("Replica can't interact with the keyspace", an error Redis logs as CRITICAL), any
 * other runs; a reply either way disconnects the replica, the reply unsent (it would corrupt the
 * stream). Source: Redis 7.0 server.c processCommand, networking.c _addReplyToBufferOrList,
 * logInvalidUseAndFreeClientAsync, afterErrorReply.
 */
function replicaLinkCommand(c: Client, cmd: Command, argv: string[]): void {
  const server = c.server;
  const f = cmd.flagsFor === null ? cmd.flags : cmd.flagsFor(c, argv, cmd.flags);
  const name = cmd.fullName;
  if ((f & (CmdFlag.Write | CmdFlag.Readonly | CmdFlag.MayReplicate)) !== 0) {
    server.log.warning(
      `== CRITICAL == This master is sending an error to its replica: 'Replica can't interact with the keyspace' after processing the command '${name}'`,
    );
  } else {
    const pos = c.reply.pos;
    call(c, cmd, argv);
    server.afterCommand();
    if (c.reply.pos === pos || c.closed) return;
    if (c.reply.pos > pos) c.reply.pos = pos; // the reply is not sent (the client is freed below)
  }
  server.log.warning(`Replica generated a reply to command '${name}', disconnecting it: id=${c.id} addr=${c.addr} name=${c.name ?? ''}`);
  server.freeClient(c);
}

/**
 * The server whose encoding thresholds (hash-max-listpack-*, set-max-intset-entries,
 * zset-max-listpack-*) the store's module-level limits hold. With several embedded servers in
 * one process, a command of another server re-applies its own first (one comparison per call).
 */
let limitsOwner: { applyEncodingLimits(): void } | null = null;

/** Records that the store's limits are now `server`'s (KeydraServer.applyEncodingLimits). */
export function setLimitsOwner(server: { applyEncodingLimits(): void }): void {
  limitsOwner = server;
}

/**
 * While the Lua VM is not loaded (it loads on first use), the scripting engine's gate: it takes
 * a command that needs it (Command.needsLua) and returns true when it deferred it (the client
 * waits, and the command is processed afresh once the VM is there). null once loaded: then the
 * dispatcher's check is one null comparison.
 */
let luaGate: ((c: Client, argv: string[]) => boolean) | null = null;

/** Installs (or, with null, removes) the Lua gate (src/scripting/engine.ts). */
export function setLuaGate(gate: ((c: Client, argv: string[]) => boolean) | null): void {
  luaGate = gate;
}

/** total_error_replies when the last command's errors were accounted (Redis prev_err_count). */
let errorsSeen = 0;

/**
 * Marks the errors counted so far as accounted to a command (a command a script was refused:
 * script.c scriptCall's incrCommandStatsOnError), so the script's own command is not failed for them.
 */
export function markErrorsAccounted(total: number): void {
  errorsSeen = total;
}

/**
 * Executes a command that passed the checks: runs the handler, updates commandstats and
 * propagates its writes (argv, or the handler's replacement, to the AOF and replicas).
 * Used by processCommand, EXEC and scripts.
 */
export function call(c: Client, cmd: Command, argv: string[]): void {
  const server = c.server;
  if (limitsOwner !== server) server.applyEncodingLimits();
  const dirtyBefore = server.dirty;
  errorsSeen = server.stats.total_error_replies;
  server.propArgv = null;
  server.preventPropagation = false;
  const t0 = batchDepth > 0 ? clock[MARK] : performance.now();
  const replyStart = c.reply.pos;
  try {
    (cmd.handler as (c: Client, argv: string[]) => void)(c, argv);
  } catch (e) {
    // A bug or an impossible allocation in a handler must not take the server down: drop any
    // partial reply, answer an error, log it. (Writes it made before throwing stay applied.)
    c.reply.pos = replyStart;
    c.error(`ERR internal error executing '${cmd.fullName}': ${(e as Error).message ?? e}`);
    server.log.warning(`Error executing ${cmd.fullName}: ${(e as Error).stack ?? e}`);
  }
  const t1 = performance.now();
  clock[MARK] = t1;
  // This server's commandstats (the Command is shared by every server of the process).
  const st = server.cmdStats.a;
  const si = cmd.statIdx;
  st[si]++;
  st[si + 1] += (t1 - t0) * 1000;
  // Errors since the last command (nested ones, e.g. from a script, took theirs): Redis
  // incrCommandStatsOnError's prev_err_count.
  if (server.stats.total_error_replies !== errorsSeen) st[si + 3]++;
  errorsSeen = server.stats.total_error_replies;
  server.commands.hooks.afterCall(c, cmd, argv, t1 - t0, replyStart);
  server.stats.total_commands_processed++;
  c.lastCommand = cmd.fullName;
  // Redis call(): a dirty counter that went down (reset by the command) propagates nothing.
  if (server.dirty > dirtyBefore && !server.preventPropagation) {
    server.alsoPropagate(c.db.id, server.propArgv ?? argv);
  }
  if (server.execDepth === 0) {
    const stream = server.replication.stream;
    const before = stream.offset;
    server.flushPropagation((cmd.flags & CmdFlag.TouchesArbitraryKeys) !== 0);
    // The stream offset right after this client's last propagated write, what WAIT waits for (Redis c->woff).
    if (stream.offset !== before) c.woff = stream.offset;
  }
}
