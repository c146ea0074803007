/**
 * Cluster test peers: Keydra (bin/keydra-server.js) and redis-server 7.0 processes started with
 * `cluster-enabled yes` on ports whose cluster bus port (port + 10000) is free too, both below
 * the ephemeral range; `redis-cli --cluster` runs against them; helpers read CLUSTER NODES.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import { join } from 'node:path';
import { RawClient } from '../../src/client/rawClient.js';
import type { RespNode } from '../../src/protocol/decoder.js';
import { sleep, waitFor } from './wait.js';

export { sleep, waitFor } from './wait.js';

/** A cluster node process under test. */
export interface ClusterPeer {
  kind: 'keydra' | 'redis';
  port: number;
  dir: string;
  proc: ChildProcess;
}

const procs = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
});

/** True when 127.0.0.1:port can be bound now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

const taken = new Set<number>();

/**
 * Claims `port` for this test process across processes: a file in the temp dir holding our PID,
 * created exclusively (one left by a process that is gone is taken over). Claims are removed when
 * this process exits. @returns false if another live test process holds it.
 */
function claimPort(port: number): boolean {
  const f = join(tmpdir(), `keydra-test-port-${port}`);
  try {
    writeFileSync(f, String(process.pid), { flag: 'wx' });
  } catch {
    const owner = Number(readFileSync(f, 'latin1'));
    try {
      if (owner > 0 && owner !== process.pid) process.kill(owner, 0);
      return owner === process.pid;
    } catch {
      writeFileSync(f, String(process.pid)); // its process is gone
    }
  }
  if (taken.size === 0) process.once('exit', () => {
    for (const p of taken) rmSync(join(tmpdir(), `keydra-test-port-${p}`), { force: true });
  });
  return true;
}

/**
 * A port in [lo, hi) such that it and port + 10000 (the bus) are free, chosen at random and
 * claimed (claimPort), so that test files starting clusters side by side never pick the same one
 * between the check and the server's bind.
 */
export async function clusterPort(lo = 12000, hi = 15000): Promise<number> {
  for (;;) {
    const p = lo + Math.floor(Math.random() * (hi - lo));
    if (taken.has(p)) continue;
    if ((await portFree(p)) && (await portFree(p + 10000)) && claimPort(p)) {
      taken.add(p);
      return p;
    }
  }
}

/** Starts a node (in `dir`, created if needed) and waits until it answers PING. */
export async function startClusterNode(kind: 'keydra' | 'redis', port: number, dir: string, extra: string[] = []): Promise<ClusterPeer> {
  mkdirSync(dir, { recursive: true });
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--cluster-enabled',
    'yes',
    '--cluster-node-timeout',
    '2000',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--logfile',
    join(dir, 'log'),
    ...extra,
  ];
  const proc =
    kind === 'keydra'
      ? spawn(process.execPath, [join(process.cwd(), 'bin', 'keydra-server.js'), ...args], { stdio: 'ignore', cwd: dir })
      : spawn('redis-server', args, { stdio: 'ignore', cwd: dir });
  procs.add(proc);
  proc.once('exit', () => procs.delete(proc));
  for (let i = 0; ; i++) {
    try {
      const r = await call(port, 'PING');
      if (typeof r === 'object' && r !== null && 't' in r && r.t === '+') break;
    } catch {
      if (i > 300 || proc.exitCode !== null) throw new Error(`${kind} on ${port} did not start`);
    }
    await sleep(50);
  }
  return { kind, port, dir, proc };
}

/** Kills a node with SIGKILL and waits for its exit. */
export async function kill9(p: ClusterPeer): Promise<void> {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return;
  const exited = new Promise((r) => p.proc.once('exit', r));
  p.proc.kill('SIGKILL');
  await exited;
}

/** Stops a node (SIGTERM, then SIGKILL after 5 s). */
export async function stopNode(p: ClusterPeer): Promise<void> {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return;
  const exited = new Promise((r) => p.proc.once('exit', r));
  p.proc.kill('SIGTERM');
  const t = setTimeout(() => p.proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

/** One command on a fresh connection; the decoded reply. */
export async function call(port: number, ...argv: (string | number)[]): Promise<RespNode> {
  const c = await RawClient.connect(port);
  try {
    return await c.call(...argv);
  } finally {
    c.close();
  }
}

/** One command on a fresh connection; the raw reply bytes as text. */
export async function callRaw(port: number, ...argv: (string | number)[]): Promise<string> {
  const c = await RawClient.connect(port);
  try {
    return (await c.send(...argv)).raw.toString('latin1');
  } finally {
    c.close();
  }
}

/** A reply as text (bulk or status), '' otherwise. */
export function text(r: RespNode): string {
  if (typeof r === 'string') return r;
  if (typeof r === 'object' && r !== null && 'v' in r && typeof r.v === 'string') return r.v;
  return '';
}

/** Runs redis-cli with `args`; resolves with exit code and combined output (ANSI colours removed). */
export function redisCli(args: string[], timeoutMs = 90_000): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('redis-cli', args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      // eslint-disable-next-line no-control-regex
      resolve({ code, out: (stdout + stderr).replace(/\x1b\[[0-9;]*m/g, '') });
    });
  });
}

/** `redis-cli --cluster create` over the nodes (replicas per primary as given). */
export function clusterCreate(nodes: ClusterPeer[], replicas = 0): Promise<{ code: number; out: string }> {
  const args = ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`)];
  if (replicas > 0) args.push('--cluster-replicas', String(replicas));
  args.push('--cluster-yes');
  return redisCli(args);
}

/** `redis-cli --cluster check` through one node. */
export function clusterCheck(port: number): Promise<{ code: number; out: string }> {
  return redisCli(['--cluster', 'check', `127.0.0.1:${port}`]);
}

/** A CLUSTER NODES line, parsed. */
export interface NodeLine {
  id: string;
  addr: string;
  flags: string[];
  primary: string;
  pingSent: string;
  pongRecv: string;
  epoch: string;
  link: string;
  slots: string[];
}

/** CLUSTER NODES of a node, parsed. */
export async function clusterNodes(port: number): Promise<NodeLine[]> {
  const t = text(await call(port, 'CLUSTER', 'NODES'));
  return t
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const f = l.split(' ');
      return {
        id: f[0],
        addr: f[1],
        flags: f[2].split(','),
        primary: f[3],
        pingSent: f[4],
        pongRecv: f[5],
        epoch: f[6],
        link: f[7],
        slots: f.slice(8),
      };
    });
}

/** A CLUSTER INFO field. */
export async function clusterInfoField(port: number, field: string): Promise<string> {
  const t = text(await call(port, 'CLUSTER', 'INFO'));
  const m = new RegExp(`^${field}:(.*)\r?$`, 'm').exec(t);
  return m === null ? '' : m[1].trim();
}

/** Waits until every node reports cluster_state:ok. */
export async function waitClusterOk(nodes: ClusterPeer[], ms = 20_000): Promise<void> {
  await waitFor('cluster_state:ok on every node', ms, async () => {
    for (const n of nodes) if ((await clusterInfoField(n.port, 'cluster_state')) !== 'ok') return false;
    return true;
  });
}

/** The shape of a reply: types and array lengths, with values of `keep` kinds kept. */
export function shape(r: RespNode): unknown {
  if (Array.isArray(r)) return r.map(shape);
  if (r === null) return null;
  if (typeof r === 'string') return 'bulk';
  if (typeof r === 'number' || typeof r === 'bigint') return 'int';
  if ('v' in r && Array.isArray(r.v)) return { t: r.t, v: r.v.map(shape) };
  if ('v' in r) return r.t;
  return r.t;
}

/** Runs a keyed command on the node owning the key, following -MOVED (as a cluster client does). */
export async function clusterCall(port: number, ...argv: string[]): Promise<RespNode> {
  let p = port;
  for (let i = 0; i < 5; i++) {
    const r = await call(p, ...argv);
    const e = typeof r === 'object' && r !== null && !Array.isArray(r) && 't' in r && r.t === '-' ? text(r) : '';
    const m = /^MOVED \d+ [^:]+:(\d+)$/.exec(e);
    if (m === null) return r;
    p = Number(m[1]);
  }
  throw new Error(`too many redirections for ${argv.join(' ')}`);
}

/**
 * Waits until every node's CLUSTER NODES lists all `nodes` without handshake, `primaries` primaries
 * with slots and every other node as a replica of a known primary (gossip has settled).
 */
export async function waitTopology(nodes: ClusterPeer[], primaries: number, ms = 20_000): Promise<void> {
  await waitFor('the cluster topology seen by every node', ms, async () => {
    for (const n of nodes) {
      const v = await clusterNodes(n.port);
      if (v.length !== nodes.length || v.some((l) => l.flags.includes('handshake'))) return false;
      const ids = new Set(v.map((l) => l.id));
      if (v.filter((l) => l.flags.includes('master') && l.slots.length > 0).length !== primaries) return false;
      if (v.filter((l) => l.flags.includes('slave') && ids.has(l.primary)).length !== nodes.length - primaries) return false;
    }
    return true;
  });
}
