/**
 * The replication backlog ring buffer (src/replication/backlog.ts) against a model that keeps the
 * whole stream: after random appends (small, wrapping, larger than the capacity) and resizes,
 * `holds` accepts exactly firstOffset .. newest + 1 and `copyFrom` returns the model's bytes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backlog } from '../../src/replication/backlog.js';
import { ReplicationStream } from '../../src/replication/stream.js';
import { rng } from '../helpers/random.js';

const MIN = 16 * 1024;

/** The whole stream as appended, and the offset of its first byte. */
class Model {
  chunks: Buffer[] = [];
  constructor(readonly start: number) {}
  get all(): Buffer {
    const b = Buffer.concat(this.chunks);
    this.chunks = [b];
    return b;
  }
  get next(): number {
    return this.start + this.all.length;
  }
}

function bytes(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (seed + i * 31) & 0xff;
  return b;
}

/** Asserts the backlog holds the newest min(histlen, capacity) bytes of the model, byte for byte. */
function check(b: Backlog, m: Model): void {
  const all = m.all;
  const newest = m.next - 1;
  assert.equal(b.firstOffset + b.histlen - 1, newest, 'newest offset');
  assert.ok(b.histlen <= b.size);
  assert.equal(b.histlen, Math.min(b.histlen, all.length));
  assert.equal(b.holds(b.firstOffset), true);
  assert.equal(b.holds(newest + 1), true, 'one past the newest byte: an empty continuation');
  assert.equal(b.holds(newest + 2), false);
  assert.equal(b.holds(b.firstOffset - 1), false);
  assert.throws(() => b.copyFrom(b.firstOffset - 1), RangeError);
  assert.throws(() => b.copyFrom(newest + 2), RangeError);
  assert.equal(b.copyFrom(newest + 1).length, 0);
  const step = Math.max(1, Math.floor(b.histlen / 37));
  for (let off = b.firstOffset; off <= newest; off += step) {
    assert.ok(b.copyFrom(off).equals(all.subarray(off - m.start)), `bytes from offset ${off}`);
  }
  if (b.histlen > 0) assert.ok(b.copyFrom(newest).equals(all.subarray(all.length - 1)));
}

describe('replication backlog ring buffer', () => {
  it('starts empty at the given next offset; capacity at least 16 KB', () => {
    const b = new Backlog(100, 501);
    assert.equal(b.size, MIN);
    assert.equal(b.histlen, 0);
    assert.equal(b.firstOffset, 501);
    assert.equal(b.holds(501), true);
    assert.equal(b.holds(500), false);
    assert.equal(b.holds(502), false);
    assert.equal(b.copyFrom(501).length, 0);
  });

  it('fills up to the capacity, then drops the oldest bytes (wraparound)', () => {
    const b = new Backlog(MIN, 1);
    const m = new Model(1);
    const add = (n: number, seed: number): void => {
      const d = bytes(n, seed);
      b.append(d);
      m.chunks.push(d);
      check(b, m);
    };
    add(MIN - 10, 1);
    assert.equal(b.firstOffset, 1);
    add(10, 2); // exactly full
    assert.equal(b.histlen, MIN);
    assert.equal(b.firstOffset, 1);
    add(1, 3); // the first byte drops out
    assert.equal(b.firstOffset, 2);
    add(MIN - 1, 4); // ends exactly at the end of the ring
    add(5000, 5); // wraps
    add(MIN, 6); // exactly the capacity in one append
    add(MIN * 3 + 7, 7); // more than the capacity: only the newest bytes are kept
    assert.equal(b.histlen, MIN);
  });

  it('random appends and resizes match the model', () => {
    const r = rng(42);
    const b = new Backlog(MIN, 1000);
    const m = new Model(1000);
    for (let i = 0; i < 400; i++) {
      const x = r();
      if (x < 0.05) {
        const size = MIN + Math.floor(r() * MIN * 3);
        b.resize(size);
        assert.equal(b.size, size);
      } else {
        const n = x < 0.1 ? Math.floor(r() * MIN * 2) : Math.floor(r() * 3000);
        const d = bytes(n, i);
        b.append(d);
        m.chunks.push(d);
      }
      check(b, m);
    }
  });

  it('resize keeps the newest bytes that fit; a smaller size than 16 KB means 16 KB', () => {
    const b = new Backlog(MIN * 4, 1);
    const m = new Model(1);
    const d = bytes(MIN * 3, 9);
    b.append(d);
    m.chunks.push(d);
    b.resize(MIN * 2); // shrink below histlen
    assert.equal(b.histlen, MIN * 2);
    assert.equal(b.firstOffset, MIN + 1);
    check(b, m);
    b.resize(MIN * 8); // grow: nothing lost, room for more
    assert.equal(b.histlen, MIN * 2);
    const e = bytes(MIN * 5, 11);
    b.append(e);
    m.chunks.push(e);
    assert.equal(b.histlen, MIN * 7);
    check(b, m);
    b.resize(10);
    assert.equal(b.size, MIN);
    assert.equal(b.histlen, MIN);
    check(b, m);
  });
});

describe('replication stream encoding', () => {
  it('feeds RESP arrays with a SELECT when the db changes, into the backlog and the sinks', () => {
    const s = new ReplicationStream(() => MIN);
    const got: Buffer[] = [];
    s.sinks.add({ write: (d) => got.push(Buffer.from(d)) });
    s.createBacklog();
    const long = 'L'.repeat(1000);
    const bin = '\x00\xff\r\n\x80';
    const many = Array.from({ length: 12 }, (_, i) => `a${i}`);
    s.feed(0, ['SET', 'k', '']);
    s.feed(0, ['SET', long, bin]);
    s.feed(3, ['RPUSH', 'l', ...many]);
    s.feed(-1, ['PING']);
    s.feed(3, ['DEL', 'x'.repeat(33)]);
    const resp = (argv: string[]) => `*${argv.length}\r\n${argv.map((a) => `$${a.length}\r\n${a}\r\n`).join('')}`;
    const expected = Buffer.from(
      resp(['SELECT', '0']) +
        resp(['SET', 'k', '']) +
        resp(['SET', long, bin]) +
        resp(['SELECT', '3']) +
        resp(['RPUSH', 'l', ...many]) +
        resp(['PING']) +
        resp(['DEL', 'x'.repeat(33)]),
      'latin1',
    );
    assert.ok(Buffer.concat(got).equals(expected));
    assert.equal(s.offset, expected.length);
    assert.ok((s.backlog as Backlog).copyFrom(1).equals(expected));
  });
});
