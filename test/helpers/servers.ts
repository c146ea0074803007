/**
 * Test peers: an in-process Keydra and a real redis-server 7.0, each on a free loopback port.
 *
 * Tests that need redis-server call `startRedis()`; when redis-server is not installed it returns
 * null and the test skips with a visible message (CI always installs it).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningServer, type StartOptions, startServer } from '../../src/index.js';
import { RawClient } from '../../src/client/rawClient.js';

/** A server under test: its port and how to stop it. */
export interface Peer {
  port: number;
  dir: string;
  close(): Promise<void>;
}

/** Starts an in-process Keydra on a free port with persistence off and data in a temp dir. */
export async function startKeydra(
  options: StartOptions | Record<string, string | number | boolean> = {},
): Promise<Peer & { running: RunningServer }> {
  const dir = mkdtempSync(join(tmpdir(), 'keydra-test-'));
  // Tests also pass directives as plain strings (Record<string, string>): the server validates them.
  const running = await startServer({ port: 0, dir, save: '', appendonly: false, ...(options as StartOptions) });
  return {
    port: running.port,
    dir,
    running,
    close: async () => {
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let redisChecked: string | null | undefined;
/** Path of redis-server if installed (and version 7.x), else null. */
export function redisServerPath(): string | null {
  if (redisChecked !== undefined) return redisChecked;
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  redisChecked = r.status === 0 && /v=7\./.test(r.stdout) ? 'redis-server' : null;
  return redisChecked;
}

/** Message used when skipping for lack of redis-server. */
export const NO_REDIS = 'redis-server 7.x not installed (apt-get install -y redis-server): differential test skipped';

/**
 * An in-process Keydra and, when installed, a redis-server (`r` null otherwise) for the enclosing
 * describe block or file: started in its `before`, closed in its `after`. Read the fields inside
 * tests (they are set once `before` ran).
 */
export function keydraAndRedis(): { k: Peer; r: Peer | null } {
  const servers = { k: undefined as unknown as Peer, r: null as Peer | null };
  before(async () => {
    servers.k = await startKeydra();
    servers.r = await startRedis();
  });
  after(async () => {
    await servers.k?.close();
    await servers.r?.close();
  });
  return servers;
}

/** Finds a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Starts a real redis-server on a free port (persistence off unless `args` say otherwise), or null if absent. */
export async function startRedis(args: string[] = []): Promise<(Peer & { proc: ChildProcess }) | null> {
  const bin = redisServerPath();
  if (bin === null) return null;
  const dir = mkdtempSync(join(tmpdir(), 'redis-test-'));
  const port = await freePort();
  const proc = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...args], {
    stdio: 'ignore',
  });
  track(proc);
  for (let i = 0; i < 100; i++) {
    try {
      const c = await RawClient.connect(port);
      const r = await c.call('PING');
      c.close();
      if (typeof r === 'object' && r !== null && 't' in r && r.t === '+') break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    port,
    dir,
    proc,
    close: async () => {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A server process started by spawnServer and a client connected to it. */
export interface SpawnedServer {
  proc: ChildProcess;
  c: RawClient;
}

/** Server processes started here and not yet exited. */
const spawned = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Kills `proc` with SIGKILL when the test process exits, if it still runs (a failed assertion skipped the test's own stop). */
function track(proc: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const p of spawned) if (p.exitCode === null) p.kill('SIGKILL');
    });
  }
  spawned.add(proc);
  proc.once('exit', () => spawned.delete(proc));
}

/**
 * Spawns `keydra` (bin/keydra-server.js under this Node) or `redis` (redis-server) with `args`
 * and `env` additions, and resolves once it answers PING (within ~15 s) with a connected client.
 * For tests that kill the process for real (spawnedKill9) and start it again on the same dir.
 */
export async function spawnServer(
  kind: 'keydra' | 'redis',
  port: number,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<SpawnedServer> {
  const proc =
    kind === 'keydra'
      ? spawn(process.execPath, [join(process.cwd(), 'bin', 'keydra-server.js'), '--port', String(port), ...args], {
          stdio: 'ignore',
          env: { ...process.env, ...env },
        })
      : spawn('redis-server', ['--port', String(port), ...args], { stdio: 'ignore', env: { ...process.env, ...env } });
  track(proc);
  for (let i = 0; ; i++) {
    try {
      const c = await RawClient.connect(port);
      const r = await c.call('PING');
      if (typeof r === 'object' && r !== null && 't' in r && r.t === '+') return { proc, c };
      c.close();
    } catch {
      if (i > 300 || proc.exitCode !== null) throw new Error(`${kind} did not start (exit code ${proc.exitCode})`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Closes the client and kills the process with SIGKILL (a crash), resolving once it is gone. */
export async function spawnedKill9(s: SpawnedServer): Promise<void> {
  s.c.close();
  if (s.proc.exitCode !== null) return;
  const exited = new Promise((r) => s.proc.once('exit', r));
  s.proc.kill('SIGKILL');
  await exited;
}

/**
 * The file-level frame of a "same scenario on both servers" test: one describe starting a real
 * redis-server and an in-process Keydra, one `it` per named scenario that runs `run(port, scenario)`
 * on redis-server, then on Keydra, and asserts the results deep-equal. Skips when redis-server is
 * not installed.
 */
export function describeScenariosAgainstRedis<S, R>(
  title: string,
  scenarios: [string, S][],
  run: (port: number, s: S) => Promise<R>,
): void {
  describe(title, { skip: redisServerPath() === null ? NO_REDIS : false }, () => {
    let redis: Peer | null = null;
    let keydra: Peer | null = null;
    before(async () => {
      redis = await startRedis();
      keydra = await startKeydra();
    });
    after(async () => {
      await keydra?.close();
      await redis?.close();
    });
    for (const [name, scenario] of scenarios) {
      it(name, async () => {
        const expected = await run((redis as Peer).port, scenario);
        const actual = await run((keydra as Peer).port, scenario);
        assert.deepEqual(actual, expected);
      });
    }
  });
}
