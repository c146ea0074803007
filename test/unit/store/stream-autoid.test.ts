/**
 * Stream.nextAutoId (XADD `*`) and Stream.add with fields taken from an offset, checked against the
 * BigInt definition (streamAppendItem: `now-0` when now > last ms, else streamIncrID(last)) on
 * random runs that cross the memo's limits: parts around 2^32 and 2^53, the u64 maximum seq,
 * clocks behind lastId, lastId set from outside (XSETID) between calls, and adds that never happen
 * (an XADD that fails after the ID is made).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rng } from '../../helpers/random.js';
import { idToString, incrId, Stream, type StreamId, U64_MAX } from '../../../src/store/stream.js';

/** The ID XADD `*` must generate. */
function expected(last: StreamId, now: number): StreamId {
  return BigInt(now) > last.ms ? { ms: BigInt(now), seq: 0n } : (incrId(last) as StreamId);
}

const EDGES = [0n, 1n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 3n, 2n ** 53n - 2n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, U64_MAX - 1n];

describe('Stream.nextAutoId', () => {
  it('matches the BigInt definition across memo limits, clock jumps and XSETID', () => {
    const r = rng(53);
    const int = (n: number): number => Math.floor(r() * n);
    for (let run = 0; run < 200; run++) {
      const s = new Stream();
      let now = 1_700_000_000_000 + int(1000);
      for (let step = 0; step < 60; step++) {
        const k = int(10);
        if (k === 0) {
          // XSETID-style jump to an edge (ms and seq), greater than the current lastId or not.
          const ms = int(2) === 0 ? BigInt(now + int(3) - 1) : EDGES[int(EDGES.length)];
          s.lastId = { ms, seq: EDGES[int(EDGES.length)] };
          continue;
        }
        if (k === 1) now += int(3);
        else if (k === 2) now -= int(3);
        const last = s.lastId;
        if (last.ms === U64_MAX && last.seq === U64_MAX) break;
        const want = expected(last, now);
        const got = s.nextAutoId(now);
        assert.equal(idToString(got), idToString(want), `run ${run} step ${step} last ${idToString(last)} now ${now}`);
        assert.equal(s.autoIdString, idToString(want));
        assert.equal(typeof got.ms, 'bigint');
        // One time in 8 the ID is not used (an XADD that fails after making it).
        if (int(8) !== 0) s.add(got, ['x', 'a', 'f', String(step)], 1);
        else assert.equal(s.lastId, last);
      }
    }
  });

  it('carries the seq into the ms at seq 2^64 - 1, and an ms above 2^53 keeps the seq running', () => {
    const s = new Stream();
    s.lastId = { ms: 5n, seq: U64_MAX };
    assert.equal(idToString(s.nextAutoId(3)), '6-0');
    assert.equal(s.autoIdString, '6-0');
    s.lastId = { ms: 2n ** 60n, seq: 7n };
    const id = s.nextAutoId(Date.now());
    s.add(id, ['f', 'v']);
    assert.equal(s.autoIdString, `${2n ** 60n}-8`);
    s.add(s.nextAutoId(Date.now()), ['f', 'v']);
    assert.equal(s.autoIdString, `${2n ** 60n}-9`);
  });
});

describe('Stream.add from an offset', () => {
  it('stores fields[start..] as add(fields.slice(start)) does, same-fields nodes included', () => {
    const r = rng(7);
    const int = (n: number): number => Math.floor(r() * n);
    const a = new Stream();
    const b = new Stream();
    let ms = 1n;
    for (let i = 0; i < 500; i++) {
      ms += BigInt(int(3) === 0 ? 2 ** 33 : int(3));
      const id = { ms, seq: BigInt(int(2) === 0 ? 0 : 2 ** 32 + int(5)) };
      const nf = 1 + int(3);
      const fields: string[] = [];
      for (let j = 0; j < nf; j++) fields.push(int(4) === 0 ? `g${j}` : `f${j}`, String(int(100000) - 50));
      const pre = ['XADD', 'k', '*'].slice(0, int(4));
      a.add(id, [...pre, ...fields], pre.length);
      b.add(id, fields);
    }
    assert.deepEqual(
      [...a.entries()].map(([id, f]) => [idToString(id), f]),
      [...b.entries()].map(([id, f]) => [idToString(id), f]),
    );
    assert.deepEqual(
      a.nodeList().map((nd) => [nd.n, nd.lpBytes, nd.idBytes]),
      b.nodeList().map((nd) => [nd.n, nd.lpBytes, nd.idBytes]),
    );
  });
});
