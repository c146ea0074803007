/**
 * `keydra-server --cluster-local N [--port P] [--dir D] [other directives]`: one machine's cores
 * serving one dataset. Starts N Keydra node processes (N = 0 or `auto`: one per CPU core) on
 * ports P..P+N-1 (default 7000; the cluster bus on port + 10000), each with `cluster-enabled yes`,
 * `cluster-forward yes` and its own directory D/node-<port> (default ./data), gives node i the
 * i-th N-th of the 16384 slots (CLUSTER ADDSLOTSRANGE) and joins them (CLUSTER MEET), unless their
 * nodes.conf already hold a cluster (a restart), then prints the ports once cluster_state is ok.
 * Any node serves any key: cluster-aware clients follow -MOVED, the others are forwarded.
 * SIGINT/SIGTERM stop every node (SIGTERM, as redis-server's shutdown) and then exit.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { packageFile } from './assets/index.js';
import { RawClient } from './client/rawClient.js';
import type { RespNode } from './protocol/decoder.js';

/** Options of a local cluster: node count, first port, data root, directives passed to every node. */
export interface ClusterLocalOptions {
  nodes: number;
  port: number;
  dir: string;
  extra: string[];
}

/**
 * Splits `--cluster-local N` (with `--port` and `--dir`) out of a command line.
 * @returns null when the flag is absent.
 */
export function parseClusterLocal(argv: string[]): ClusterLocalOptions | null {
  const i = argv.indexOf('--cluster-local');
  if (i < 0) return null;
  const rest = argv.slice();
  const nArg = rest[i + 1];
  let nodes = availableParallelism();
  let consumed = 1;
  if (nArg !== undefined && !nArg.startsWith('--')) {
    consumed = 2;
    if (nArg !== 'auto') nodes = Number(nArg) || nodes;
  }
  rest.splice(i, consumed);
  const take = (name: string, def: string): string => {
    const j = rest.indexOf(name);
    if (j < 0 || rest[j + 1] === undefined) return def;
    const v = rest[j + 1];
    rest.splice(j, 2);
    return v;
  };
  const port = Number(take('--port', '7000'));
  const dir = resolve(take('--dir', './data'));
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 1000) throw new Error(`--cluster-local: invalid node count ${nArg}`);
  if (!Number.isInteger(port) || port < 1 || port + nodes - 1 > 55535) throw new Error('--cluster-local: invalid --port');
  return { nodes, port, dir, extra: rest };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends one command on a fresh connection. */
async function call(port: number, ...argv: (string | number)[]): Promise<RespNode> {
  const c = await RawClient.connect(port);
  try {
    return await c.call(...argv.map(String));
  } finally {
    c.close();
  }
}

function str(r: RespNode): string {
  if (typeof r === 'string') return r;
  if (r !== null && typeof r === 'object' && 'v' in r) return String((r as { v: unknown }).v);
  return String(r);
}

async function infoField(port: number, field: string): Promise<string> {
  const m = new RegExp(`^${field}:(.*)$`, 'm').exec(str(await call(port, 'CLUSTER', 'INFO')));
  return m === null ? '' : m[1].trim();
}

/** Starts the nodes, forms the cluster, prints the ports; resolves when the nodes have stopped. */
export async function runClusterLocal(o: ClusterLocalOptions): Promise<void> {
  const bin = packageFile('bin/keydra-server.js');
  const ports = Array.from({ length: o.nodes }, (_, i) => o.port + i);
  const procs: ChildProcess[] = [];
  let stopping = false;
  const stopAll = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await Promise.all(
      procs.map(
        (p) =>
          new Promise<void>((r) => {
            if (p.exitCode !== null || p.signalCode !== null) return r();
            p.once('exit', () => r());
            p.kill('SIGTERM');
          }),
      ),
    );
  };
  process.on('SIGINT', () => void stopAll());
  process.on('SIGTERM', () => void stopAll());
  for (const port of ports) {
    const dir = join(o.dir, `node-${port}`);
    mkdirSync(dir, { recursive: true });
    const args = [bin, '--port', String(port), '--cluster-enabled', 'yes', '--cluster-forward', 'yes', '--dir', dir, ...o.extra];
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    p.once('exit', (code) => {
      if (!stopping) {
        process.stderr.write(`cluster-local: node on port ${port} exited (${code}); stopping the others\n`);
        void stopAll();
      }
    });
    procs.push(p);
  }
  const done = Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)))));
  try {
    for (const port of ports) {
      for (let i = 0; ; i++) {
        if (stopping) return void (await done);
        try {
          await call(port, 'PING');
          break;
        } catch {
          if (i > 600) throw new Error(`node on port ${port} did not start`);
          await sleep(50);
        }
      }
    }
    if ((await infoField(ports[0], 'cluster_slots_assigned')) !== '16384') {
      const per = Math.floor(16384 / o.nodes);
      for (let i = 0; i < o.nodes; i++) {
        const lo = i * per;
        const hi = i === o.nodes - 1 ? 16383 : (i + 1) * per - 1;
        await call(ports[i], 'CLUSTER', 'ADDSLOTSRANGE', lo, hi);
        if (i > 0) await call(ports[i], 'CLUSTER', 'MEET', '127.0.0.1', ports[0]);
      }
    }
    for (let i = 0; ; i++) {
      let ok = true;
      for (const port of ports) if ((await infoField(port, 'cluster_state')) !== 'ok') ok = false;
      if (ok) break;
      if (stopping) return void (await done);
      if (i > 600) throw new Error('the cluster did not reach cluster_state:ok within 60 s');
      await sleep(100);
    }
    process.stdout.write(
      `Keydra local cluster: ${o.nodes} node(s) on 127.0.0.1 ports ${ports.join(' ')} (cluster-forward yes: any node serves any key)\n`,
    );
  } catch (e) {
    process.stderr.write(`cluster-local: ${(e as Error).message}\n`);
    await stopAll();
    process.exitCode = 1;
  }
  await done;
}
