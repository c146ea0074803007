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

/** Why clients are paused (Redis pause_purpose): CLIENT PAUSE, a coordinated FAILOVER, or the final save of a signalled shutdown. */
export type PausePurpose = 'client' | 'failover' | 'shutdown' | 'ldb';

interface PauseState {
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

const pauses = new Map<KeydraServer, PauseState>();

/**
 * Pauses `server`'s clients until `end` (Unix ms) for `purpose`: writes only (`all` false) or
 * every command. A purpose's pause only extends (later end, stronger mode), as in Redis
 * pauseClients; while any purpose remains the keyspace does not expire keys.
 */
export function pauseClients(server: KeydraServer, end: number, all: boolean, purpose: PausePurpose = 'client'): void {
  let st = pauses.get(server);
  if (st === undefined) {
    st = { end, all, timer: null, waiting: [], purposes: new Map() };
    pauses.set(server, st);
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
  recomputeUntil();
}

function recomputeUntil(): void {
  let until = 0;
  for (const st of pauses.values()) until = Math.max(until, st.end);
  pausedUntil = until;
}

/**
 * Ends `purpose`'s pause (CLIENT UNPAUSE: 'client'; the end of a FAILOVER: 'failover'); when no
 * purpose remains, the postponed commands run in arrival order on the next event-loop turn.
 */
export function unpauseClients(server: KeydraServer, purpose: PausePurpose | PausePurpose[] = 'client'): void {
  const st = pauses.get(server);
  if (st === undefined) return;
  for (const p of Array.isArray(purpose) ? purpose : [purpose]) st.purposes.delete(p);
  if (st.purposes.size !== 0) {
    schedule(server, st);
    return;
  }
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
