/**
 * CLIENT PAUSE / UNPAUSE: while paused, a client's command (every command in ALL mode; writes,
 * may-replicate commands and EXEC of a transaction with writes in WRITE mode) is postponed: the
 * client blocks and the command runs when the pause ends. Pauses only extend (a later end or a
 * stronger mode wins), as in Redis.
 * Source: Redis 7.0 networking.c pauseClients/unpauseClients, server.c processCommand
 * (blockPostponeClient).
 */
import type { Command } from './command.js';
import { CmdFlag } from './command.js';
import type { Client } from './client.js';
import { processCommand } from './dispatch.js';
import type { KeydraServer } from './server.js';

/** Unix ms at which the current pause ends; 0 when nothing is paused (read by the dispatcher). */
export let pausedUntil = 0;

interface PauseState {
  /** Unix ms at which the pause ends. */
  end: number;
  /** ALL (true) or WRITE (false). */
  all: boolean;
  timer: NodeJS.Timeout | null;
  /** Postponed clients with the command they sent, in arrival order. */
  waiting: { c: Client; argv: string[] }[];
}

const pauses = new Map<KeydraServer, PauseState>();

/**
 * Pauses clients of `server` until `end` (Unix ms); `all` false pauses only writes.
 * A shorter or weaker pause than the current one does not shorten or weaken it.
 */
export function pauseClients(server: KeydraServer, end: number, all: boolean): void {
  let st = pauses.get(server);
  if (st === undefined) {
    st = { end, all, timer: null, waiting: [] };
    pauses.set(server, st);
  } else {
    st.end = Math.max(st.end, end);
    st.all = st.all || all;
  }
  if (st.timer !== null) clearTimeout(st.timer);
  st.timer = setTimeout(() => unpauseClients(server), Math.max(0, st.end - Date.now()));
  server.keyspace.expirePaused = true;
  recomputeUntil();
}

function recomputeUntil(): void {
  let until = 0;
  for (const st of pauses.values()) until = Math.max(until, st.end);
  pausedUntil = until;
}

/** Ends the pause of `server` and runs the postponed commands in arrival order. */
export function unpauseClients(server: KeydraServer): void {
  const st = pauses.get(server);
  if (st === undefined) return;
  pauses.delete(server);
  server.keyspace.expirePaused = false;
  if (st.timer !== null) clearTimeout(st.timer);
  recomputeUntil();
  if (st.waiting.length === 0) return;
  // Replayed on the next turn, never inside the command that unpaused (CLIENT UNPAUSE).
  setImmediate(() => {
    for (const { c, argv } of st.waiting) {
      if (c.closed) continue;
      server.unblockClient(c, false);
      processCommand(c, argv);
      server.afterCommand();
      server.processInput(c);
    }
    server.flushPendingWrites();
  });
}

/**
 * Dispatcher check (processCommand, before MULTI queueing and execution): postpones `argv` when
 * the server is paused for this command. @returns true if the command was postponed.
 */
export function postponeIfPaused(c: Client, cmd: Command, argv: string[]): boolean {
  const st = pauses.get(c.server);
  if (st === undefined || c.socket === null) return false;
  if (!st.all) {
    // Redis is_may_replicate_command: write or may-replicate, by the call's own flags (a script's
    // shebang) or, for EXEC, by the union of the queued commands' flags.
    const flags = cmd.flagsFor === null ? cmd.flags : cmd.flagsFor(c, argv, cmd.flags);
    let mask = flags;
    if (cmd.fullName === 'exec' && c.multi !== null) mask |= c.multiFlags;
    if ((mask & (CmdFlag.Write | CmdFlag.MayReplicate)) === 0) return false;
  }
  if (c.multi !== null && cmd.fullName !== 'exec') return false;
  st.waiting.push({ c, argv });
  c.server.blockClient(c, {
    keys: [],
    deadline: 0,
    command: cmd.fullName,
    onReady: () => false,
    onTimeout: () => {},
  });
  return true;
}
