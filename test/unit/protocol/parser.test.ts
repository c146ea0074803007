import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeCommand } from '../../../src/client/rawClient.js';
import { latin1String, RespParser, splitArgs } from '../../../src/protocol/parser.js';

const limits = { maxBulkLen: 512 * 1024 * 1024, maxQueryBuffer: 1024 * 1024 * 1024 };

function parseAll(p: RespParser): string[][] {
  const out: string[][] = [];
  for (let a = p.next(); a !== null; a = p.next()) out.push(a);
  return out;
}

/** Feeds input whole, then byte by byte, and returns both results (which must agree). */
function both(input: Buffer): { whole: string[][]; bytes: string[][]; error: string | null } {
  const p1 = new RespParser(limits);
  p1.feed(input);
  const whole = parseAll(p1);
  const p2 = new RespParser(limits);
  const bytes: string[][] = [];
  for (let i = 0; i < input.length; i++) {
    p2.feed(input.subarray(i, i + 1));
    bytes.push(...parseAll(p2));
  }
  assert.equal(p2.error, p1.error);
  return { whole, bytes, error: p1.error };
}

describe('RespParser', () => {
  it('parses multibulk commands whole and byte by byte', () => {
    const input = Buffer.concat([encodeCommand(['SET', 'key', 'value']), encodeCommand(['GET', 'key']), encodeCommand(['PING'])]);
    const { whole, bytes } = both(input);
    const expected = [['SET', 'key', 'value'], ['GET', 'key'], ['PING']];
    assert.deepEqual(whole, expected);
    assert.deepEqual(bytes, expected);
  });

  it('round-trips every byte value 0..255 in keys and values', () => {
    const all = Buffer.alloc(256);
    for (let i = 0; i < 256; i++) all[i] = i;
    const { whole, bytes } = both(encodeCommand(['SET', all, Buffer.concat([all, all])]));
    for (const argvs of [whole, bytes]) {
      assert.equal(argvs.length, 1);
      assert.deepEqual(Buffer.from(argvs[0][1], 'latin1'), all);
      assert.deepEqual(Buffer.from(argvs[0][2], 'latin1'), Buffer.concat([all, all]));
    }
  });

  it('parses 100k pipelined commands from one write', () => {
    const one = encodeCommand(['INCR', 'counter']);
    const input = Buffer.concat(Array.from({ length: 100_000 }, () => one));
    const p = new RespParser(limits);
    p.feed(input);
    const out = parseAll(p);
    assert.equal(out.length, 100_000);
    assert.deepEqual(out[99_999], ['INCR', 'counter']);
    assert.equal(p.pending, 0);
  });

  it('parses a large bulk string delivered in many chunks', () => {
    const big = Buffer.alloc(1024 * 1024, 0x61);
    const input = encodeCommand(['SET', 'k', big]);
    const p = new RespParser(limits);
    const out: string[][] = [];
    for (let i = 0; i < input.length; i += 1000) {
      p.feed(input.subarray(i, i + 1000));
      out.push(...parseAll(p));
    }
    assert.equal(out.length, 1);
    assert.equal(out[0][2].length, big.length);
  });

  it('parses inline commands with quotes and escapes', () => {
    const { whole, bytes } = both(Buffer.from('PING\r\nSET "a b" \'c d\'\nECHO "\\x41\\n"\r\n\r\n  \r\n'));
    const expected = [['PING'], ['SET', 'a b', 'c d'], ['ECHO', 'A\n']];
    assert.deepEqual(whole, expected);
    assert.deepEqual(bytes, expected);
  });

  it('skips empty and negative multibulk counts', () => {
    const { whole } = both(Buffer.from('*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n'));
    assert.deepEqual(whole, [['PING']]);
  });

  const errors: [string, string][] = [
    ['*abc\r\n', 'ERR Protocol error: invalid multibulk length'],
    ['*2147483648\r\n', 'ERR Protocol error: invalid multibulk length'],
    ['*01\r\n$4\r\nPING\r\n', 'ERR Protocol error: invalid multibulk length'],
    ['*-0\r\n', 'ERR Protocol error: invalid multibulk length'],
    ['*1\r\n$04\r\nPING\r\n', 'ERR Protocol error: invalid bulk length'],
    ['*1\r\n$-0\r\n\r\n', 'ERR Protocol error: invalid bulk length'],
    ['*1\r\n+foo\r\n', "ERR Protocol error: expected '$', got '+'"],
    ['*1\r\n$-5\r\n', 'ERR Protocol error: invalid bulk length'],
    ['*1\r\n$x\r\n', 'ERR Protocol error: invalid bulk length'],
    ['*1\r\n$600000000\r\n', 'ERR Protocol error: invalid bulk length'],
    ['SET "abc\r\n', 'ERR Protocol error: unbalanced quotes in request'],
    ['SET "abc"x\r\n', 'ERR Protocol error: unbalanced quotes in request'],
  ];
  for (const [input, err] of errors) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      const { whole, error } = both(Buffer.from(input));
      assert.deepEqual(whole, []);
      assert.equal(error, err);
    });
  }

  it('waits on counts up to INT_MAX, on a NUL before a line end and on a bulk line without its CR (Redis 7.0)', () => {
    for (const input of ['*2000000\r\n$4\r\nPING\r\n', 'PI\0NG\r\n', '*1\0\r\n$4\r\nPING\r\n', '*1\r\nX4']) {
      const { whole, error } = both(Buffer.from(input, 'latin1'));
      assert.deepEqual(whole, [], input);
      assert.equal(error, null, input);
    }
  });

  it('rejects an inline request over 64KB without newline', () => {
    const p = new RespParser(limits);
    p.feed(Buffer.alloc(70 * 1024, 0x61));
    assert.equal(p.next(), null);
    assert.equal(p.error, 'ERR Protocol error: too big inline request');
  });

  it('rejects a multibulk header over 64KB without CR', () => {
    const p = new RespParser(limits);
    p.feed(Buffer.concat([Buffer.from('*'), Buffer.alloc(70 * 1024, 0x31)]));
    assert.equal(p.next(), null);
    assert.equal(p.error, 'ERR Protocol error: too big mbulk count string');
  });

  it('limits unauthenticated clients as Redis does (its own errors, after the invalid-length checks)', () => {
    const cases: [string, string][] = [
      ['*1\r\n$20000\r\n', 'ERR Protocol error: unauthenticated bulk length'],
      ['*11\r\n', 'ERR Protocol error: unauthenticated multibulk length'],
      ['*1\r\n$600000000\r\n', 'ERR Protocol error: invalid bulk length'],
      ['*3000000000\r\n', 'ERR Protocol error: invalid multibulk length'],
    ];
    for (const [input, err] of cases) {
      const p = new RespParser(limits);
      p.authenticated = false;
      p.feed(Buffer.from(input));
      assert.equal(p.next(), null);
      assert.equal(p.error, err, input);
    }
  });

  it('flags the query buffer limit', () => {
    const p = new RespParser({ maxBulkLen: 512 * 1024 * 1024, maxQueryBuffer: 1024 * 1024 });
    p.feed(Buffer.from('*1\r\n$3000000\r\n'));
    assert.equal(p.next(), null);
    p.feed(Buffer.alloc(2 * 1024 * 1024));
    assert.equal(p.overLimit, true);
  });
});

describe('latin1String', () => {
  it('equals latin1Slice for every length 0..40 and every byte value', () => {
    const buf = Buffer.alloc(300);
    for (let i = 0; i < buf.length; i++) buf[i] = (i * 37 + 11) & 255;
    for (let len = 0; len <= 40; len++) {
      for (let s = 0; s + len <= buf.length; s += 7) {
        const got = latin1String(buf, s, s + len);
        assert.equal(got, buf.latin1Slice(s, s + len));
        assert.equal(Buffer.from(got, 'latin1').equals(buf.subarray(s, s + len)), true);
      }
    }
  });

  it('parses arguments of every length 0..40 holding bytes 0..255', () => {
    const args: Buffer[] = [Buffer.from('SET')];
    for (let len = 0; len <= 40; len++) args.push(Buffer.from(Array.from({ length: len }, (_, i) => (255 - i * 5 - len) & 255)));
    const { whole, bytes } = both(encodeCommand(args));
    const want = args.map((a) => a.toString('latin1'));
    assert.deepEqual(whole, [want]);
    assert.deepEqual(bytes, [want]);
  });
});

describe('splitArgs', () => {
  it('splits like sdssplitargs', () => {
    assert.deepEqual(splitArgs('save ""'), ['save', '']);
    assert.deepEqual(splitArgs('  a\tb  '), ['a', 'b']);
    assert.deepEqual(splitArgs("'it\\'s'"), ["it's"]);
    assert.equal(splitArgs('"open'), null);
  });
});

describe('RespParser.keySpans', () => {
  it('finds the second argument of each whole frame without consuming input', () => {
    const p = new RespParser(limits);
    const input = Buffer.concat([
      encodeCommand(['SET', 'key:1', 'v']),
      encodeCommand(['PING']),
      encodeCommand(['GET', 'k2']),
      encodeCommand(['INCR', 'counter:3']).subarray(0, 12), // a partial frame ends the scan
    ]);
    p.feed(input);
    const out = new Int32Array(64);
    assert.equal(p.keySpans(out), 3);
    assert.equal(p.spanCount, 2);
    const keys = [0, 1].map((k) => p.buffer.toString('latin1', out[2 * k], out[2 * k + 1]));
    assert.deepEqual(keys, ['key:1', 'k2']);
    // Read-only: the parser still yields every command.
    assert.deepEqual(parseAll(p), [['SET', 'key:1', 'v'], ['PING'], ['GET', 'k2']]);
    assert.equal(p.keySpans(out), 0); // the partial frame: nothing whole
  });

  it('stops at inline commands and covers at most out.length / 2 frames', () => {
    const p = new RespParser(limits);
    const frames: Buffer[] = [];
    for (let i = 0; i < 40; i++) frames.push(encodeCommand(['GET', `k${i}`]));
    p.feed(Buffer.concat(frames));
    const out = new Int32Array(8);
    assert.equal(p.keySpans(out), 4);
    assert.equal(p.spanCount, 4);
    const q = new RespParser(limits);
    q.feed(Buffer.from('GET a\r\n'));
    assert.equal(q.keySpans(out), 0);
    assert.deepEqual(parseAll(q), [['GET', 'a']]);
  });

  it("spans MSET's and MGET's every key, a new frame only while there is room for its spans", () => {
    const p = new RespParser(limits);
    p.feed(
      Buffer.concat([
        encodeCommand(['mset', 'a', '1', 'b', '2', 'c', '3']),
        encodeCommand(['MGET', 'd', 'e']),
        encodeCommand(['MSETNX', 'f', '1', 'g', '2']), // not MSET: its first key only
        encodeCommand(['GET', 'h']),
      ]),
    );
    const out = new Int32Array(64);
    const spans = () => Array.from({ length: p.spanCount }, (_, k) => p.buffer.toString('latin1', out[2 * k], out[2 * k + 1]));
    assert.equal(p.keySpans(out), 4);
    assert.deepEqual(spans(), ['a', 'b', 'c', 'd', 'e', 'f', 'h']);
    // Room for 4 spans: the MSET fills 3, the MGET starts (a 4th) and is scanned whole; no third frame.
    const small = new Int32Array(8);
    assert.equal(p.keySpans(small), 2);
    assert.equal(p.spanCount, 4);
    assert.deepEqual(parseAll(p)[0], ['mset', 'a', '1', 'b', '2', 'c', '3']);
  });
});
