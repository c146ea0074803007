/**
 * The dispatcher: from parsed argv to an executed command, with Redis's shared checks in Redis's
 * order (unknown command, arity, auth, OOM, pub/sub context, loading, MULTI queueing), then `call`,
 * which runs the handler, records stats and propagates the write.
 * Source: Redis 7.0 server.c processCommand, call, propagatePendingCommands.
 */
import { type Command, lookupCommand } from '../commands/table.js';
import { CmdFlag } from '../commands/types.js';
import { ERR_LOADING, ERR_NOAUTH, ERR_OOM, errArity, errPubSubContext, errUnknownCommand, errUnknownSubcommand } from '../errors.js';
import { QUEUED } from '../protocol/reply.js';
import type { Client } from './client.js';

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
  if (cmd) cmd.rejectedCalls++;
  c.server.countError(msg);
  if (c.multi !== null) c.multiError = true;
  c.reply.error(msg);
}

/**
 * Resolves argv[0] (and argv[1] for containers) to a command, replying the unknown-command,
 * unknown-subcommand or arity error when it cannot run. @returns the command or null.
 */
export function resolveCommand(c: Client, argv: string[]): Command | null {
  let cmd = lookupCommand(argv[0]);
  if (cmd === undefined) {
    reject(c, null, errUnknownCommand(argv));
    return null;
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

/** Runs one request from a client: checks, MULTI queueing, execution. */
export function processCommand(c: Client, argv: string[]): void {
  const server = c.server;
  server.keyspace.now = Date.now();
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
  if ((flags & CmdFlag.DenyOom) !== 0 && server.maxmemory > 0 && !server.evict() && !c.multi) {
    reject(c, cmd, ERR_OOM);
    return;
  }
  if (c.resp === 2 && c.inPubSub && !PUBSUB_ALLOWED.has(cmd.parent?.fullName ?? cmd.fullName)) {
    reject(c, cmd, errPubSubContext(cmd.fullName));
    return;
  }
  if (server.loading && (flags & CmdFlag.Loading) === 0) {
    reject(c, cmd, ERR_LOADING);
    return;
  }
  if (server.diskError !== null && ((flags & CmdFlag.Write) !== 0 || cmd.fullName === 'ping')) {
    // Redis writeCommandsDeniedByDiskError (after the loading check, as in processCommand).
    reject(c, cmd, server.diskError);
    return;
  }
  if (server.busyScript !== null && (flags & CmdFlag.AllowBusy) === 0) {
    // A script runs past busy-reply-threshold (Redis isInsideYieldingLongCommand).
    reject(c, cmd, server.busyScript);
    return;
  }
  if (c.multi !== null && !MULTI_IMMEDIATE.has(cmd.fullName)) {
    c.multi.push(argv);
    c.reply.raw(QUEUED);
    return;
  }
  call(c, cmd, argv);
  server.afterCommand();
}

/**
 * Executes a command that passed the checks: runs the handler, updates commandstats and
 * propagates its writes (argv, or the handler's replacement, to the AOF and replicas).
 * Used by processCommand, EXEC and scripts.
 */
export function call(c: Client, cmd: Command, argv: string[]): void {
  const server = c.server;
  const dirtyBefore = server.dirty;
  const errorsBefore = server.stats.total_error_replies;
  server.propArgv = null;
  server.preventPropagation = false;
  const t0 = performance.now();
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
  cmd.usec += (performance.now() - t0) * 1000;
  cmd.calls++;
  if (server.stats.total_error_replies !== errorsBefore) cmd.failedCalls++;
  server.stats.total_commands_processed++;
  c.lastCommand = cmd.fullName;
  if (server.dirty !== dirtyBefore && !server.preventPropagation) {
    server.alsoPropagate(c.db.id, server.propArgv ?? argv);
  }
  if (server.execDepth === 0) server.flushPropagation();
}
