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

  it('a grown buffer shrinks back to the keep size', () => {
    const w = new ReplyWriter(64);
    w.bulk('x'.repeat(200_000));
    assert.ok(w.buf.length > 64 * 1024);
    w.written(false);
    assert.equal(w.buf.length, 64 * 1024);
    w.bulk('x'.repeat(200_000));
    w.written(true);
    assert.equal(w.buf.length, 64 * 1024);
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
