import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReplyWriter } from '../../../src/protocol/reply.js';

describe('ReplyWriter pending()/written() (flush without copying)', () => {
  it('pending() is a view of the encoded bytes', () => {
    const w = new ReplyWriter(64);
    w.ok();
    w.bulk('abc');
    w.integer(42);
    assert.equal(w.pending().toString('latin1'), '+OK\r\n$3\r\nabc\r\n:42\r\n');
  });

  it('written(false) reuses the buffer; later replies start at offset 0', () => {
    const w = new ReplyWriter(64);
    const buf = w.buf;
    w.bulk('one');
    w.written(false);
    assert.equal(w.pos, 0);
    assert.equal(w.buf, buf);
    w.bulk('two');
    assert.equal(w.pending().toString('latin1'), '$3\r\ntwo\r\n');
  });

  it('written(true) leaves the handed-out bytes untouched', () => {
    const w = new ReplyWriter(64);
    w.bulk('first');
    const out = w.pending();
    w.written(true);
    w.bulk('second reply overwriting nothing');
    assert.equal(out.toString('latin1'), '$5\r\nfirst\r\n');
    assert.equal(w.pending().toString('latin1'), '$32\r\nsecond reply overwriting nothing\r\n');
  });

  it('a grown buffer is reused by the next flushes up to maxKeep, and trim() gives it back once they use less than half', () => {
    const w = new ReplyWriter(64);
    w.bulk('x'.repeat(200_000));
    const grown = w.buf;
    assert.ok(grown.length > 64 * 1024);
    w.written(false);
    assert.equal(w.buf, grown, 'kept for the next batch of big replies');
    w.bulk('x'.repeat(200_000));
    assert.equal(w.buf, grown, 'no regrowth');
    w.written(true);
    assert.notEqual(w.buf, grown, 'the socket keeps the written one');
    assert.equal(w.buf.length, grown.length);
    // Flushes of the period needed 200 KB: trim keeps it; then a quiet period gives it back.
    w.trim();
    assert.equal(w.buf.length, grown.length);
    w.bulk('small');
    w.written(false);
    w.trim();
    assert.equal(w.buf.length, 64 * 1024);
    // Over maxKeep the buffer is not kept.
    w.bulk('x'.repeat(2_000_000));
    w.written(false);
    assert.equal(w.buf.length, 64 * 1024);
    // Pending bytes are never trimmed away.
    w.bulk('x'.repeat(100_000));
    const before = w.buf.length;
    w.trim();
    assert.equal(w.buf.length, before);
    assert.equal(w.pending().length > 100_000, true);
  });
});

describe('RespParser argv ownership (hot-path allocation changes)', () => {
  it('each command gets its own argv array of exactly its length', async () => {
    const { RespParser } = await import('../../../src/protocol/parser.js');
    const p = new RespParser({ maxBulkLen: 512 * 1024 * 1024, maxQueryBuffer: 1024 * 1024 * 1024 });
    p.feed(Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n\xff\x00\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n', 'latin1'));
    const a = p.next();
    const b = p.next();
    assert.deepEqual(a, ['SET', 'k', '\xff\x00']);
    assert.deepEqual(b, ['GET', 'k']);
    assert.notEqual(a, b);
    assert.equal(a?.length, 3);
    assert.equal(p.next(), null);
    assert.deepEqual(a, ['SET', 'k', '\xff\x00']);
  });
});

describe('ReplyWriter number and short-string fast paths', () => {
  it('integer() writes the same decimal text as String() for every magnitude and sign', () => {
    const values: (number | bigint)[] = [0, -0, 1, 9, 10, 99, 100, 12345, 99999, 100000, 999999999, 1000000000];
    values.push(2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, -1, -10, -12345, -(2 ** 31), Number.MAX_SAFE_INTEGER);
    values.push(Number.MIN_SAFE_INTEGER, 2n ** 63n - 1n, -(2n ** 63n));
    for (let i = 1; i < 1e15; i *= 7) values.push(i, i - 1, -i);
    const w = new ReplyWriter(16);
    let expected = '';
    for (const v of values) {
      w.integer(v);
      expected += `:${String(v)}\r\n`;
    }
    assert.equal(w.pending().toString('latin1'), expected);
  });

  it('array and bulk headers carry exact lengths around the short-string threshold', () => {
    const w = new ReplyWriter(16);
    let expected = '';
    for (const n of [0, 1, 9, 10, 31, 32, 33, 100, 1000, 70000]) {
      let s = '';
      for (let i = 0; i < n; i++) s += String.fromCharCode((i * 37 + n) & 255);
      w.arrayLen(n);
      w.bulk(s);
      expected += `*${n}\r\n$${n}\r\n${s}\r\n`;
    }
    assert.equal(w.pending().toString('latin1'), expected);
  });

  it('raw() copies shared replies of any size', () => {
    const w = new ReplyWriter(8);
    const big = Buffer.from(`+${'y'.repeat(40)}\r\n`);
    w.raw(Buffer.from('+OK\r\n'));
    w.raw(big);
    w.raw(Buffer.from('$-1\r\n'));
    assert.equal(w.pending().toString('latin1'), `+OK\r\n${big.toString('latin1')}$-1\r\n`);
  });
});

describe('RespParser command-name reuse and header numbers', () => {
  const limits = { maxBulkLen: 512 * 1024 * 1024, maxQueryBuffer: 1024 * 1024 * 1024 };
  const enc = (argv: string[]) => `*${argv.length}\r\n${argv.map((a) => `$${a.length}\r\n${a}\r\n`).join('')}`;

  it('argv[0] is right when consecutive names share a length or differ by one byte', async () => {
    const { RespParser } = await import('../../../src/protocol/parser.js');
    const p = new RespParser(limits);
    const cmds = [
      ['GET', 'a'],
      ['GET', 'b'],
      ['SET', 'a', 'v'],
      ['get', 'a'],
      ['GEt', 'a'],
      ['\xff\x00T', 'x'],
      ['GETDEL', 'a'],
      ['GET', 'c'],
    ];
    p.feed(Buffer.from(cmds.map(enc).join(''), 'latin1'));
    for (const c of cmds) assert.deepEqual(p.next(), c);
    assert.equal(p.next(), null);
  });

  it('multibulk and bulk headers parse when split at every byte', async () => {
    const { RespParser } = await import('../../../src/protocol/parser.js');
    const argv = ['MSET', 'k'.repeat(1234), 'v', '', 'x'.repeat(10)];
    const bytes = Buffer.from(enc(argv), 'latin1');
    for (let cut = 1; cut < bytes.length; cut++) {
      const p = new RespParser(limits);
      p.feed(bytes.subarray(0, cut));
      const first = p.next();
      if (first === null) {
        assert.equal(p.error, null);
        p.feed(bytes.subarray(cut));
        assert.deepEqual(p.next(), argv);
      } else {
        assert.deepEqual(first, argv);
      }
    }
  });

  it('rejects non-numeric, empty and over-long header numbers', async () => {
    const { RespParser } = await import('../../../src/protocol/parser.js');
    const cases: [string, string][] = [
      ['*1x\r\n', 'ERR Protocol error: invalid multibulk length'],
      ['*\r\n', 'ERR Protocol error: invalid multibulk length'],
      ['*1\r\n$\r\n', 'ERR Protocol error: invalid bulk length'],
      ['*1\r\n$-\r\n', 'ERR Protocol error: invalid bulk length'],
      ['*1\r\n$1 \r\n', 'ERR Protocol error: invalid bulk length'],
      [`*1\r\n$${'1'.repeat(19)}\r\n`, 'ERR Protocol error: invalid bulk length'],
    ];
    for (const [input, msg] of cases) {
      const p = new RespParser(limits);
      p.feed(Buffer.from(input, 'latin1'));
      assert.equal(p.next(), null, input);
      assert.equal(p.error, msg, input);
    }
  });
});

describe('ReplyWriter output limits and silenced replies', () => {
  it('overflow is asked when the buffer must grow and again at limitAt; false drops the output', () => {
    const w = new ReplyWriter(64);
    const asked: number[] = [];
    let allow = true;
    w.overflow = (size) => {
      asked.push(size);
      w.limitAt = size + 16;
      return allow;
    };
    w.raw(Buffer.alloc(70)); // the buffer grows (64 -> 128): asked
    assert.deepEqual(asked, [70]);
    w.raw(Buffer.alloc(10)); // 80, below limitAt 86: not asked
    assert.deepEqual(asked, [70]);
    w.raw(Buffer.alloc(10)); // 90, past limitAt though the buffer has room: asked
    assert.deepEqual(asked, [70, 90]);
    allow = false;
    for (let i = 0; i < 50; i++) w.raw(Buffer.alloc(30));
    // Refused: the output is dropped, the buffer never grows again.
    assert.equal(w.buf.length, 128);
    assert.ok(w.pos <= 128);
  });

  it('silenceSince keeps the pushes written since a mark and drops the rest', () => {
    const w = new ReplyWriter(256);
    w.resp = 3;
    w.ok(); // before the mark: kept
    w.pushSpans = [];
    const mark = w.pos;
    w.integer(1); // the silenced command's reply
    w.pushLen(2);
    w.bulk('message');
    w.bulk('hello');
    w.pushEnd();
    w.bulk('reply');
    w.pushLen(1);
    w.bulk('second');
    w.pushEnd();
    w.silenceSince(mark);
    assert.equal(w.pending().toString('latin1'), '+OK\r\n>2\r\n$7\r\nmessage\r\n$5\r\nhello\r\n>1\r\n$6\r\nsecond\r\n');
    assert.deepEqual(w.pushSpans, []);
  });

  it('without recorded spans silenceSince drops everything since the mark', () => {
    const w = new ReplyWriter(64);
    w.ok();
    const mark = w.pos;
    w.pushLen(1);
    w.bulk('not recorded');
    w.pushEnd();
    w.silenceSince(mark);
    assert.equal(w.pending().toString('latin1'), '+OK\r\n');
  });
});
