/**
 * Logging in Redis's own line format: `pid:role dd Mon yyyy hh:mm:ss.mmm <level> message`, with the
 * level marks Redis uses (`.` debug, `-` verbose, `*` notice, `#` warning), to stdout or `logfile`.
 *
 * Kept in-house rather than using a logging library: the whole job is reproducing Redis's line
 * format (operators grep for it), which no general logger emits without the same amount of code.
 * Source: Redis 7.0 server.c serverLogRaw.
 */
import { appendFileSync } from 'node:fs';

export type LogLevel = 'debug' | 'verbose' | 'notice' | 'warning' | 'nothing';
const LEVELS: Record<LogLevel, number> = { debug: 0, verbose: 1, notice: 2, warning: 3, nothing: 4 };
const MARKS = ['.', '-', '*', '#'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** A Redis-format logger; `level` and `file` follow the loglevel and logfile directives. */
export class Logger {
  level: LogLevel = 'notice';
  /** Log file path; '' writes to stdout. */
  file = '';
  /** Role mark: M master, S replica, C child, X sentinel. */
  role = 'M';
  /** Lines are dropped when false (embedded servers in tests stay quiet unless asked). */
  enabled = true;

  /** True when a line at `level` would be written (to skip building costly messages). */
  wants(level: Exclude<LogLevel, 'nothing'>): boolean {
    return this.enabled && LEVELS[level] >= LEVELS[this.level];
  }

  /** Writes one line at `level` if the configured level lets it through. */
  log(level: Exclude<LogLevel, 'nothing'>, msg: string): void {
    const lv = LEVELS[level];
    if (!this.enabled || lv < LEVELS[this.level]) return;
    const d = new Date();
    const line = `${process.pid}:${this.role} ${pad(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)} ${MARKS[lv]} ${msg}\n`;
    this.write(line);
  }

  /** Writes text as is (no line prefix) at notice level, as Redis's LL_RAW lines (the logo). */
  raw(text: string): void {
    if (!this.enabled || LEVELS.notice < LEVELS[this.level]) return;
    this.write(text);
  }

  /**
   * Appends to the log file (opened per write, as Redis does, so a rotated file is re-created),
   * or writes to stdout. A file that cannot be written drops the line (Redis: fopen fails, nothing
   * is logged) rather than failing the server.
   */
  private write(text: string): void {
    if (this.file) {
      try {
        appendFileSync(this.file, text);
      } catch {
        // Unwritable log file: the line is lost, the server goes on.
      }
    } else {
      process.stdout.write(text);
    }
  }

  debug(msg: string): void {
    this.log('debug', msg);
  }
  verbose(msg: string): void {
    this.log('verbose', msg);
  }
  notice(msg: string): void {
    this.log('notice', msg);
  }
  warning(msg: string): void {
    this.log('warning', msg);
  }
}

/**
 * The start-up banner printed instead of "Running mode=..., port=..." when `always-show-logo yes`
 * or stdout is a terminal without a log file (Redis redisAsciiArt). Keydra's own drawing; the
 * fields beside it are Redis's, which its test harness reads (` PID: <pid>`).
 */
export function keydraLogo(version: string, redisVersion: string, mode: string, port: number, pid: number): string {
  const art = [
    '      _  __              _           ',
    '     | |/ /___ _   _  __| |_ __ __ _ ',
    "     | ' // _ \\ | | |/ _` | '__/ _` |",
    '     | . \\  __/ |_| | (_| | | | (_| |',
    '     |_|\\_\\___|\\__, |\\__,_|_|  \\__,_|',
    '                |___/                ',
  ];
  const info = [
    '',
    `Keydra ${version} (Redis ${redisVersion} compatible) 64 bit`,
    '',
    `Running in ${mode} mode`,
    `Port: ${port}`,
    `PID: ${pid}`,
  ];
  return `${art.map((a, i) => `${a}     ${info[i]}`.trimEnd()).join('\n')}\n\n`;
}
