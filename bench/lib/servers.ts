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
  /** Keydra only: its GC pauses, read from V8's --trace-gc lines on its stdout. */
  gc: GcTrace | null;
  stop(): Promise<void>;
}

/** One stop-the-world GC pause of a Keydra server (V8 --trace-gc line). */
export interface GcPause {
  /** Scavenge, Mark-Compact, ... as V8 names it. */
  kind: string;
  /** Main-thread pause, ms. */
  ms: number;
}

/**
 * The GC pauses of a Keydra server started by the bench (`node --trace-gc`), counted only while
 * a measured run is open (begin/end), so loading the dataset does not count.
 */
export class GcTrace {
  private open = false;
  private buf = '';
  /** Pauses seen in measured runs. */
  readonly pauses: GcPause[] = [];

  /** Feeds stdout bytes of the server (lines like `... ms: Scavenge 4.2 (5.8) -> 3.9 (6.8) MB, 0.87 / 0.00 ms ...`). */
  feed(chunk: string): void {
    this.buf += chunk;
    let nl = this.buf.indexOf('\n');
    while (nl >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      nl = this.buf.indexOf('\n');
      if (!this.open) continue;
      const m = /ms: ([A-Za-z -]+?)(?: \([a-z ]+\))? [\d.]+ \([\d.]+\) -> [\d.]+ \([\d.]+\) MB, ([\d.]+) \/ [\d.]+ ms/.exec(line);
      if (m) this.pauses.push({ kind: m[1], ms: Number(m[2]) });
    }
  }
  /** Opens a measured window. */
  begin(): void {
    this.open = true;
  }
  /** Closes it (pauses printed later than this are not counted). */
  end(): void {
    this.open = false;
  }
  /** Longest pause in ms (0 if none), pauses over `overMs`, and their count. */
  stats(overMs = 5): { maxMs: number; over: number; count: number } {
    let maxMs = 0;
    let over = 0;
    for (const p of this.pauses) {
      if (p.ms > maxMs) maxMs = p.ms;
      if (p.ms > overMs) over++;
    }
    return { maxMs, over, count: this.pauses.length };
  }
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
      ? [process.execPath, '--trace-gc', path.resolve(process.env.KEYDRA_SERVER ?? 'bin/keydra-server.js'), ...common]
      : ['redis-server', ...common, '--daemonize', 'no', '--protected-mode', 'no'];
  const cmd = `${nofile > 0 ? `ulimit -n ${nofile} && ` : ''}exec ${argv.map(shQuote).join(' ')}`;
  const proc = spawn('sh', ['-c', cmd], {
    stdio: ['ignore', kind === 'keydra' ? 'pipe' : 'ignore', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const gc = kind === 'keydra' ? new GcTrace() : null;
  if (gc !== null) {
    proc.stdout?.setEncoding('latin1');
    proc.stdout?.on('data', (d: string) => gc.feed(d));
  }
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
    gc,
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
