/**
 * Differential fuzz test of the RESP request path over real sockets: Keydra against redis-server 7.0.
 *
 * A seeded generator builds request streams that mix valid multibulk commands (binary-safe
 * arguments with \r \n \0 0xff, empty ones, and arguments of up to 70000 bytes, across the 32 KB
 * big-argument threshold), inline commands (quotes, escapes, unbalanced quotes) and malformed input
 * (bad `*`/`$` counts, negative, huge and non-digit lengths, missing CRLF, `*0`/`*-1`, too long
 * lines, lone CRLF). The same bytes go to both servers, cut into chunks of 1 byte to 100 KB with
 * short pauses so that reads end at arbitrary points, and the test compares the whole reply byte
 * stream and whether the server closed the connection (Redis replies a protocol error, then closes).
 * Two connections per server also send partial frames alternately (Keydra reads every socket into
 * one shared buffer, which must keep them apart).
 *
 * Deterministic: PROTOCOL_FUZZ_CASE=<seed> replays one case (the failure message prints its seed),
 * PROTOCOL_FUZZ_SEED=<n> runs other cases. Replies never depend on how reads are split: a line
 * over the 64 KB limit (no CR or LF) ends its stream, so the server sees all of it, and a NUL byte
 * never precedes a header's CR in generated streams (Redis finds line ends with strchr; the
 * regression cases check that such input waits). A fatal error ends a stream but for a few bytes
 * written with it, and the client polls its socket before each write and stops once the server has
 * closed: a server that closes with bytes unread sends a reset, and a client write that fails
 * then destroys the socket with the replies unread.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeCommand } from '../../src/client/rawClient.js';
import { rng } from '../helpers/random.js';
import { NO_REDIS, type Peer, startKeydra, startRedis } from '../helpers/servers.js';

/** First case seed; PROTOCOL_FUZZ_SEED=<n> explores other cases. */
const SEED = Number(process.env.PROTOCOL_FUZZ_SEED ?? 20261121);
/** PROTOCOL_FUZZ_CASE=<seed>: run only that case (the seed a failure message prints) in each test. */
const ONLY = process.env.PROTOCOL_FUZZ_CASE === undefined ? null : Number(process.env.PROTOCOL_FUZZ_CASE);

/** The case seeds of a test: `count` from `first`, or only ONLY. */
function seeds(first: number, count: number): number[] {
  return ONLY !== null ? [ONLY] : Array.from({ length: count }, (_, i) => first + i);
}

let redis: Peer | null = null;
let keydra: Peer | null = null;
before(async () => {
  redis = await startRedis();
  if (redis !== null) keydra = await startKeydra();
});
after(async () => {
  await keydra?.close();
  await redis?.close();
});

/** How a stream ends: `sentinel` (an ECHO whose reply marks the end), `close` (a fatal error), `quiet` (unknown). */
type Ending = 'sentinel' | 'close' | 'quiet';

/** A request stream and how its replies end. */
interface Stream {
  bytes: Buffer;
  ending: Ending;
  /** The sentinel's reply (ending 'sentinel'). */
  sentinel?: Buffer;
  /** Where the stream's last chunk must start (the bytes from there go in one write), or -1. */
  lastChunkFrom: number;
}

/** What one connection received. */
interface Received {
  data: Buffer;
  closed: boolean;
}

/** What a stream may contain: large arguments, a fatal error at its end, mismatched lengths; what precedes its sentinel (an AUTH). */
interface StreamOptions {
  big: boolean;
  fatalOk: boolean;
  chaosOk: boolean;
  beforeSentinel?: Buffer;
  /**
   * For clients before AUTH: no frame over the unauthenticated limits (10 arguments, 16384-byte
   * arguments) except a fatal one at the end (a server that closes mid-stream leaves the rest of
   * the stream unread, and its reset can discard the replies before the client reads them).
   */
  unauth?: boolean;
}

class Gen {
  readonly r: () => number;
  /** Stay within the unauthenticated limits (StreamOptions.unauth). */
  unauth = false;
  constructor(seed: number) {
    this.r = rng(seed);
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.r() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.r() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)];
  }

  /** A binary-safe argument: often short, sometimes large (up to 70000 bytes, past the 32 KB big-arg threshold). */
  value(big = true): Buffer {
    const x = this.r();
    let len = x < 0.15 ? 0 : x < 0.7 ? this.int(1, 20) : x < 0.9 || !big ? this.int(21, 2000) : this.int(30000, 70000);
    // The big-argument threshold (32 KB) and the read buffer size (64 KB), give or take a byte.
    if (big && x >= 0.97) len = this.pick([32 * 1024, 64 * 1024]) + this.int(-2, 2);
    const b = Buffer.alloc(len);
    const mode = this.int(0, 3);
    for (let i = 0; i < len; i++) {
      if (mode === 0) b[i] = this.int(0, 255);
      else if (mode === 1) b[i] = this.pick([13, 10, 0, 255, 42, 36, 34, 39, 32, 92, 120]);
      else b[i] = this.int(97, 122);
    }
    return b;
  }

  key(prefix: string, kind: string): string {
    return `${prefix}${kind}${this.int(0, 2)}`;
  }

  /** One valid command (argv). */
  command(prefix: string, big = true): Buffer[] {
    const s = (x: string): Buffer => Buffer.from(x, 'latin1');
    const name = (n: string): Buffer => s(this.chance(0.2) ? n.toLowerCase() : n);
    switch (this.int(0, 10)) {
      case 0:
        return [name('SET'), s(this.key(prefix, 'k')), this.value(big)];
      case 1:
        return [name('GET'), s(this.key(prefix, this.pick(['k', 'l'])))];
      case 2:
        return [name('APPEND'), s(this.key(prefix, 'k')), this.value(big)];
      case 3: {
        const argv: Buffer[] = [name('RPUSH'), s(this.key(prefix, this.pick(['l', 'l', 'k'])))];
        for (let i = this.int(1, 4); i > 0; i--) argv.push(this.value(big && i === 1));
        return argv;
      }
      case 4:
        return [name('LRANGE'), s(this.key(prefix, 'l')), s(String(this.int(-3, 2))), s(String(this.int(-2, 5)))];
      case 5: {
        const argv: Buffer[] = [name('HSET'), s(this.key(prefix, this.pick(['h', 'h', 'k'])))];
        for (let i = this.int(1, 3); i > 0; i--) argv.push(this.value(false).subarray(0, 8), this.value(big && i === 1));
        return argv;
      }
      case 6: {
        const argv: Buffer[] = [name('MGET')];
        // Sometimes more than 10 arguments: the limit before AUTH.
        for (let i = this.int(1, this.chance(0.1) && !this.unauth ? 12 : 4); i > 0; i--)
          argv.push(s(this.key(prefix, this.pick(['k', 'l', 'h']))));
        return argv;
      }
      case 7:
        return [name('ECHO'), this.value(big)];
      case 8:
        return this.chance(0.5) ? [name('PING')] : [name('PING'), this.value(big)];
      case 9:
        // Errors: arity, and an unknown command whose arguments are echoed in the error.
        return this.chance(0.5) ? [name('GET')] : [s(this.pick(['NOSUCH', 'x', ''])), this.value(false).subarray(0, 30)];
      default:
        return [name('HSET'), s(this.key(prefix, 'h')), this.value(false)];
    }
  }

  /** One inline token: plain, double quoted (with escapes) or single quoted. */
  inlineToken(): string {
    const plainChar = () => {
      // No quotes or backslashes (a backslash before a closing quote would escape it).
      const c = this.int(33, 255);
      return c === 34 || c === 39 || c === 92 ? 'q' : String.fromCharCode(c);
    };
    const k = this.int(0, 5);
    if (k <= 2) {
      let t = '';
      for (let i = this.int(1, 8); i > 0; i--) t += plainChar();
      return t;
    }
    if (k <= 4) {
      let t = '"';
      for (let i = this.int(0, 10); i > 0; i--) {
        const e = this.int(0, 9);
        if (e === 0) t += this.pick(['\\n', '\\r', '\\t', '\\b', '\\a', '\\\\', '\\"', "\\'", '\\q']);
        else if (e === 1) t += `\\x${this.int(0, 255).toString(16).padStart(2, '0')}`;
        else if (e === 2) t += this.pick(['\\xZZ', '\\x4', '\\x', "'", ' ', '\t']);
        else t += plainChar();
      }
      return `${t}"`;
    }
    let t = "'";
    for (let i = this.int(0, 8); i > 0; i--) t += this.chance(0.2) ? this.pick(["\\'", '\\n', '"', ' ']) : plainChar();
    return `${t}'`;
  }

  /** An inline request line; `fatal` when its quotes are unbalanced (or a closing quote is not followed by a space). */
  inline(prefix: string): { line: Buffer; fatal: boolean } {
    const cmd = this.pick(['ECHO', 'PING', 'SET', 'GET', 'APPEND', 'RPUSH', 'MGET', 'echo', 'NOSUCH']);
    const parts: string[] = [cmd];
    if (cmd === 'SET' || cmd === 'GET' || cmd === 'APPEND' || cmd === 'RPUSH' || cmd === 'MGET') parts.push(this.key(prefix, 'k'));
    for (let i = this.int(0, 3); i > 0; i--) parts.push(this.inlineToken());
    let fatal = false;
    if (this.chance(0.1)) {
      parts.push(this.pick(['"abc', "'abc", '"a"b', "'a'b", '"\\"', "'\\'"]));
      fatal = true;
    }
    const sep = () => this.pick([' ', ' ', '  ', '\t', ' \r ']);
    let line = (this.chance(0.2) ? sep() : '') + parts.join(sep());
    if (this.chance(0.2)) line += sep();
    line += this.chance(0.8) ? '\r\n' : '\n';
    return { line: Buffer.from(line, 'latin1'), fatal };
  }

  /** Harmless framing oddities Redis skips: `*0`, `*-1`, negative counts, blank lines. */
  skipped(): Buffer {
    return Buffer.from(this.pick(['*0\r\n', '*-1\r\n', '*-5\r\n', '\r\n', '\n', '  \r\n', '\t\n', '*-9223372036854775808\r\n']), 'latin1');
  }

  /** A frame Redis answers with a protocol error and then closes the connection (followed by nothing the server may read). */
  fatal(): Buffer {
    const s = (x: string) => Buffer.from(x, 'latin1');
    const ok = encodeCommand(['ECHO', 'abc']);
    if (this.unauth && this.chance(0.5)) {
      return this.chance(0.5)
        ? Buffer.concat([s(`*${this.int(11, 20)}\r\n`), encodeCommand(['PING']).subarray(4)])
        : Buffer.concat([s(`*2\r\n$4\r\nECHO\r\n$${this.int(16385, 20000)}\r\n`), Buffer.alloc(100, 97)]);
    }
    switch (this.int(0, 9)) {
      case 0:
        return s(
          `*${this.pick(['x', '1x', '01', ' 1', '-0', '-', '', '+1', '3000000000', '99999999999999999999', '1.5'])}\r\n$4\r\nPING\r\n`,
        );
      case 1:
        return s(
          `*2\r\n$4\r\nECHO\r\n$${this.pick(['-1', '-0', 'x', '01', '', '3x', '+3', '536870913', '99999999999999999999'])}\r\nabc\r\n`,
        );
      case 2: {
        // expected '$', got <byte> (never NUL: Redis would not see the line end).
        const b = Buffer.from(ok);
        b[4] = this.pick([65, 42, 13, 10, 32, 255, 36 + 1]);
        return b;
      }
      case 3:
        // A header line ends at the first CR: `*1\n...` makes `1\n$4` the count.
        return s('*1\n$4\r\nPING\r\n');
      case 4:
        return s('*1\r\n$4\n\r\nPING\r\n');
      case 5:
        return Buffer.concat([s('*2\r\n$4\r\nECHO\r\n'), s('x\r\n')]);
      default: {
        const ms = [this.pick(['*1\r\n$4\r\nPING', '*1\r\n', ''])];
        return Buffer.concat([s(ms[0]), s(`*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\n*${this.pick(['abc', '-', '0x1'])}\r\n`)]);
      }
    }
  }

  /** A final line longer than the 64 KB inline limit, with no CR or LF: too big inline/mbulk/bulk count. */
  tooBig(): Buffer {
    const n = this.int(64 * 1024 + 1, 100000);
    const body = Buffer.alloc(n, this.pick([97, 49, 255, 32]));
    const kind = this.int(0, 2);
    if (kind === 0) return body; // too big inline request
    if (kind === 1) return Buffer.concat([Buffer.from('*'), body]); // too big mbulk count string
    return Buffer.concat([Buffer.from('*1\r\n$'), body]); // too big bulk count string
  }

  /** Input Redis parses without closing whose effect on later frames depends on the bytes (data lengths that do not match). */
  chaos(): Buffer {
    const s = (x: string) => Buffer.from(x, 'latin1');
    return this.pick([
      s('*2\r\n$4\r\nECHO\r\n$3\r\nabcXY'), // no CRLF after the data: two bytes skipped blindly
      s('*2\r\n$4\r\nECHO\r\n$5\r\nabc\r\n'), // length longer than the data
      s('*2\r\n$4\r\nECHO\r\n$1\r\nabc\r\n'), // shorter
      s('*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING'),
      s('*3\r\n$4\r\nECHO\r\n$1\r\na\r\n'),
    ]);
  }

  /**
   * A request stream for connection `prefix`. `big`: allow large arguments. `fatalOk`: may end with
   * a fatal error; `chaosOk`: may contain mismatched data lengths (the stream's end is then not
   * known, it ends 'quiet').
   */
  stream(prefix: string, opts: StreamOptions): Stream {
    this.unauth = opts.unauth === true;
    const parts: Buffer[] = [];
    let ending: Ending = 'sentinel';
    const n = this.int(1, 40);
    for (let i = 0; i < n; i++) {
      const x = this.r();
      if (x < 0.65) parts.push(encodeCommand(this.command(prefix, opts.big)));
      else if (x < 0.85) {
        const { line, fatal } = this.inline(prefix);
        if (fatal && !opts.fatalOk) continue;
        parts.push(line);
        if (fatal) {
          ending = 'close';
          break;
        }
      } else if (x < 0.95) parts.push(this.skipped());
      else if (opts.chaosOk) {
        parts.push(this.chaos());
        ending = 'quiet';
      }
    }
    let lastChunkFrom = -1;
    if (ending === 'sentinel' && opts.fatalOk && this.chance(0.3)) {
      if (this.chance(0.25)) {
        // The too-long line is the stream's end: the server must have read all of it to decide.
        parts.push(this.tooBig());
        return { bytes: Buffer.concat(parts), ending: 'close', lastChunkFrom: -1 };
      }
      parts.push(this.fatal());
      ending = 'close';
    }
    if (ending === 'close') {
      // Valid commands behind the error, in the same write: Redis discards them. Kept short so
      // the server reads them with the error (closing with unread bytes would send a reset).
      lastChunkFrom = Buffer.concat(parts).length - (parts.at(-1) as Buffer).length;
      if (this.chance(0.6)) parts.push(encodeCommand(['SET', `${prefix}k0`, 'after-error']), Buffer.from('PING\r\n'));
      return { bytes: Buffer.concat(parts), ending, lastChunkFrom };
    }
    if (ending === 'quiet') return { bytes: Buffer.concat(parts), ending, lastChunkFrom };
    const token = `end-${prefix}-${this.int(0, 1e9)}`;
    if (opts.beforeSentinel) parts.push(opts.beforeSentinel);
    parts.push(encodeCommand(['ECHO', token]));
    return { bytes: Buffer.concat(parts), ending, sentinel: Buffer.from(`$${token.length}\r\n${token}\r\n`), lastChunkFrom };
  }

  /** Cuts `len` bytes into chunk sizes of 1 byte to 100 KB (mostly small), the last one starting at `lastFrom` when >= 0. */
  chunks(len: number, lastFrom: number): number[] {
    const out: number[] = [];
    let at = 0;
    const stop = lastFrom >= 0 ? lastFrom : len;
    while (at < stop) {
      const x = this.r();
      const size = x < 0.3 ? this.int(1, 16) : x < 0.7 ? this.int(17, 2000) : this.int(2001, 100 * 1024);
      const take = Math.min(size, stop - at);
      out.push(take);
      at += take;
    }
    if (at < len) out.push(len - at);
    return out;
  }
}

/** A client socket that records every byte received and whether the server closed. */
class Conn {
  readonly received: Received = { data: Buffer.alloc(0), closed: false };
  private readonly waiters: (() => void)[] = [];
  lastDataAt = Date.now();

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d) => {
      this.received.data = Buffer.concat([this.received.data, d]);
      this.lastDataAt = Date.now();
      this.wake();
    });
    const closed = () => {
      this.received.closed = true;
      this.wake();
    };
    socket.on('end', closed);
    socket.on('close', closed);
    socket.on('error', closed);
  }

  static open(port: number): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.setNoDelay(true);
        resolve(new Conn(s));
      });
      s.once('error', reject);
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  write(b: Buffer): void {
    if (!this.received.closed) this.socket.write(b);
  }

  /** Resolves when `done()` holds (checked on every event) or after `ms`. */
  async until(done: () => boolean, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done() && Date.now() < deadline) {
      await Promise.race([new Promise<void>((r) => this.waiters.push(r)), sleep(50)]);
    }
  }

  /** Waits for the stream's end: its sentinel reply, the server's close, or no data for a while. */
  async finish(s: Stream): Promise<void> {
    const rec = this.received;
    const start = Date.now();
    const silentFor = (ms: number) => Date.now() - Math.max(start, this.lastDataAt) > ms;
    if (s.ending === 'sentinel') {
      const tail = s.sentinel as Buffer;
      const hasEnd = () => rec.data.length >= tail.length && rec.data.subarray(rec.data.length - tail.length).equals(tail);
      await this.until(() => rec.closed || hasEnd(), 10000);
    } else if (s.ending === 'close') {
      // An error after mismatched lengths may not be one: then both stay open.
      await this.until(() => rec.closed || silentFor(1500), 10000);
    } else {
      await this.until(() => rec.closed || silentFor(500), 10000);
    }
  }

  /**
   * Waits for the same end as `reference` (what Redis sent, already finished): its sentinel, or
   * as many bytes and the same close, then a short grace for any extra bytes. Slow servers only
   * make this wait longer, never pass or fail differently.
   */
  async finishLike(reference: Received, s: Stream): Promise<void> {
    if (s.ending === 'sentinel' && !reference.closed) return this.finish(s);
    const rec = this.received;
    await this.until(() => rec.closed || (!reference.closed && rec.data.length >= reference.data.length), 10000);
    if (!rec.closed) await sleep(100);
  }

  close(): void {
    this.socket.destroy();
  }
}

function hexAround(b: Buffer, at: number): string {
  const from = Math.max(0, at - 24);
  const to = Math.min(b.length, at + 40);
  return `[${from}..${to}) ${b.subarray(from, to).toString('hex')} ${JSON.stringify(b.subarray(from, to).toString('latin1'))}`;
}

/** Asserts that Keydra received what Redis did (bytes and close), with the seed and a hex excerpt on failure. */
function compare(what: string, seed: number, request: Buffer, expected: Received, actual: Received): void {
  const a = expected.data;
  const b = actual.data;
  if (a.equals(b) && expected.closed === actual.closed) return;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  assert.fail(
    [
      `${what}: replies differ (seed ${seed}; replay with PROTOCOL_FUZZ_CASE=${seed})`,
      `  first difference at reply byte ${i} (redis ${a.length} bytes, closed=${expected.closed}; keydra ${b.length} bytes, closed=${actual.closed})`,
      `  redis : ${hexAround(a, i)}`,
      `  keydra: ${hexAround(b, i)}`,
      `  request (${request.length} bytes) starts: ${hexAround(request, 0)}`,
    ].join('\n'),
  );
}

/**
 * Lets the event loop poll the sockets before the next write. A server that closed after an error
 * answers later bytes with a reset, and a write that fails destroys the client socket with the
 * replies still unread in it: reading first sees the close, and Conn.write then sends nothing.
 */
function yieldToReads(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** Sends `chunks` of `bytes` to each connection with random short pauses (the same schedule for both servers). */
async function sendChunks(g: Gen, conns: Conn[], bytes: Buffer, chunks: number[]): Promise<void> {
  let at = 0;
  for (const size of chunks) {
    const piece = bytes.subarray(at, at + size);
    at += size;
    for (const c of conns) c.write(piece);
    if (g.chance(0.15)) await sleep(g.int(1, 3));
    await yieldToReads();
  }
}

/** The two servers a case runs against: [redis, keydra], and the password their clients need (if any). */
interface Pair {
  peers: [Peer, Peer];
  password?: string;
}

function mainPair(): Pair {
  return { peers: [redis as Peer, keydra as Peer] };
}

async function flushAll(pair: Pair = mainPair()): Promise<void> {
  const conns = await Promise.all(pair.peers.map((p) => Conn.open(p.port)));
  const auth = pair.password === undefined ? '' : '+OK\r\n';
  const ok = Buffer.from(`${auth}+OK\r\n`);
  for (const c of conns) {
    if (pair.password !== undefined) c.write(encodeCommand(['AUTH', pair.password]));
    c.write(encodeCommand(['FLUSHALL']));
  }
  await Promise.all(conns.map((c) => c.until(() => c.received.data.equals(ok) || c.received.closed, 5000)));
  for (const c of conns) {
    assert.equal(c.received.data.toString('latin1'), ok.toString('latin1'));
    c.close();
  }
}

/**
 * Runs one single-connection case: the same stream to both servers, after `prefix` (sent in the
 * same chunks). @returns the request size in bytes.
 */
async function oneConnection(
  seed: number,
  opts: StreamOptions,
  pair: Pair = mainPair(),
  prefix: (g: Gen) => Buffer = () => Buffer.alloc(0),
): Promise<number> {
  const g = new Gen(seed);
  const s = g.stream('', opts);
  const head = prefix(g);
  if (head.length > 0) {
    s.bytes = Buffer.concat([head, s.bytes]);
    if (s.lastChunkFrom >= 0) s.lastChunkFrom += head.length;
  }
  await flushAll(pair);
  const [r, k] = await Promise.all(pair.peers.map((p) => Conn.open(p.port)));
  try {
    await sendChunks(g, [r, k], s.bytes, g.chunks(s.bytes.length, s.lastChunkFrom));
    await r.finish(s);
    await k.finishLike(r.received, s);
    if (process.env.PROTOCOL_FUZZ_DUMP) writeFileSync(process.env.PROTOCOL_FUZZ_DUMP, s.bytes);
    compare(`case (ending ${s.ending})`, seed, s.bytes, r.received, k.received);
  } finally {
    r.close();
    k.close();
  }
  return s.bytes.length;
}

/** Two connections per server send their streams alternately, each cut mid-frame. @returns bytes sent per server. */
async function twoConnections(seed: number): Promise<number> {
  const g = new Gen(seed);
  const streams = [
    g.stream('a:', { big: true, fatalOk: false, chaosOk: false }),
    g.stream('b:', { big: true, fatalOk: false, chaosOk: false }),
  ];
  await flushAll();
  const rs = await Promise.all([Conn.open((redis as Peer).port), Conn.open((redis as Peer).port)]);
  const ks = await Promise.all([Conn.open((keydra as Peer).port), Conn.open((keydra as Peer).port)]);
  try {
    const plans = streams.map((s) => g.chunks(s.bytes.length, -1));
    const at = [0, 0];
    const idx = [0, 0];
    while (idx[0] < plans[0].length || idx[1] < plans[1].length) {
      for (let j = 0; j < 2; j++) {
        if (idx[j] >= plans[j].length) continue;
        const size = plans[j][idx[j]++];
        const piece = streams[j].bytes.subarray(at[j], at[j] + size);
        at[j] += size;
        rs[j].write(piece);
        ks[j].write(piece);
        await yieldToReads();
      }
    }
    await Promise.all([...rs.map((c, j) => c.finish(streams[j])), ...ks.map((c, j) => c.finish(streams[j]))]);
    for (let j = 0; j < 2; j++) compare(`two connections, connection ${j}`, seed, streams[j].bytes, rs[j].received, ks[j].received);
  } finally {
    for (const c of [...rs, ...ks]) c.close();
  }
  return streams[0].bytes.length + streams[1].bytes.length;
}

test('protocol fuzz: valid multibulk and inline streams, split at random points', async (t) => {
  if (!redis) return t.skip(NO_REDIS);
  let bytes = 0;
  const list = seeds(SEED, 300);
  for (const seed of list) bytes += await oneConnection(seed, { big: seed % 3 === 0, fatalOk: false, chaosOk: false });
  t.diagnostic(`${list.length} cases, ${bytes} bytes per server`);
});

test('protocol fuzz: protocol errors mid-pipeline close the connection after the error reply', async (t) => {
  if (!redis) return t.skip(NO_REDIS);
  let bytes = 0;
  const list = seeds(SEED + 10000, 250);
  for (const seed of list) bytes += await oneConnection(seed, { big: seed % 4 === 0, fatalOk: true, chaosOk: false });
  t.diagnostic(`${list.length} cases, ${bytes} bytes per server`);
});

test('protocol fuzz: mismatched data lengths (stream end found by silence)', async (t) => {
  if (!redis) return t.skip(NO_REDIS);
  let bytes = 0;
  const list = seeds(SEED + 20000, 16);
  for (const seed of list) bytes += await oneConnection(seed, { big: false, fatalOk: true, chaosOk: true });
  t.diagnostic(`${list.length} cases, ${bytes} bytes per server`);
});

test('protocol fuzz: two connections interleave partial frames', async (t) => {
  if (!redis) return t.skip(NO_REDIS);
  let bytes = 0;
  const list = seeds(SEED + 30000, 100);
  for (const seed of list) bytes += await twoConnections(seed);
  t.diagnostic(`${list.length} cases, ${bytes} bytes per server`);
});

/** Inputs on which Keydra differed from Redis 7.0 (found by this fuzzer), as fixed cases. */
const REGRESSIONS: [string, Ending][] = [
  // An empty command name as a connection's first command crashed the server (the dispatcher's
  // last-command cache started as '' with no command).
  ['*1\r\n$0\r\n\r\n', 'sentinel'],
  ['"" a\r\n', 'sentinel'],
  ['*1\r\n$-0\r\nPING\r\n', 'close'],
  // Counts and lengths are parsed by string2ll: no leading zeros, no "-0", 19 digits allowed.
  ['*01\r\n$4\r\nPING\r\n', 'close'],
  ['*1\r\n$04\r\nPING\r\n', 'close'],
  ['*-0\r\n', 'close'],
  ['*-1234567890123456789\r\n', 'sentinel'],
  ['*-9223372036854775809\r\n', 'close'],
  // Redis 7.0 accepts multibulk counts up to INT_MAX (then waits for the arguments).
  ['*1048577\r\n$4\r\nPING\r\n', 'quiet'],
  ['*2147483648\r\n', 'close'],
  // Line ends are found with strchr: a NUL byte before the CR/LF hides it (Redis waits).
  ['PI\0NG\r\nPING\r\n', 'quiet'],
  ['*1\0\r\n$4\r\nPING\r\n', 'quiet'],
  ['*1\r\n\0$4\r\nPING\r\n', 'quiet'],
  // The bulk header line must be complete before its '$' is checked.
  ['*1\r\nX4', 'quiet'],
  // Unknown command and subcommand errors print arguments as C strings (up to a NUL byte).
  ['*3\r\n$3\r\nx\0y\r\n$3\r\na\0b\r\n$0\r\n\r\n', 'sentinel'],
  ['*2\r\n$6\r\nCONFIG\r\n$3\r\na\0b\r\n*4\r\n$6\r\nXGROUP\r\n$3\r\nc\0d\r\n$1\r\nk\r\n$1\r\ng\r\n', 'sentinel'],
];

/**
 * A client that does not read its replies for a while: Keydra's writes back up and it stops
 * reading the socket, keeping unparsed bytes (copied out of the shared read buffer) until the
 * client drains. @returns bytes sent per server.
 */
async function slowReader(seed: number): Promise<number> {
  const g = new Gen(seed);
  const parts: Buffer[] = [];
  for (let i = g.int(150, 250); i > 0; i--) {
    const big = Buffer.alloc(g.int(20000, 70000), g.int(0, 255));
    const x = g.r();
    if (x < 0.4) parts.push(encodeCommand([g.pick(['ECHO', 'echo']), big]));
    else if (x < 0.6) parts.push(encodeCommand(['SET', `k${g.int(0, 2)}`, big]));
    else if (x < 0.8) parts.push(encodeCommand(['GET', `k${g.int(0, 2)}`]));
    else parts.push(encodeCommand(g.command('')));
  }
  const token = `end-${seed}`;
  parts.push(encodeCommand(['ECHO', token]));
  const s: Stream = {
    bytes: Buffer.concat(parts),
    ending: 'sentinel',
    sentinel: Buffer.from(`$${token.length}\r\n${token}\r\n`),
    lastChunkFrom: -1,
  };
  await flushAll();
  const [r, k] = await Promise.all([Conn.open((redis as Peer).port), Conn.open((keydra as Peer).port)]);
  try {
    r.socket.pause();
    k.socket.pause();
    await sendChunks(g, [r, k], s.bytes, g.chunks(s.bytes.length, -1));
    await sleep(50);
    r.socket.resume();
    k.socket.resume();
    await Promise.all([r.finish(s), k.finish(s)]);
    compare('slow reader', seed, s.bytes, r.received, k.received);
  } finally {
    r.close();
    k.close();
  }
  return s.bytes.length;
}

test('protocol fuzz: a client that reads its replies late', async (t) => {
  if (!redis) return t.skip(NO_REDIS);
  let bytes = 0;
  const list = seeds(SEED + 40000, 4);
  for (const seed of list) bytes += await slowReader(seed);
  t.diagnostic(`${list.length} cases, ${bytes} bytes per server`);
});

test('protocol fuzz: regressions', async (t) => {
  if (!redis) return t.skip(NO_REDIS);
  for (const [input, ending] of REGRESSIONS) {
    const token = 'end-of-regression';
    const bytes = Buffer.concat([Buffer.from(input, 'latin1'), ending === 'sentinel' ? encodeCommand(['ECHO', token]) : Buffer.alloc(0)]);
    const stream: Stream = { bytes, ending, sentinel: Buffer.from(`$${token.length}\r\n${token}\r\n`), lastChunkFrom: -1 };
    const conns = await Promise.all([Conn.open((redis as Peer).port), Conn.open((keydra as Peer).port)]);
    try {
      for (const c of conns) c.write(bytes);
      await conns[0].finish(stream);
      await conns[1].finishLike(conns[0].received, stream);
      compare(`regression ${JSON.stringify(input)}`, 0, bytes, conns[0].received, conns[1].received);
    } finally {
      for (const c of conns) c.close();
    }
  }
});

test('protocol fuzz: clients before AUTH (requirepass: limits of 10 arguments and 16384-byte arguments)', async (t) => {
  if (!redis) return t.skip(NO_REDIS);
  const password = 'fuzz-pw';
  const r = await startRedis(['--requirepass', password]);
  const k = await startKeydra({ requirepass: password });
  try {
    const pair: Pair = { peers: [r as Peer, k], password };
    let bytes = 0;
    const list = seeds(SEED + 50000, 60);
    for (const seed of list) {
      // No AUTH, a wrong password, or the right one: later frames are parsed without the limits.
      const beforeSentinel = encodeCommand(['AUTH', password]);
      const opts = { big: false, fatalOk: true, chaosOk: false, beforeSentinel, unauth: true };
      bytes += await oneConnection(seed, opts, pair, (g) =>
        g.pick([Buffer.alloc(0), encodeCommand(['AUTH', 'wrong']), encodeCommand(['AUTH', password]), Buffer.from(`AUTH ${password}\r\n`)]),
      );
    }
    t.diagnostic(`${list.length} cases, ${bytes} bytes per server`);
  } finally {
    await k.close();
    await r?.close();
  }
});
