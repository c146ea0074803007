/**
 * LDB, Redis 7.0's Lua debugger: SCRIPT DEBUG YES|SYNC|NO, the debugging session an EVAL starts
 * for such a client, and the debugger commands (step, continue, list, whole, print, break, trace,
 * eval, redis, maxlen, abort, help).
 *
 * A session is one EVAL of a client in debug mode (src/commands/scripting/index.ts starts it and
 * the engine runs the script with the line hook, src/scripting/engine.ts). At every new line of
 * the script (and every 100000 instructions) the hook asks `LdbSession.lineEvent` whether to stop;
 * a stop logs "* Stopped at <line>, stop reason = ..." and the line, sends the logs, and suspends
 * the script (the Asyncify VM unwinds the wasm stack) until a debugger command resumes it. While
 * it waits, the client's bytes reach `onData` instead of the command parser; each command is read
 * with Redis's own forgiving parser (ldbReplParseCommand: a multi-bulk, arguments of 1 to 1024
 * bytes, at most 1024 of them; anything after the command in the same read is dropped) and
 * answered with the logs it produced, as one array of status replies ("<value> ...", "<reply> ...",
 * "<error> ...", "<debug> ...", source lines). The session ends with "<endsession>", then the
 * EVAL's reply, then the connection is closed (redis-cli reconnects).
 *
 * Modes (Redis forks for YES, blocks for SYNC; see src/commands/scripting/index.ts for how Keydra
 * gives each its guarantee): SYNC runs against the real dataset, keeps its writes, and other
 * clients wait (paused) until the session ends; YES runs against a private copy of the dataset
 * made when the session starts, so its writes are discarded and other clients are served
 * meanwhile.
 *
 * The client disconnecting ends the interaction: the script runs to its end without stopping
 * (after a timeout stop, it is failed instead, as Redis does).
 * Source: Redis 7.0 eval.c (ldb*, luaLdbLineHook, luaRedisBreakpointCommand,
 * luaRedisDebugCommand), script_lua.c (luaRedisGenericCommand and luaPushErrorBuff logging).
 */
import { catRepr } from '../protocol/parser.js';
import type { Client } from '../server/client.js';
import { LUA_OK, LuaType, type LuaVM } from './lua.js';

/** Breakpoints at most (LDB_BREAKPOINTS_MAX). */
const BREAKPOINTS_MAX = 64;
/** Default length limit of logged replies and values (LDB_MAX_LEN_DEFAULT). */
const MAX_LEN_DEFAULT = 256;
/** Nesting depth at which value dumps stop (LDB_MAX_VALUES_DEPTH = LUA_MINSTACK/2). */
const MAX_VALUES_DEPTH = 10;
/** Debugger input bytes buffered at most before the script is failed. */
const MAX_CBUF = 1 << 20;

/** SCRIPT DEBUG mode per client: 'yes' (forked in Redis) or 'sync'. Empty in normal use. */
const debugClients = new Map<Client, 'yes' | 'sync'>();

/** Number of clients in debug mode: EVAL/EVALSHA look a client up only when it is not 0. */
export function ldbClientCount(): number {
  return debugClients.size;
}

/** The client's debug mode, or null (ldbEnable / CLIENT_LUA_DEBUG_SYNC). */
export function ldbModeOf(c: Client): 'yes' | 'sync' | null {
  return debugClients.get(c) ?? null;
}

/** SCRIPT DEBUG YES|SYNC (mode) / NO (null) for `c` (ldbEnable / ldbDisable). */
export function ldbSetMode(c: Client, mode: 'yes' | 'sync' | null): void {
  if (mode === null) debugClients.delete(c);
  else {
    if (!debugClients.has(c)) hookClientFree(c);
    debugClients.set(c, mode);
  }
}

const freeHooked = new WeakSet<object>();

/** Forgets a debug-mode client when it goes away; ends the wait of a session it debugs. */
function hookClientFree(c: Client): void {
  const server = c.server;
  if (freeHooked.has(server)) return;
  freeHooked.add(server);
  server.clientFreeHooks.push((gone: Client) => {
    debugClients.delete(gone);
    const s = sessions.get(gone);
    if (s !== undefined) s.disconnect();
  });
}

/** Sessions by debugging client (at most one per client). */
const sessions = new Map<Client, LdbSession>();

/** printf("%g") of a double (precision 6), as Redis logs Lua numbers. */
export function formatG(n: number): string {
  if (Number.isNaN(n)) return '-nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const exp = n.toExponential(5);
  const e = Number(exp.slice(exp.indexOf('e') + 1));
  if (e < -4 || e >= 6) {
    let m = exp.slice(0, exp.indexOf('e'));
    if (m.includes('.')) m = m.replace(/0+$/, '').replace(/\.$/, '');
    const a = Math.abs(e);
    return `${m}e${e < 0 ? '-' : '+'}${a < 10 ? '0' : ''}${a}`;
  }
  let s = n.toFixed(5 - e);
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s;
}

/** The Lua side of a session, given by the engine when the run starts. */
export interface LdbRunHooks {
  vm: LuaVM;
  /** The coroutine the script runs in. */
  thread: number;
  /** Runs `fn` as the script (redis.call works, its commands are logged when stepping). */
  withRun<T>(fn: () => T): T;
  /** Resumes the suspended script (after step/continue/abort or a disconnection). */
  resume(): void;
}

/** One debugging session (Redis's global `ldb` state, per debugging client here). */
export class LdbSession {
  /** Log lines not sent yet. */
  private logs: string[] = [];
  private bp: number[] = [];
  /** Stop at the next line. */
  step = true;
  /** redis.breakpoint() was called: stop at the next line. */
  luabp = false;
  /** The script split in lines (trailing newlines removed). */
  readonly src: string[];
  currentline = -1;
  private cbuf: Buffer = Buffer.alloc(0);
  private maxlen = MAX_LEN_DEFAULT;
  private maxlenHintSent = false;
  /** Suspended at a stop, waiting for a debugger command. */
  waiting = false;
  /** The stop is a timeout stop (a disconnection then fails the script). */
  timeoutStop = false;
  /** The client went away: the script runs on without stopping. */
  disconnected = false;
  /** An error the hook raises when the script resumes (abort, protocol error), or null. */
  pendingError: string | null = null;
  /** The Lua side (set when the run starts). */
  run: LdbRunHooks | null = null;
  /** Position in the client's reply buffer after the last logs (the EVAL's reply comes after). */
  replyMark = 0;
  ended = false;

  /**
   * @param client the debugging client (its input comes to onData while the session lasts)
   * @param forked YES mode (Redis's forked session: "dataset changes rolled back")
   * @param body the EVAL script
   */
  constructor(
    readonly client: Client,
    readonly forked: boolean,
    body: string,
  ) {
    let end = body.length;
    while (end > 0 && (body.charCodeAt(end - 1) === 10 || body.charCodeAt(end - 1) === 13)) end--;
    this.src = end === 0 ? [] : body.slice(0, end).split('\n');
    this.replyMark = client.reply.pos;
    sessions.set(client, this);
  }

  /** True while stepping: redis.call commands, their replies and errors are logged (ldbIsEnabled). */
  get logging(): boolean {
    return this.step && !this.ended;
  }

  log(entry: string): void {
    this.logs.push(entry);
  }

  /** ldbLogWithMaxLen: trimmed to maxlen bytes (" ..." appended), with a one-time hint. */
  logWithMaxLen(entry: string): void {
    let trimmed = false;
    if (this.maxlen !== 0 && entry.length > this.maxlen) {
      entry = `${entry.slice(0, this.maxlen)} ...`;
      trimmed = true;
    }
    this.log(entry);
    if (trimmed && !this.maxlenHintSent) {
      this.maxlenHintSent = true;
      this.log("<hint> The above reply was trimmed. Use 'maxlen 0' to disable trimming.");
    }
  }

  /** The pending logs as an array of status replies (CR/LF mapped to spaces), written to the client. */
  sendLogs(): void {
    const c = this.client;
    let out = `*${this.logs.length}\r\n`;
    for (const l of this.logs) out += `+${l.replace(/[\r\n]/g, ' ')}\r\n`;
    this.logs = [];
    if (this.disconnected || c.closed) return;
    c.reply.raw(Buffer.from(out, 'latin1'));
    this.replyMark = c.reply.pos;
    c.server.markPendingWrite(c);
  }

  /**
   * Ends the session after the EVAL replied (or failed before running): "<endsession>" goes out
   * before the EVAL's reply, and the connection closes after it (ldbEndSession).
   */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.waiting = false;
    sessions.delete(this.client);
    const c = this.client;
    this.log('<endsession>');
    if (c.closed || this.disconnected) {
      this.logs = [];
      return;
    }
    const w = c.reply;
    const mark = Math.min(this.replyMark, w.pos);
    const reply = Buffer.from(w.buf.subarray(mark, w.pos));
    w.pos = mark;
    this.sendLogs();
    w.raw(reply);
    c.closeAfterReply = true;
    c.server.markPendingWrite(c);
  }

  /**
   * Marks the end of what the client's reply buffer holds before the script goes on: the EVAL's
   * reply, when it comes, is written after it (and "<endsession>" goes between).
   */
  markReply(): void {
    this.replyMark = this.client.reply.pos;
  }

  /** Drops a session that never ran (its client left, or it could not start): nothing is sent. */
  discard(): void {
    this.ended = true;
    this.waiting = false;
    this.logs = [];
    sessions.delete(this.client);
  }

  /** The client went away (ldbRepl's read failing): no more stops, the script runs on. */
  disconnect(): void {
    if (this.disconnected || this.ended) return;
    this.disconnected = true;
    this.step = false;
    this.bp = [];
    this.logs = [];
    if (this.waiting && this.run !== null) {
      const run = this.run;
      // Not inside freeClient's own stack: the script may run for long.
      setImmediate(() => run.resume());
    }
  }

  // ---- the line hook ------------------------------------------------------------------

  /**
   * The hook's decision at a line (`isCount` false) or count event in the user script at `line`
   * (luaLdbLineHook). @returns null to go on, or the stop's timeout flag after logging the stop
   * (the engine then suspends the script and the session waits for commands).
   * `elapsedMs` is the time since the run (or the last stop) started, `limitMs` the timeout.
   */
  lineEvent(line: number, isCount: boolean, elapsedMs: number, limitMs: number): { timeout: boolean } | null {
    const bp = this.isBreakpoint(line) || this.luabp;
    let timeout = false;
    if (isCount && !this.step && !bp) {
      if (elapsedMs < limitMs) return null;
      timeout = true;
      this.step = true;
    }
    if (!this.step && !bp) return null;
    const reason = bp ? (this.luabp ? 'redis.breakpoint() called' : 'break point') : timeout ? 'timeout reached, infinite loop?' : 'step over';
    this.step = false;
    this.luabp = false;
    this.log(`* Stopped at ${line}, stop reason = ${reason}`);
    this.logSourceLine(line);
    this.sendLogs();
    return { timeout };
  }

  // ---- input ----------------------------------------------------------------------------

  /** Bytes from the debugging client while the session lasts (ldbRepl's reads). */
  onData(data: Buffer): void {
    if (this.ended) return;
    this.cbuf = this.cbuf.length === 0 ? Buffer.from(data) : Buffer.concat([this.cbuf, data]);
    if (!this.waiting) return;
    if (this.cbuf.length > MAX_CBUF) {
      this.cbuf = Buffer.alloc(0);
      this.resumeWithError('max client buffer reached');
      return;
    }
    this.processInput();
  }

  /**
   * The script is suspended at a stop (called by the engine's hook): input that came while it ran
   * (a YES session's first stop comes after its private VM loaded) is read now, as Redis's
   * ldbRepl reads what waits in the socket, once the hook has unwound.
   */
  stopped(): void {
    if (this.cbuf.length === 0) return;
    setImmediate(() => {
      if (!this.waiting || this.ended) return;
      if (this.cbuf.length > MAX_CBUF) {
        this.cbuf = Buffer.alloc(0);
        this.resumeWithError('max client buffer reached');
        return;
      }
      this.processInput();
    });
  }

  /** Runs the buffered debugger command, if whole (ldbRepl's loop body). */
  private processInput(): void {
    const parsed = parseCommand(this.cbuf);
    if (parsed === null) return;
    if (parsed === 'error') {
      this.resumeWithError('protocol error');
      return;
    }
    // Redis flushes the whole buffer after one command: anything pipelined behind it is dropped.
    this.cbuf = Buffer.alloc(0);
    const argv = parsed.map((b) => b.toString('latin1'));
    if (this.execute(argv)) {
      this.waiting = false;
      this.markReply();
      this.run?.resume();
    }
  }

  private resumeWithError(msg: string): void {
    this.pendingError = msg;
    this.waiting = false;
    this.markReply();
    this.run?.resume();
  }

  /** Runs one debugger command. @returns true when the script must resume. */
  private execute(argv: string[]): boolean {
    const cmd = argv[0].toLowerCase();
    const argc = argv.length;
    switch (cmd) {
      case 'h':
      case 'help':
        for (const l of HELP) this.log(l);
        break;
      case 's':
      case 'step':
      case 'n':
      case 'next':
        this.step = true;
        return true;
      case 'c':
      case 'continue':
        return true;
      case 't':
      case 'trace':
        this.trace();
        break;
      case 'm':
      case 'maxlen':
        this.maxlenCommand(argv);
        break;
      case 'b':
      case 'break':
        this.breakCommand(argv);
        break;
      case 'e':
      case 'eval':
        this.evalCommand(argv);
        break;
      case 'a':
      case 'abort':
        this.pendingError = 'script aborted for user request';
        return true;
      case 'r':
      case 'redis':
        if (argc > 1) {
          this.redisCommand(argv);
          break;
        }
        this.log('<error> Unknown Redis Lua debugger command or wrong number of arguments.');
        break;
      case 'p':
      case 'print':
        if (argc === 2) this.print(argv[1]);
        else this.printAll();
        break;
      case 'l':
      case 'list': {
        let around = this.currentline;
        let ctx = 5;
        if (argc > 1) {
          const num = atoi(argv[1]);
          if (num > 0) around = num;
        }
        if (argc > 2) ctx = atoi(argv[2]);
        this.list(around, ctx);
        break;
      }
      case 'w':
      case 'whole':
        this.list(1, 1000000);
        break;
      default:
        this.log('<error> Unknown Redis Lua debugger command or wrong number of arguments.');
    }
    this.sendLogs();
    return false;
  }

  // ---- source and breakpoints -----------------------------------------------------------

  private sourceLine(line: number): string {
    const idx = line - 1;
    if (idx < 0 || idx >= this.src.length) return '<out of range source code line>';
    return this.src[idx];
  }

  isBreakpoint(line: number): boolean {
    return this.bp.length !== 0 && this.bp.includes(line);
  }

  /** ldbLogSourceLine: "-> ", "  #", "->#" or "   ", the number left-aligned in 3, the line. */
  private logSourceLine(line: number): void {
    const bp = this.isBreakpoint(line);
    const current = this.currentline === line;
    const prefix = current && bp ? '->#' : current ? '-> ' : bp ? '  #' : '   ';
    this.log(`${prefix}${String(line).padEnd(3)} ${this.sourceLine(line)}`);
  }

  private list(around: number, context: number): void {
    for (let j = 1; j <= this.src.length; j++) {
      if (around !== 0 && Math.abs(around - j) > context) continue;
      this.logSourceLine(j);
    }
  }

  private breakCommand(argv: string[]): void {
    if (argv.length === 1) {
      if (this.bp.length === 0) {
        this.log("No breakpoints set. Use 'b <line>' to add one.");
        return;
      }
      this.log(`${this.bp.length} breakpoints set:`);
      for (const l of this.bp) this.logSourceLine(l);
      return;
    }
    for (let j = 1; j < argv.length; j++) {
      const arg = argv[j];
      const line = string2l(arg);
      if (line === null) {
        this.log(`Invalid argument:'${arg}'`);
      } else if (line === 0) {
        this.bp = [];
        this.log('All breakpoints removed.');
      } else if (line > 0) {
        if (this.bp.length === BREAKPOINTS_MAX) this.log('Too many breakpoints set.');
        else if (line <= this.src.length && !this.bp.includes(line)) {
          this.bp.push(line);
          this.list(line, 1);
        } else this.log('Wrong line number.');
      } else {
        const i = this.bp.indexOf(-line);
        if (i >= 0) {
          this.bp.splice(i, 1);
          this.log('Breakpoint removed.');
        } else this.log('No breakpoint in the specified line.');
      }
    }
  }

  private maxlenCommand(argv: string[]): void {
    if (argv.length === 2) {
      let v = atoi(argv[1]);
      this.maxlenHintSent = true;
      if (v !== 0 && v <= 60) v = 60;
      this.maxlen = v;
    }
    if (this.maxlen !== 0) this.log(`<value> replies are truncated at ${this.maxlen} bytes.`);
    else this.log('<value> replies are unlimited.');
  }

  // ---- commands that look at the Lua state ----------------------------------------------

  /** ldbPrint: the first local named `name` from the current frame outwards, or KEYS/ARGV. */
  private print(name: string): void {
    const run = this.run;
    if (run === null) return;
    const { vm: v, thread: L } = run;
    const m = v.m;
    for (let level = 0; ; level++) {
      const ar = v.debugAr;
      if (m._lua_getstack(L, level, ar) === 0) break;
      for (let i = 1; ; i++) {
        const p = m._lua_getlocal(L, ar, i);
        if (p === 0) break;
        if (v.cstr(p) === name) {
          this.logWithMaxLen(`<value> ${this.valueRepr(v, L, -1, 0)}`);
          m._lua_settop(L, -2);
          return;
        }
        m._lua_settop(L, -2);
      }
    }
    if (name === 'ARGV' || name === 'KEYS') {
      v.getGlobal(L, name);
      this.logWithMaxLen(`<value> ${this.valueRepr(v, L, -1, 0)}`);
      m._lua_settop(L, -2);
    } else this.log('No such variable.');
  }

  /** ldbPrintAll: every local of the current frame but temporaries. */
  private printAll(): void {
    const run = this.run;
    let vars = 0;
    if (run !== null) {
      const { vm: v, thread: L } = run;
      const m = v.m;
      const ar = v.debugAr;
      if (m._lua_getstack(L, 0, ar) !== 0) {
        for (let i = 1; ; i++) {
          const p = m._lua_getlocal(L, ar, i);
          if (p === 0) break;
          const name = v.cstr(p);
          if (!name.includes('(*temporary)')) {
            this.logWithMaxLen(`<value> ${name} = ${this.valueRepr(v, L, -1, 0)}`);
            vars++;
          }
          m._lua_settop(L, -2);
        }
      }
    }
    if (vars === 0) this.log('No local variables in the current context.');
  }

  /** ldbTrace: "In"/"From" <function name or "top level">: and the line, for user_script frames. */
  private trace(): void {
    const run = this.run;
    let level = 0;
    if (run !== null) {
      const { vm: v, thread: L } = run;
      for (; ; level++) {
        const info = v.frameInfo(L, level);
        if (info === null) break;
        if (info.shortSrc.includes('user_script')) {
          this.log(`${level === 0 ? 'In' : 'From'} ${info.name ?? 'top level'}:`);
          this.logSourceLine(info.line);
        }
      }
    }
    if (level === 0) this.log("<error> Can't retrieve Lua stack.");
  }

  /** ldbEval: the code as an expression ("return " prepended), else as statements; logs its value or error. */
  private evalCommand(argv: string[]): void {
    const run = this.run;
    if (run === null) return;
    const { vm: v, thread: L } = run;
    const m = v.m;
    const code = argv.slice(1).join(' ');
    if (v.loadBuffer(L, `return ${code}`, '@ldb_eval') !== LUA_OK) {
      m._lua_settop(L, -2);
      if (v.loadBuffer(L, code, '@ldb_eval') !== LUA_OK) {
        this.log(`<error> ${v.toString(L, -1) ?? '(null)'}`);
        m._lua_settop(L, -2);
        return;
      }
    }
    const status = run.withRun(() => m._lua_pcall(L, 0, 1, 0));
    if (status !== LUA_OK) {
      this.log(`<error> ${v.toString(L, -1) ?? '(null)'}`);
      m._lua_settop(L, -2);
      return;
    }
    this.logWithMaxLen(`<retval> ${this.valueRepr(v, L, -1, 0)}`);
    m._lua_settop(L, -2);
  }

  /** ldbRedis: redis.call(...) with logging forced on (its command, reply or error are the output). */
  private redisCommand(argv: string[]): void {
    const run = this.run;
    if (run === null) return;
    const { vm: v, thread: L } = run;
    const m = v.m;
    // Room for redis, redis.call and the arguments (Lua guarantees only LUA_MINSTACK slots).
    if (m._lua_checkstack(L, argv.length + 1) === 0) {
      // Redis logs this text through its reply formatter, which prints none of it.
      this.logWithMaxLen('<reply> ');
      return;
    }
    const top = m._lua_gettop(L);
    v.getGlobal(L, 'redis');
    v.getField(L, -1, 'call');
    for (let j = 1; j < argv.length; j++) v.pushString(L, argv[j]);
    this.step = true;
    run.withRun(() => m._lua_pcall(L, argv.length - 1, 1, 0));
    this.step = false;
    m._lua_settop(L, top);
  }

  /** ldbCatStackValueRec: a readable dump of the value at `idx` (strings quoted, tables {..}). */
  valueRepr(v: LuaVM, L: number, idx: number, level: number): string {
    const m = v.m;
    if (level++ === MAX_VALUES_DEPTH) return '<max recursion level reached! Nested table?>';
    const t = v.type(L, idx);
    switch (t) {
      case LuaType.String:
        return catRepr(v.toString(L, idx) ?? '');
      case LuaType.Boolean:
        return m._lua_toboolean(L, idx) ? 'true' : 'false';
      case LuaType.Number:
        return formatG(m._lua_tonumber(L, idx));
      case LuaType.Nil:
        return 'nil';
      case LuaType.Table: {
        const abs = idx < 0 ? m._lua_gettop(L) + idx + 1 : idx;
        let expected = 1;
        let isArray = true;
        const r1: string[] = [];
        const r2: string[] = [];
        m._lua_pushnil(L);
        while (m._lua_next(L, abs) !== 0) {
          if (isArray && (v.type(L, -2) !== LuaType.Number || m._lua_tonumber(L, -2) !== expected)) isArray = false;
          const val = this.valueRepr(v, L, -1, level);
          r1.push(val);
          r2.push(`[${this.valueRepr(v, L, -2, level)}]=${val}`);
          m._lua_settop(L, -2);
          expected++;
        }
        return `{${(isArray ? r1 : r2).join('; ')}}`;
      }
      case LuaType.Function:
      case LuaType.Userdata:
      case LuaType.Thread:
      case LuaType.LightUserdata: {
        const names: Partial<Record<LuaType, string>> = {
          [LuaType.Function]: 'function',
          [LuaType.Userdata]: 'userdata',
          [LuaType.Thread]: 'thread',
          [LuaType.LightUserdata]: 'light-userdata',
        };
        return `"${names[t]}@0x${(m._lua_topointer(L, idx) >>> 0).toString(16)}"`;
      }
      default:
        return '"<unknown-lua-type>"';
    }
  }

  /** redis.debug(...): "<debug> line N: " and the values separated by ", " (luaRedisDebugCommand). */
  debugLog(v: LuaVM, L: number): void {
    const argc = v.m._lua_gettop(L);
    const parts: string[] = [];
    for (let i = 1; i <= argc; i++) parts.push(this.valueRepr(v, L, i, 0));
    this.log(`<debug> line ${this.currentline}: ${parts.join(', ')}`);
  }

  /** The "<redis> cmd args..." log of a command the script runs while stepping (at most 10 args shown). */
  logCommand(argv: string[]): void {
    let s = '<redis>';
    for (let j = 0; j < argv.length; j++) {
      if (j === 10) {
        s += ` ... (${argv.length - j - 1} more)`;
        break;
      }
      s += ` ${argv[j]}`;
    }
    this.log(s);
  }

  /** The "<reply> ..." log of a command's reply (ldbLogRedisReply). */
  logReply(b: Buffer, start: number, end: number): void {
    const out: string[] = ['<reply> '];
    protocolToHuman(out, b.subarray(start, end), 0);
    this.logWithMaxLen(out.join(''));
  }
}

/** The session of a client, if it debugs one. */
export function ldbSessionOf(c: Client): LdbSession | null {
  return sessions.size === 0 ? null : (sessions.get(c) ?? null);
}

/** C atoi: optional spaces and sign, digits up to the first other byte; 0 without digits. */
function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  if (m === null) return 0;
  const n = Number(m[1]);
  return Math.trunc(n) | 0;
}

/** Redis string2l: a strict integer (no spaces, no leading zeros or '+'), or null. */
function string2l(s: string): number | null {
  if (!/^(0|-?[1-9]\d*)$/.test(s) || s.length > 20) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * ldbReplParseCommand over the buffered input: the arguments of one whole multi-bulk command,
 * null when more bytes are needed, 'error' on a protocol error. C-string semantics kept: the
 * search for '*' and for each CRLF stops at a NUL byte.
 */
export function parseCommand(b: Buffer): Buffer[] | 'error' | null {
  if (b.length === 0) return null;
  let nul = b.indexOf(0);
  if (nul < 0) nul = b.length;
  const star = b.indexOf(42);
  if (star < 0 || star > nul) return 'error';
  let p = b.indexOf('\r\n', star);
  if (p < 0 || p + 1 >= nul + (nul === b.length ? 0 : 0) || p > nul) return null;
  const argc = atoi(b.toString('latin1', star + 1, p));
  p += 2;
  if (argc <= 0 || argc > 1024) return 'error';
  const argv: Buffer[] = [];
  while (argv.length < argc) {
    if (p >= b.length || b[p] === 0) return null;
    if (b[p] !== 36) return 'error';
    const lenStart = p + 1;
    let zero = b.indexOf(0, p);
    if (zero < 0) zero = b.length;
    const e = b.indexOf('\r\n', p);
    if (e < 0 || e > zero) return null;
    const slen = atoi(b.toString('latin1', lenStart, e));
    p = e + 2;
    if (slen <= 0 || slen > 1024) return 'error';
    if (p + slen + 2 > b.length) return null;
    argv.push(b.subarray(p, p + slen));
    p += slen;
    if (b[p] !== 13 || b[p + 1] !== 10) return 'error';
    p += 2;
  }
  return argv;
}

/** End of the line starting at `p` (the index of its CR). */
function crAt(b: Buffer, p: number): number {
  const e = b.indexOf(13, p);
  return e < 0 ? b.length : e;
}

/** ldbRedisProtocolToHuman: appends the reply at `p` in readable form; @returns the next position. */
function protocolToHuman(out: string[], b: Buffer, p: number): number {
  if (p >= b.length) return p;
  const t = b[p];
  const e = crAt(b, p + 1);
  const head = () => b.toString('latin1', p + 1, e);
  switch (t) {
    case 58: // ':'
      out.push(head());
      return e + 2;
    case 36: {
      // '$'
      const len = Number(head());
      if (len === -1) {
        out.push('NULL');
        return e + 2;
      }
      out.push(catRepr(b.toString('latin1', e + 2, e + 2 + len)));
      return e + 2 + len + 2;
    }
    case 43: // '+'
    case 45: // '-'
      out.push(catRepr(b.toString('latin1', p, e)));
      return e + 2;
    case 42: {
      // '*'
      const n = Number(head());
      let q = e + 2;
      if (n === -1) {
        out.push('NULL');
        return q;
      }
      out.push('[');
      for (let j = 0; j < n; j++) {
        q = protocolToHuman(out, b, q);
        if (j !== n - 1) out.push(',');
      }
      out.push(']');
      return q;
    }
    case 126: {
      // '~'
      const n = Number(head());
      let q = e + 2;
      out.push('~(');
      for (let j = 0; j < n; j++) {
        q = protocolToHuman(out, b, q);
        if (j !== n - 1) out.push(',');
      }
      out.push(')');
      return q;
    }
    case 37: {
      // '%'
      const n = Number(head());
      let q = e + 2;
      out.push('{');
      for (let j = 0; j < n; j++) {
        q = protocolToHuman(out, b, q);
        out.push(' => ');
        q = protocolToHuman(out, b, q);
        if (j !== n - 1) out.push(',');
      }
      out.push('}');
      return q;
    }
    case 95: // '_'
      out.push('(null)');
      return e + 2;
    case 35: // '#'
      out.push(b[p + 1] === 116 ? '#true' : '#false');
      return e + 2;
    case 44: // ','
      out.push(`(double) ${head()}`);
      return e + 2;
    default:
      return p;
  }
}

/** The help text (ldbRepl "help"). */
const HELP = [
  'Redis Lua debugger help:',
  '[h]elp               Show this help.',
  '[s]tep               Run current line and stop again.',
  '[n]ext               Alias for step.',
  '[c]ontinue           Run till next breakpoint.',
  '[l]ist               List source code around current line.',
  '[l]ist [line]        List source code around [line].',
  '                     line = 0 means: current position.',
  '[l]ist [line] [ctx]  In this form [ctx] specifies how many lines',
  '                     to show before/after [line].',
  "[w]hole              List all source code. Alias for 'list 1 1000000'.",
  '[p]rint              Show all the local variables.',
  '[p]rint <var>        Show the value of the specified variable.',
  '                     Can also show global vars KEYS and ARGV.',
  '[b]reak              Show all breakpoints.',
  '[b]reak <line>       Add a breakpoint to the specified line.',
  '[b]reak -<line>      Remove breakpoint from the specified line.',
  '[b]reak 0            Remove all breakpoints.',
  '[t]race              Show a backtrace.',
  '[e]val <code>        Execute some Lua code (in a different callframe).',
  '[r]edis <cmd>        Execute a Redis command.',
  '[m]axlen [len]       Trim logged Redis replies and Lua var dumps to len.',
  '                     Specifying zero as <len> means unlimited.',
  '[a]bort              Stop the execution of the script. In sync',
  '                     mode dataset changes will be retained.',
  '',
  'Debugger functions you can call from Lua scripts:',
  'redis.debug()        Produce logs in the debugger console.',
  'redis.breakpoint()   Stop execution like if there was a breakpoint in the',
  '                     next line of code.',
];



