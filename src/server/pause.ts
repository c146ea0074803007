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

/** Why clients are paused (Redis pause_purpose): CLIENT PAUSE, a coordinated FAILOVER, or the final save of a signalled shutdown. */
export type PausePurpose = 'client' | 'failover' | 'shutdown' | 'ldb';

/** One server's pause (KeydraServer.pauseState; null while it is not paused). */
export interface PauseState {
  /** Unix ms at which the pause ends (the latest of its purposes). */
  end: number;
  /** ALL (true) or WRITE (false): the strongest of its purposes. */
  all: boolean;
  /** Each purpose's own end and mode; the pause lasts while one remains (Redis pausePurpose). */
  purposes: Map<PausePurpose, { end: number; all: boolean }>;
  timer: NodeJS.Timeout | null;
  /** Postponed clients with the command they sent, in arrival order. */
  waiting: { c: Client; argv: string[] }[];
}

/**
 * Pauses `server`'s clients until `end` (Unix ms) for `purpose`: writes only (`all` false) or
 * every command. A purpose's pause only extends (later end, stronger mode), as in Redis
 * pauseClients; while any purpose remains the keyspace does not expire keys.
 */
export function pauseClients(server: KeydraServer, end: number, all: boolean, purpose: PausePurpose = 'client'): void {
  let st = server.pauseState;
  if (st === null) {
    st = { end, all, timer: null, waiting: [], purposes: new Map() };
    server.pauseState = st;
  }
  const p = st.purposes.get(purpose);
  st.purposes.set(purpose, p === undefined ? { end, all } : { end: Math.max(p.end, end), all: p.all || all });
  schedule(server, st);
  server.keyspace.expirePaused = true;
}

/** Recomputes a pause's end and mode from its purposes and re-arms its timer. */
function schedule(server: KeydraServer, st: PauseState): void {
  st.end = 0;
  st.all = false;
  for (const p of st.purposes.values()) {
    st.end = Math.max(st.end, p.end);
    st.all = st.all || p.all;
  }
  if (st.timer !== null) clearTimeout(st.timer);
  st.timer = null;
  // The timer fires at the earliest end and ends the purposes due then. A pause without end
  // (FAILOVER) has no timer (setTimeout would fire at once beyond 2^31-1 ms).
  let first = Number.POSITIVE_INFINITY;
  for (const p of st.purposes.values()) first = Math.min(first, p.end);
  const ms = first - Date.now();
  if (ms < 0x7fffffff) {
    st.timer = setTimeout(
      () => {
        const now = Date.now();
        unpauseClients(
          server,
          [...st.purposes].filter(([, p]) => p.end <= now).map(([k]) => k),
        );
      },
      Math.max(0, ms),
    );
  }
}

/**
 * Ends `purpose`'s pause (CLIENT UNPAUSE: 'client'; the end of a FAILOVER: 'failover'); when no
 * purpose remains, the postponed commands run in arrival order on the next event-loop turn.
 */
export function unpauseClients(server: KeydraServer, purpose: PausePurpose | PausePurpose[] = 'client'): void {
  const st = server.pauseState;
  if (st === null) return;
  for (const p of Array.isArray(purpose) ? purpose : [purpose]) st.purposes.delete(p);
  if (st.purposes.size !== 0) {
    schedule(server, st);
    return;
  }
  server.pauseState = null;
  server.keyspace.expirePaused = false;
  if (st.timer !== null) clearTimeout(st.timer);
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
 * Dispatcher check (processCommand, before MULTI queueing and execution, only while
 * `c.server.pauseState` is set): postpones `argv` when the server is paused for this command. @returns true if the command was postponed.
 */
export function postponeIfPaused(c: Client, cmd: Command, argv: string[]): boolean {
  const st = c.server.pauseState;
  if (st === null || c.socket === null) return false;
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
