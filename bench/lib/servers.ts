/**
 * Starting the two servers under test as child processes on free loopback ports, and reading
 * their resource use from /proc (RSS in bytes, CPU time in ms).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { RespConn } from './resp.js';

export type ServerKind = 'keydra' | 'redis';

/** A running server under test. */
export interface BenchServer {
  kind: ServerKind;
  port: number;
  /** PID of the server process itself (the shell wrapper `exec`s into it). */
  pid: number;
  proc: ChildProcess;
  dir: string;
  stop(): Promise<void>;
}

/** Returns a TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** True if a child shell may raise its open-file limit to `n` (needed for the connections scenario). */
export function canRaiseNofile(n: number): boolean {
  const r = spawnSync('sh', ['-c', `ulimit -n ${n}`]);
  return r.status === 0;
}

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Starts a server with persistence off (unless `extra` says otherwise) and waits until it answers
 * PING. Keydra runs from `bin/keydra-server.js`, or the script named by the KEYDRA_SERVER environment
 * variable (e.g. a copy of a build, so that rebuilds of the working tree do not disturb a run). `nofile` raises the child's open-file limit through `sh -c 'ulimit -n N; exec ...'`.
 */
export async function startServer(kind: ServerKind, extra: string[] = [], nofile = 0): Promise<BenchServer> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-${kind}-`));
  const common = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extra];
  const argv =
    kind === 'keydra'
      ? [process.execPath, path.resolve(process.env.KEYDRA_SERVER ?? 'bin/keydra-server.js'), ...common]
      : ['redis-server', ...common, '--daemonize', 'no', '--protected-mode', 'no'];
  const cmd = `${nofile > 0 ? `ulimit -n ${nofile} && ` : ''}exec ${argv.map(shQuote).join(' ')}`;
  const proc = spawn('sh', ['-c', cmd], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 15000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${kind} exited at start-up: ${stderr.trim()}`);
    try {
      const c = await RespConn.connect(port);
      const r = await c.call('PING');
      c.close();
      if (r === 'PONG') break;
    } catch {
      /* not ready yet */
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`${kind} did not start on port ${port}: ${stderr.trim()}`);
    }
    await sleep(50);
  }
  return {
    kind,
    port,
    pid: proc.pid!,
    proc,
    dir,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) {
          fs.rmSync(dir, { recursive: true, force: true });
          resolve();
          return;
        }
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
        proc.once('exit', () => {
          clearTimeout(t);
          fs.rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        proc.kill('SIGTERM');
      }),
  };
}

/** Resident set size of a process in bytes (/proc/<pid>/status VmRSS). */
export function rssBytes(pid: number): number {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'latin1');
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(s);
  return m ? Number(m[1]) * 1024 : 0;
}

/** User + system CPU time of a process in ms (/proc/<pid>/stat, assuming 100 ticks/s). */
export function cpuMs(pid: number): number {
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** `redis-server --version` → "7.0.15". */
export function redisVersion(): string {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'latin1' });
  return /v=(\S+)/.exec(r.stdout ?? '')?.[1] ?? 'unknown';
}
