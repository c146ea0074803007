/**
 * Sentinel's script jobs: a master's `notification-script` runs on every warning-level event about
 * it (argv: event type, event description), its `client-reconfig-script` when a failover moves the
 * master (argv: master-name, leader|observer, start, from-ip, from-port, to-ip, to-port). Jobs wait
 * in a queue of at most 256 (the oldest waiting one is dropped), at most 16 run at once; a job that
 * exits 1 or dies by a signal is retried up to 10 times with a doubling delay
 * (`script-retry-delay`, 30 s), one that runs longer than `script-max-runtime` (60 s) is killed
 * (`-script-timeout`), and any other failure is reported as `-script-error path signal code`.
 * SENTINEL PENDING-SCRIPTS lists the queue. Source: Redis 7.0 sentinel.c (script execution section:
 * sentinelScheduleScriptExecution, sentinelRunPendingScripts, sentinelCollectTerminatedScripts,
 * sentinelKillTimedoutScripts, sentinelPendingScriptsCommand, sentinelCallClientReconfScript).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';

/** Queue bound, concurrent runs, attempts (sentinel.c SENTINEL_SCRIPT_MAX_QUEUE/_RUNNING/_RETRY). */
const MAX_QUEUE = 256;
const MAX_RUNNING = 16;
const MAX_RETRY = 10;

/** One script execution request (sentinel.c sentinelScriptJob). */
export interface ScriptJob {
  /** argv[0] is the script's path. */
  readonly argv: string[];
  running: boolean;
  /** Attempts made so far. */
  retryNum: number;
  /** Unix ms: when the running attempt started, or (waiting) the earliest next attempt; 0 = now. */
  startTime: number;
  /** PID of the running attempt, 0 when not running. */
  pid: number;
  child: ChildProcess | null;
}

/** How the queue reports (the Sentinel's event function: log + pub/sub). */
export type ScriptEventSink = (level: 'debug' | 'warning', type: string, msg: string) => void;

/** The script queue of one Sentinel (see module doc). */
export class ScriptQueue {
  readonly jobs: ScriptJob[] = [];
  private running = 0;
  /** ms a script may run before it is killed (SENTINEL DEBUG script-max-runtime). */
  maxRuntime = 60000;
  /** ms before the first retry, doubled for each further one (SENTINEL DEBUG script-retry-delay). */
  retryDelay = 30000;

  constructor(private readonly event: ScriptEventSink) {}

  /** Queues `path args...` (sentinelScheduleScriptExecution); it starts at the next `run`. */
  schedule(path: string, args: string[]): void {
    this.jobs.push({ argv: [path, ...args.slice(0, 15)], running: false, retryNum: 0, startTime: 0, pid: 0, child: null });
    if (this.jobs.length > MAX_QUEUE) {
      const i = this.jobs.findIndex((j) => !j.running);
      if (i !== -1) this.jobs.splice(i, 1);
    }
  }

  /** The Sentinel timer's part: starts due jobs (oldest first), kills timed-out ones. */
  run(now = Date.now()): void {
    for (const j of this.jobs) {
      if (this.running >= MAX_RUNNING) break;
      if (j.running || (j.startTime !== 0 && j.startTime > now)) continue;
      this.start(j);
    }
    for (const j of this.jobs) {
      if (j.running && j.child !== null && now - j.startTime > this.maxRuntime) {
        this.event('warning', '-script-timeout', `${j.argv[0]} ${j.pid}`);
        j.child.kill('SIGKILL');
      }
    }
  }

  private start(j: ScriptJob): void {
    j.running = true;
    j.startTime = Date.now();
    j.retryNum++;
    this.running++;
    let child: ChildProcess;
    try {
      child = spawn(j.argv[0], j.argv.slice(1), { stdio: 'ignore', detached: false });
    } catch {
      // sentinel.c reports a fork error as signal 99.
      this.running--;
      j.running = false;
      this.event('warning', '-script-error', `${j.argv[0]} 99 0`);
      return;
    }
    j.child = child;
    j.pid = child.pid ?? 0;
    if (j.pid !== 0) this.event('debug', '+script-child', `${j.pid}`);
    let done = false;
    const finish = (code: number, signal: number): void => {
      if (done) return;
      done = true;
      this.collect(j, code, signal);
    };
    // An exec failure (missing or not executable) is the child's _exit(2): not retried.
    child.once('error', () => finish(2, 0));
    child.once('exit', (code, sig) => finish(code ?? 0, sig !== null ? signalNumber(sig) : 0));
  }

  /** sentinelCollectTerminatedScripts for one job. */
  private collect(j: ScriptJob, code: number, signal: number): void {
    this.event('debug', '-script-child', `${j.pid} ${code} ${signal}`);
    this.running--;
    j.child = null;
    if ((signal !== 0 || code === 1) && j.retryNum !== MAX_RETRY) {
      j.running = false;
      j.pid = 0;
      j.startTime = Date.now() + this.retryDelayFor(j.retryNum);
      return;
    }
    if (signal !== 0 || code !== 0) this.event('warning', '-script-error', `${j.argv[0]} ${signal} ${code}`);
    const i = this.jobs.indexOf(j);
    if (i !== -1) this.jobs.splice(i, 1);
  }

  /** sentinelScriptRetryDelay: the delay doubles with every attempt after the first. */
  private retryDelayFor(retryNum: number): number {
    let d = this.retryDelay;
    while (retryNum-- > 1) d *= 2;
    return d;
  }

  /** Stops waiting jobs and kills running ones (Sentinel shutdown). */
  clear(): void {
    for (const j of this.jobs) j.child?.kill('SIGKILL');
    this.jobs.length = 0;
  }
}

/** A signal name as its number (WTERMSIG), for -script-error / -script-child. */
function signalNumber(sig: NodeJS.Signals): number {
  return constants.signals[sig] ?? 99;
}
