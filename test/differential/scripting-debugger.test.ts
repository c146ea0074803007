/**
 * The Lua debugger's protocol (SCRIPT DEBUG SYNC and YES, then EVAL) over raw sockets, against a
 * real redis-server 7.0: the same request bytes go to both, and every reply is compared byte for
 * byte (stop logs, source listings, print/eval/redis/break/maxlen/trace/help output, Redis's
 * forgiving debugger parser and its "protocol error", "<endsession>" then the EVAL's reply then
 * the connection closed). Then the modes' guarantees side by side: SYNC keeps the script's writes
 * and other clients wait until the session ends; YES loses its writes and other clients are
 * served meanwhile; a client leaving mid-session lets the script run to its end.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import { keydraAndRedis, NO_REDIS } from '../helpers/servers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A multi-bulk request. */
function enc(...args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a, 'latin1') : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** End of the complete RESP2 value at `p` in `b`, or -1 if incomplete. */
function valueEnd(b: Buffer, p: number): number {
  const e = b.indexOf('\r\n', p);
  if (e < 0) return -1;
  const t = b[p];
  const n = Number(b.toString('latin1', p + 1, e));
  if (t === 0x24) return n < 0 ? e + 2 : e + 2 + n + 2 <= b.length ? e + 2 + n + 2 : -1;
  if (t === 0x2a) {
    let q = e + 2;
    for (let i = 0; i < n; i++) {
      q = valueEnd(b, q);
      if (q < 0) return -1;
    }
    return q;
  }
  return e + 2;
}

/** A connection that sends a request and reads what comes back: whole replies, then a quiet 40 ms, or EOF. */
class Conn {
  private buf = Buffer.alloc(0);
  private eof = false;
  private wake: (() => void) | null = null;
  private constructor(private readonly s: net.Socket) {
    s.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake?.();
    });
    s.on('close', () => {
      this.eof = true;
      this.wake?.();
    });
    s.on('error', () => {});
  }

  static connect(port: number): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new Conn(s)));
      s.once('error', reject);
    });
  }

  private complete(): boolean {
    let p = 0;
    while (p < this.buf.length) {
      p = valueEnd(this.buf, p);
      if (p < 0) return false;
    }
    return this.buf.length > 0;
  }

  /** Sends `req` (nothing for null) and returns the bytes received, with "<EOF>" when the server closed. */
  async send(req: Buffer | null): Promise<string> {
    if (req !== null && !this.eof) this.s.write(req);
    // A request cut short (not ending in LF) gets no reply: waited for briefly.
    const deadline = Date.now() + (req !== null && req[req.length - 1] !== 10 ? 300 : 5000);
    for (;;) {
      if (this.eof) break;
      if (this.complete()) {
        const len = this.buf.length;
        await sleep(40);
        if (this.buf.length === len && this.complete()) break;
        continue;
      }
      if (Date.now() > deadline) break;
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 50);
      });
      this.wake = null;
    }
    const out = this.buf.toString('latin1') + (this.eof ? '<EOF>' : '');
    this.buf = Buffer.alloc(0);
    return out;
  }

  /** Sends bytes without waiting for anything. */
  write(req: Buffer): void {
    this.s.write(req);
  }

  close(): void {
    this.s.destroy();
  }
}

/** Runs the requests on a fresh connection; @returns each request's received bytes. */
async function transcript(port: number, reqs: Buffer[]): Promise<string[]> {
  const c = await Conn.connect(port);
  const out: string[] = [];
  try {
    for (const r of reqs) out.push(await c.send(r));
  } finally {
    c.close();
  }
  return out;
}

const SCRIPT = [
  "redis.call('set','k','v')",
  "local t = redis.call('hgetall','nohash')",
  "redis.pcall('nocmd')",
  "redis.pcall('incr','k')",
  'redis.breakpoint()',
  'local x = 5',
  "return {1,'a',redis.call('get','k')}",
  '',
].join('\n');
const VARS = "local a = 1\nlocal b = {1,2,'x'}\nredis.call('set','k',a)\nredis.debug('hi', b)\nreturn redis.call('get','k')\n";
const s = (...a: string[]) => enc(...a);

/** Debugger conversations: the requests after SCRIPT DEBUG <mode>. */
const CASES: Record<string, Buffer[]> = {
  'step to the end (redis.call logs, errors, redis.breakpoint)': [s('EVAL', SCRIPT, '0'), ...Array(9).fill(s('s')), s('PING')],
  'print, list, break, eval, redis, trace, maxlen, unknown command': [
    s('EVAL', VARS, '0'),
    s('s'),
    s('p'),
    s('s'),
    s('print', 'b'),
    s('list'),
    s('b', '5'),
    s('b'),
    s('e', 'a+1'),
    s('redis', 'incr', 'k'),
    s('t'),
    s('maxlen', '0'),
    s('hello\0world'),
    s('c'),
  ],
  abort: [s('EVAL', SCRIPT, '0'), s('s'), s('abort'), s('PING')],
  'continue to redis.breakpoint(), then to the end': [s('EVAL', SCRIPT, '0'), s('c'), s('c'), s('PING')],
  'inline command: protocol error': [s('EVAL', SCRIPT, '0'), Buffer.from('PING\r\n')],
  'empty argument: protocol error': [s('EVAL', SCRIPT, '0'), Buffer.from('*1\r\n$0\r\n\r\n')],
  'a command in pieces, then one with a trailing pipelined one (dropped)': [
    s('EVAL', VARS, '0'),
    Buffer.from('*1\r\n$1\r'),
    Buffer.from('\ns\r\n'),
    Buffer.concat([s('p', 'a'), s('whole')]),
    s('c'),
  ],
  'compile error': [s('EVAL', 'return +', '0'), s('PING')],
  'numkeys error': [s('EVAL', 'return 1', '5'), s('PING')],
  EVALSHA: [s('EVALSHA', 'a'.repeat(40), '0'), s('EVALSHA', 'a', '0'), s('SCRIPT', 'DEBUG', 'NO'), s('EVAL', 'return 1', '0')],
  'help, list, break and eval forms, redis errors, print': [
    s('EVAL', 'return 1', '0'),
    s('h'),
    s('list', '1', '0'),
    s('b', '-3'),
    s('b', 'x', '2', '100', '0'),
    s('maxlen', '10'),
    s('e', '{1,2,{3,nil,x=1}}'),
    s('e', 'return 1.5, 2'),
    s('eval', 'error("boom")'),
    s('r', 'set', 'a'),
    s('r', 'get', 'nokey'),
    s('r', 'ping'),
    s('r'),
    s('p', 'KEYS'),
    s('p', 'nope'),
    s('p'),
    s('s'),
  ],
  'number formats and trimming': [
    s('EVAL', 'return 1', '2', 'k1', 'k2', 'a1'),
    s('e', '1e20'),
    s('e', '1/3'),
    s('e', '-0.0001'),
    s('e', '123456789'),
    s('e', '1e-5'),
    s('e', '100000'),
    s('e', '1/0'),
    s('p', 'ARGV'),
    s('maxlen', '70'),
    s('e', 'string.rep("x",100)'),
    s('e', 'string.rep("y",100)'),
    s('s'),
  ],
  'a loop with a breakpoint and redis.debug': [
    s('EVAL', 'local n = 0\nfor i = 1, 3 do\n  n = n + i\n  redis.debug(i, n)\nend\nreturn n\n', '0'),
    s('b', '4'),
    s('c'),
    s('p', 'n'),
    s('c'),
    s('b', '-4'),
    s('c'),
  ],
};

describe('Lua debugger protocol, byte for byte against redis-server', () => {
  const servers = keydraAndRedis();

  for (const mode of ['SYNC', 'YES']) {
    for (const [name, reqs] of Object.entries(CASES)) {
      it(`${mode}: ${name}`, async (t) => {
        const { k, r } = servers;
        if (r === null) return t.skip(NO_REDIS);
        const all = [s('SCRIPT', 'DEBUG', mode), ...reqs];
        const got = await transcript(k.port, all);
        const want = await transcript(r.port, all);
        assert.deepEqual(got, want);
        // Not vacuous: the session started (a stop was logged).
        if (reqs[0].includes('EVAL\r\n') && !name.includes('error')) assert.match(want[1], /Stopped at 1/);
      });
    }
  }

  it('SCRIPT DEBUG outside a pipeline, its syntax error, redis.debug/redis.breakpoint outside a session', async (t) => {
    const { k, r } = servers;
    if (r === null) return t.skip(NO_REDIS);
    const reqs = [
      Buffer.concat([s('PING'), s('SCRIPT', 'DEBUG', 'YES')]),
      s('MULTI'),
      s('SCRIPT', 'DEBUG', 'SYNC'),
      s('EXEC'),
      s('SCRIPT', 'DEBUG', 'maybe'),
      s('EVAL', "redis.debug('x'); return redis.breakpoint()", '0'),
    ];
    assert.deepEqual(await transcript(k.port, reqs), await transcript(r.port, reqs));
  });

  /** What a second client sees while a session waits at its first stop, and the data after. */
  async function guarantees(port: number, mode: string): Promise<unknown[]> {
    const admin = await RawClient.connect(port);
    await admin.call('FLUSHALL');
    await admin.call('SET', 'k', 'before');
    const dbg = await Conn.connect(port);
    const obs: unknown[] = [];
    await dbg.send(s('SCRIPT', 'DEBUG', mode));
    obs.push(await dbg.send(s('EVAL', "redis.call('set','k','during')\nreturn redis.call('get','k')", '0')));
    // Another client meanwhile: served at once (YES) or only after the session (SYNC).
    let early = false;
    const other = admin.call('GET', 'k').then((v) => {
      early = true;
      return v;
    });
    await sleep(200);
    obs.push(['served during the session', early]);
    obs.push(await dbg.send(s('c')));
    obs.push(['other client got', await other]);
    obs.push(['after', await admin.call('GET', 'k')]);
    dbg.close();
    admin.close();
    return obs;
  }

  for (const mode of ['SYNC', 'YES']) {
    it(`${mode}: other clients and the dataset during and after the session`, async (t) => {
      const { k, r } = servers;
      if (r === null) return t.skip(NO_REDIS);
      const got = await guarantees(k.port, mode);
      assert.deepEqual(got, await guarantees(r.port, mode));
      // The modes differ as documented: SYNC blocks others and keeps writes, YES neither.
      assert.deepEqual(got[1], ['served during the session', mode === 'YES']);
      assert.deepEqual(got[4], ['after', mode === 'YES' ? 'before' : 'during']);
    });
  }

  for (const mode of ['SYNC', 'YES']) {
    it(`${mode}: a command sent right behind the EVAL (before its first stop is read) is run at that stop`, async (t) => {
      const { k, r } = servers;
      if (r === null) return t.skip(NO_REDIS);
      const run = async (port: number) => {
        const c = await Conn.connect(port);
        await c.send(s('SCRIPT', 'DEBUG', mode));
        c.write(s('EVAL', 'local a = 1\nlocal b = 2\nreturn a + b', '0'));
        await sleep(15);
        c.write(s('s'));
        await sleep(400);
        const out = await c.send(null);
        c.close();
        return out;
      };
      const got = await run(k.port);
      assert.equal(got, await run(r.port));
      assert.match(got, /Stopped at 2/);
    });
  }

  it('SYNC: the client leaving at a stop lets the script run to its end', async (t) => {
    const { k, r } = servers;
    if (r === null) return t.skip(NO_REDIS);
    const run = async (port: number) => {
      const admin = await RawClient.connect(port);
      await admin.call('DEL', 'gone');
      const dbg = await Conn.connect(port);
      await dbg.send(s('SCRIPT', 'DEBUG', 'SYNC'));
      const stop = await dbg.send(s('EVAL', "redis.breakpoint()\nredis.call('set','gone','yes')\nreturn 1", '0'));
      dbg.close();
      const v = await admin.call('GET', 'gone');
      admin.close();
      return [stop, v];
    };
    const got = await run(k.port);
    assert.deepEqual(got, await run(r.port));
    assert.equal(got[1], 'yes');
  });
});
