/**
 * Helpers for the Sentinel tests: data nodes and sentinels of either kind (keydra-server or
 * redis-server, `--sentinel`) as child processes tracked for cleanup (SIGKILL by PID at exit),
 * raw calls, event watchers (PSUBSCRIBE *), discovery waits.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import type { RespNode } from '../../src/protocol/decoder.js';
import { freePort } from './servers.js';
import { waitFor } from './wait.js';

export { sleep, waitFor } from './wait.js';

export const root = mkdtempSync(join(tmpdir(), 'keydra-sentinel-test-'));
const procs = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
});
after(() => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

export interface Proc {
  port: number;
  proc: ChildProcess;
  conf?: string;
  kind: 'keydra' | 'redis';
  /** The file its stdout and stderr go to (the server log). */
  log: string;
}

/** The last `lines` lines of each process's log, headed by its kind and port (for failure messages). */
export function logTails(ps: Iterable<Proc>, lines = 40): string {
  const out: string[] = [];
  for (const p of ps) {
    let text = '';
    try {
      text = readFileSync(p.log, 'latin1');
    } catch {
      text = '(no log)';
    }
    out.push(`--- ${p.kind} on ${p.port} (${p.log}) ---`, ...text.split('\n').slice(-lines));
  }
  return out.join('\n');
}

export async function waitPing(port: number, proc: ChildProcess): Promise<void> {
  await waitFor(`PING on ${port}`, 15000, async () => {
    if (proc.exitCode !== null) throw new Error(`process on ${port} exited ${proc.exitCode}`);
    const c = await RawClient.connect(port);
    try {
      const r = await c.call('PING');
      // Up: PONG, or NOAUTH from a node with requirepass.
      return typeof r === 'object' && r !== null && 't' in r && (r.t === '+' || (r.t === '-' && r.v.startsWith('NOAUTH')));
    } finally {
      c.close();
    }
  });
}

/**
 * A data node of `kind` (redis-server or keydra-server; persistence off) on `port`, optionally a
 * replica of `of`; `extra` are more `--directive value` arguments (TLS).
 */
export async function startData(port: number, of?: number, kind: 'keydra' | 'redis' = 'redis', extra: string[] = []): Promise<Proc> {
  const dir = mkdtempSync(join(root, `data-${port}-`));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extra];
  if (of !== undefined) args.push('--replicaof', '127.0.0.1', String(of));
  const log = join(dir, 'server.log');
  const fd = openSync(log, 'a');
  const proc =
    kind === 'keydra'
      ? spawn(process.execPath, [join(process.cwd(), 'bin', 'keydra-server.js'), ...args], { stdio: ['ignore', fd, fd] })
      : spawn('redis-server', args, { stdio: ['ignore', fd, fd] });
  procs.add(proc);
  await waitPing(port, proc);
  return { port, proc, kind, log };
}

/** A data node of `kind` run with exactly `args` (the caller names the port, bind, replicaof ...). */
export async function startDataArgs(port: number, args: string[], kind: 'keydra' | 'redis' = 'keydra'): Promise<Proc> {
  const dir = mkdtempSync(join(root, `data-${port}-`));
  const log = join(dir, 'server.log');
  const fd = openSync(log, 'a');
  const all = [...args, '--save', '', '--appendonly', 'no', '--dir', dir];
  const proc =
    kind === 'keydra'
      ? spawn(process.execPath, [join(process.cwd(), 'bin', 'keydra-server.js'), ...all], { stdio: ['ignore', fd, fd] })
      : spawn('redis-server', all, { stdio: ['ignore', fd, fd] });
  procs.add(proc);
  await waitPing(port, proc);
  return { port, proc, kind, log };
}

/** A data node of `kind` started from the config file `conf` (which names its port), as a redis.conf user would. */
export async function startDataConf(port: number, conf: string, kind: 'keydra' | 'redis' = 'keydra'): Promise<Proc> {
  const log = `${conf}.log`;
  const fd = openSync(log, 'a');
  const proc =
    kind === 'keydra'
      ? spawn(process.execPath, [join(process.cwd(), 'bin', 'keydra-server.js'), conf], { stdio: ['ignore', fd, fd] })
      : spawn('redis-server', [conf], { stdio: ['ignore', fd, fd] });
  procs.add(proc);
  await waitPing(port, proc);
  return { port, proc, conf, kind, log };
}

/** A Sentinel of `kind` on `port` with `lines` as its sentinel.conf (log next to it). */
export async function startSentinel(kind: 'keydra' | 'redis', port: number, lines: string[], confPath?: string): Promise<Proc> {
  const conf = confPath ?? join(root, `sentinel-${kind}-${port}.conf`);
  if (confPath === undefined) writeFileSync(conf, `port ${port}\n${lines.join('\n')}\n`);
  const log = `${conf}.log`;
  const fd = openSync(log, 'a');
  const proc =
    kind === 'keydra'
      ? spawn(process.execPath, [join(process.cwd(), 'bin', 'keydra-server.js'), conf, '--sentinel'], { stdio: ['ignore', fd, fd] })
      : spawn('redis-server', [conf, '--sentinel'], { stdio: ['ignore', fd, fd] });
  procs.add(proc);
  await waitPing(port, proc);
  return { port, proc, conf, kind, log };
}

export async function kill(p: Proc, sig: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return;
  const exited = new Promise((r) => p.proc.once('exit', r));
  p.proc.kill(sig);
  await exited;
}

export async function call(port: number, ...argv: (string | number)[]): Promise<RespNode> {
  const c = await RawClient.connect(port);
  try {
    return await c.call(...argv);
  } finally {
    c.close();
  }
}

/** One command on a fresh connection that first authenticates with AUTH `pass`. */
export async function authCall(port: number, pass: string, ...argv: (string | number)[]): Promise<RespNode> {
  const c = await RawClient.connect(port);
  try {
    const a = await c.call('AUTH', pass);
    assert.deepEqual(a, { t: '+', v: 'OK' }, `AUTH on ${port}`);
    return await c.call(...argv);
  } finally {
    c.close();
  }
}

/** A RESP2 flat [k, v, ...] array as an object. */
export function asMap(node: RespNode): Record<string, string> {
  assert.ok(Array.isArray(node), `expected an array, got ${JSON.stringify(node)}`);
  const o: Record<string, string> = {};
  for (let i = 0; i < node.length; i += 2) o[String(node[i])] = String(node[i + 1]);
  return o;
}

/** SENTINEL GET-MASTER-ADDR-BY-NAME mymaster as `ip:port` ('none' for a null reply); `pass`: AUTH first. */
export async function masterAddr(port: number, pass?: string): Promise<string> {
  const argv = ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'];
  const r = pass === undefined ? await call(port, ...argv) : await authCall(port, pass, ...argv);
  return Array.isArray(r) ? `${r[0]}:${r[1]}` : 'none';
}

export async function infoField(port: number, field: string): Promise<string> {
  const info = String(await call(port, 'INFO', 'replication'));
  const m = new RegExp(`^${field}:(.*)$`, 'm').exec(info);
  return m ? m[1].trim() : '';
}

/** Collects every event a Sentinel publishes (PSUBSCRIBE *), with arrival times. */
export async function watchEvents(port: number): Promise<{ events: { ch: string; msg: string; at: number }[]; close(): void }> {
  const c = await RawClient.connect(port);
  await c.call('PSUBSCRIBE', '*');
  const events: { ch: string; msg: string; at: number }[] = [];
  let open = true;
  (async () => {
    while (open) {
      try {
        const r = (await c.readReply()).node;
        if (Array.isArray(r) && r[0] === 'pmessage') events.push({ ch: String(r[2]), msg: String(r[3]), at: Date.now() });
      } catch {
        return;
      }
    }
  })();
  return {
    events,
    close: () => {
      open = false;
      c.close();
    },
  };
}

/** Ports for a scenario: primary, two replicas, three sentinels. */
export async function ports(n: number): Promise<number[]> {
  const out: number[] = [];
  while (out.length < n) {
    const p = await freePort();
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

export function monitorLines(primary: number, quorum: number, downAfter: number): string[] {
  return [
    `sentinel monitor mymaster 127.0.0.1 ${primary} ${quorum}`,
    `sentinel down-after-milliseconds mymaster ${downAfter}`,
    'sentinel failover-timeout mymaster 10000',
  ];
}

/** Waits until every sentinel knows the other sentinels and `replicas` replicas (`pass`: the sentinels' requirepass). */
export async function waitDiscovery(sentinels: Proc[], replicas: number, pass?: string): Promise<void> {
  for (const s of sentinels) {
    try {
      await waitFor(`discovery on ${s.kind} sentinel ${s.port}`, 30000, async () => {
        const argv = ['SENTINEL', 'MASTER', 'mymaster'];
        const m = asMap(pass === undefined ? await call(s.port, ...argv) : await authCall(s.port, pass, ...argv));
        return Number(m['num-other-sentinels']) === sentinels.length - 1 && Number(m['num-slaves']) === replicas;
      });
    } catch (e) {
      // Say whether the sentinel process is gone (and how) and what it logged.
      const state =
        s.proc.exitCode !== null || s.proc.signalCode !== null
          ? `exited (code ${s.proc.exitCode}, signal ${s.proc.signalCode})`
          : 'running';
      throw new Error(`${(e as Error).message}; pid ${s.proc.pid} ${state}\n${logTails([s])}`);
    }
  }
}

/** The shape of a reply: bulk strings that are numbers become "<n>", ids and addresses are kept as types. */
export function shape(node: RespNode): unknown {
  if (Array.isArray(node)) return node.map(shape);
  if (typeof node === 'string') return /^-?\d+$/.test(node) ? '<n>' : /^[0-9a-f]{40}$/.test(node) ? '<id>' : 'str';
  if (typeof node === 'number') return 'int';
  return node;
}
