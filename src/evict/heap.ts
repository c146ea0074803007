/**
 * The V8 heap limit under `maxmemory`: Keydra's dataset lives in the V8 heap, so the heap limit
 * must leave room above maxmemory (garbage of evicted keys until the next major GC, client
 * buffers, the server itself), or V8 would die with "heap out of memory" instead of evicting.
 * The CLI re-spawns itself with `--max-old-space-size` when the current limit is outside the band
 * [needed, 3 × needed]; too large a limit lets garbage pile up and RSS drift far above the budget.
 */
import { spawn } from 'node:child_process';
import v8 from 'node:v8';

const MB = 1024 * 1024;

/** The old-space size in MB Keydra wants for a maxmemory in bytes: 2 × maxmemory + 128 MB. */
export function neededHeapMb(maxmemory: number): number {
  return Math.ceil((2 * maxmemory) / MB) + 128;
}

/**
 * The semi-space size in MB Keydra runs with under a maxmemory in bytes: maxmemory / 32, between
 * 1 and 16 MB (V8's default maximum on 64-bit). The young generation is two semi-spaces and is
 * resident once used, so at V8's default it alone would be half of a 64mb budget; measured with
 * 1 GB of writes under maxmemory 64mb (bench/memory.ts): peak RSS 188 MB at 16 MB, 143 MB at 2 MB,
 * for ~20 % more CPU in scavenges.
 */
export function semiSpaceMb(maxmemory: number): number {
  return Math.max(1, Math.min(16, Math.floor(maxmemory / MB / 32)));
}

/** The current V8 heap limit in MB (heap_size_limit). */
export function heapLimitMb(): number {
  return Math.floor(v8.getHeapStatistics().heap_size_limit / MB);
}

/**
 * Re-spawns the current process with a fitting `--max-old-space-size` and `--max-semi-space-size`
 * (semiSpaceMb) when maxmemory > 0 and the heap limit is outside [needed, 3 × needed] or no
 * semi-space size was given, forwarding stdio, signals and the exit code.
 * Not done twice (env KEYDRA_HEAP_RESPAWNED) nor when config came from stdin.
 * @returns true if a child now runs the server (the caller must do nothing more).
 * @throws Error with a clear message if already re-spawned and the limit is still too small.
 */
export function respawnForHeapLimit(maxmemory: number, canRespawn: boolean): boolean {
  if (maxmemory <= 0) return false;
  const needed = neededHeapMb(maxmemory);
  const limit = heapLimitMb();
  const hasSemi = process.execArgv.some((a) => a.startsWith('--max-semi-space-size'));
  if (limit >= needed && limit <= 3 * needed + 256 && hasSemi) return false;
  if (process.env.KEYDRA_HEAP_RESPAWNED === '1' || !canRespawn) {
    if (limit < needed) {
      throw new Error(
        `V8 heap limit ${limit} MB leaves no room above maxmemory ${Math.ceil(maxmemory / MB)} MB: run node with --max-old-space-size=${needed} or lower maxmemory`,
      );
    }
    return false;
  }
  const args = [
    ...process.execArgv.filter((a) => !a.startsWith('--max-old-space-size') && !a.startsWith('--max-semi-space-size')),
    `--max-old-space-size=${needed}`,
    `--max-semi-space-size=${semiSpaceMb(maxmemory)}`,
    ...process.argv.slice(1),
  ];
  // The child shows this process's pid (logo, pidfile: what the caller started and signals) and
  // exits if this process dies (the IPC channel closes), e.g. on SIGKILL, which cannot be forwarded.
  const child = spawn(process.execPath, args, {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, KEYDRA_HEAP_RESPAWNED: '1', KEYDRA_LAUNCHER_PID: String(process.pid) },
  });
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  return true;
}

/**
 * In a server re-spawned by respawnForHeapLimit: the launcher's pid (the process its caller
 * started, signals and waits for), and exits when the launcher is gone. Elsewhere process.pid.
 */
export function launcherPid(): number {
  const p = Number(process.env.KEYDRA_LAUNCHER_PID);
  if (process.env.KEYDRA_HEAP_RESPAWNED === '1' && Number.isInteger(p) && p > 0 && process.send !== undefined) {
    if (!watchingLauncher) {
      watchingLauncher = true;
      process.on('disconnect', () => process.exit(1));
      process.channel?.unref();
    }
    return p;
  }
  return process.pid;
}
let watchingLauncher = false;
