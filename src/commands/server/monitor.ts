/**
 * MONITOR: clients that receive every processed command as a status line
 * `+<unix s>.<µs> [<db> <addr>] "cmd" "arg" ...` with arguments quoted as sdscatrepr does.
 * Admin and skip_monitor commands are not shown; commands run by scripts show `lua` as address
 * and come after the EVAL/FCALL line that ran them.
 * Source: Redis 7.0 replication.c replicationFeedMonitors, server.c call(), eval.c, sds.c sdscatrepr.
 */
import type { Client } from '../../server/client.js';
import type { KeydraServer } from '../../server/server.js';
import type { Command } from '../table.js';
import type { CommandDef } from '../types.js';
import { redactedArgs } from './slowlog.js';

/** Per-server MONITOR state: the monitors, and script lines held until their EVAL line is out. */
interface MonitorState {
  monitors: Set<Client>;
  /** Lines of commands run by a script, waiting for the script's own line (fed after it runs). */
  luaLines: string[];
  /** Timestamp text of the first held script line (used for the EVAL line). */
  luaStart: string;
}

const states = new WeakMap<KeydraServer, MonitorState>();

function stateOf(server: KeydraServer): MonitorState {
  let s = states.get(server);
  if (s === undefined) {
    s = { monitors: new Set(), luaLines: [], luaStart: '' };
    states.set(server, s);
    const st = s;
    server.clientFreeHooks.push((c) => {
      if (st.monitors.delete(c)) monitorTotal--;
    });
  }
  return s;
}

/** Number of MONITOR clients over all servers of the process (fast path for the dispatcher hook). */
let monitorTotal = 0;

/** True if any server of the process has a MONITOR client (checked before monitorsOf on every command). */
export function anyMonitor(): boolean {
  return monitorTotal !== 0;
}

/** The server's MONITOR clients (an empty set until MONITOR is used). */
export function monitorsOf(server: KeydraServer): Set<Client> {
  return stateOf(server).monitors;
}

/** Takes `c` out of MONITOR mode (RESET: Redis clearClientConnectionState). */
export function stopMonitor(c: Client): void {
  if (states.get(c.server)?.monitors.delete(c)) monitorTotal--;
}

/** True if `c` is in MONITOR mode (CLIENT LIST flag O). */
export function isMonitor(c: Client): boolean {
  return states.get(c.server)?.monitors.has(c) ?? false;
}

import { catRepr } from '../../protocol/parser.js';

export { catRepr };

/** Current time as `sec.micro` (6 digits), Redis's gettimeofday format. */
function nowText(): string {
  const us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  return `${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}`;
}

function sendLine(st: MonitorState, line: string): void {
  for (const m of st.monitors) {
    if (m.closed) continue;
    m.reply.simple(line);
    m.server.markPendingWrite(m);
  }
}

/**
 * Sends one command to every monitor (Redis replicationFeedMonitors). A command of a script
 * (client without a socket) is held until the script's EVAL/FCALL line has been sent.
 */
export function feedMonitors(c: Client, argv: string[], cmd: Command): void {
  const st = stateOf(c.server);
  const red = redactedArgs(cmd, argv);
  const t = nowText();
  const lua = c.socket === null;
  let line = `${t} [${c.db.id} ${lua ? 'lua' : c.addr}]`;
  for (let i = 0; i < argv.length; i++) line += ` ${red?.has(i) ? '"(redacted)"' : catRepr(argv[i])}`;
  if (lua) {
    if (st.luaLines.length === 0) st.luaStart = t;
    st.luaLines.push(line);
    return;
  }
  flushLua(st);
  sendLine(st, line);
}

function flushLua(st: MonitorState): void {
  if (st.luaLines.length === 0) return;
  for (const l of st.luaLines) sendLine(st, l);
  st.luaLines = [];
}

/**
 * Feeds a skip_monitor script command (EVAL, EVALSHA, FCALL and their _RO forms) after it ran:
 * its line first, then the lines of the commands it ran (Redis feeds it before running it).
 */
export function feedScriptCommand(c: Client, argv: string[]): void {
  const st = stateOf(c.server);
  if (st.monitors.size === 0) {
    st.luaLines = [];
    return;
  }
  const t = st.luaLines.length > 0 ? st.luaStart : nowText();
  let line = `${t} [${c.db.id} ${c.addr === '' ? 'lua' : c.addr}]`;
  for (const a of argv) line += ` ${catRepr(a)}`;
  sendLine(st, line);
  flushLua(st);
}

/** MONITOR: replies +OK and from then on receives every command (a second MONITOR replies nothing). */
function monitorCommand(c: Client): void {
  const st = stateOf(c.server);
  if (st.monitors.has(c)) return;
  st.monitors.add(c);
  monitorTotal++;
  c.reply.ok();
}

/** MONITOR. */
export const monitorDef: CommandDef = { name: 'monitor', handler: monitorCommand };
