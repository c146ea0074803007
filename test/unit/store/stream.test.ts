/**
 * Stream store structure (src/store/stream.ts) checked against a naive model: a sorted array of
 * [id, fields] pairs. Thousands of random operations (append with small and 64-bit-wide ID jumps,
 * delete, exact and approximate MAXLEN/MINID trims, forward/reverse range scans with random
 * bounds, point lookups, clone) under several node sizes, plus the PEL index against a sorted
 * array. Approximate trims are checked for their contract: only a prefix goes, never more than
 * the exact trim would remove, and the limit is honoured.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { rng } from '../../helpers/random.js';
import {
  cmpId,
  decrId,
  ID_MAX,
  ID_ZERO,
  idToString,
  incrId,
  PelIndex,
  Stream,
  StreamNack,
  type StreamId,
  streamLimits,
  U64_MAX,
} from '../../../src/store/stream.js';

type Entry = [StreamId, string[]];

const saved = { ...streamLimits };
afterEach(() => Object.assign(streamLimits, saved));

/** A random BigInt in [0, 2^64). */
function rand64(r: () => number): bigint {
  return (BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32));
}

/** An ID between two IDs (or near the edges), for range bounds. */
function randomBound(r: () => number, model: Entry[]): StreamId {
  const x = r();
  if (x < 0.1) return ID_ZERO;
  if (x < 0.2) return ID_MAX;
  if (model.length > 0 && x < 0.7) {
    const id = model[Math.floor(r() * model.length)][0];
    const y = r();
    if (y < 0.3) return incrId(id) ?? id;
    if (y < 0.6) return decrId(id) ?? id;
    return id;
  }
  return { ms: rand64(r), seq: rand64(r) };
}

function modelRange(model: Entry[], start: StreamId, end: StreamId, rev: boolean, count: number): Entry[] {
  const inRange = model.filter(([id]) => cmpId(id, start) >= 0 && cmpId(id, end) <= 0);
  if (rev) inRange.reverse();
  return count > 0 ? inRange.slice(0, count) : inRange;
}

function scanAll(s: Stream, start: StreamId, end: StreamId, rev: boolean, count: number): Entry[] {
  const out: Entry[] = [];
  s.scan(start, end, rev, (id, f) => {
    out.push([id, f]);
    return count === 0 || out.length < count;
  });
  return out;
}

function randomFields(r: () => number): string[] {
  const n = 1 + Math.floor(r() * 3);
  const f: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = r() < 0.8 ? `f${i}` : `x${Math.floor(r() * 4)}`;
    const len = r() < 0.05 ? 200 + Math.floor(r() * 3000) : Math.floor(r() * 12);
    let v = '';
    for (let j = 0; j < len; j++) v += String.fromCharCode(Math.floor(r() * 256));
    f.push(name, r() < 0.3 ? String(Math.floor(r() * 1e6) - 1000) : v);
  }
  return f;
}

function runModel(seed: number, ops: number, wideIds: boolean): void {
  const r = rng(seed);
  const s = new Stream();
  let model: Entry[] = [];
  let last: StreamId = ID_ZERO;
  for (let op = 0; op < ops; op++) {
    const x = r();
    if (x < 0.5) {
      // Append: a small step, a new ms, or (wide) a jump across the 64-bit range.
      let id: StreamId | null;
      const y = r();
      if (wideIds && y < 0.05) {
        const ms = last.ms + (U64_MAX - last.ms) / BigInt(2 + Math.floor(r() * 8));
        id = ms > last.ms ? { ms, seq: rand64(r) } : incrId(last);
      } else if (wideIds && y < 0.08 && last.seq < U64_MAX - 5n) id = { ms: last.ms, seq: U64_MAX - BigInt(Math.floor(r() * 3)) };
      else if (y < 0.6) id = incrId(last);
      else id = { ms: last.ms + 1n + BigInt(Math.floor(r() * 1000)), seq: BigInt(Math.floor(r() * 3)) };
      if (id === null || id.ms > U64_MAX || cmpId(id, last) <= 0) continue;
      const fields = randomFields(r);
      s.add(id, fields);
      model.push([id, fields]);
      last = id;
    } else if (x < 0.62) {
      // Delete an existing or a random ID.
      const id = model.length > 0 && r() < 0.8 ? model[Math.floor(r() * model.length)][0] : randomBound(r, model);
      const i = model.findIndex(([m]) => cmpId(m, id) === 0);
      assert.equal(s.delete(id), i >= 0);
      if (i >= 0) model.splice(i, 1);
    } else if (x < 0.68) {
      // Trim.
      const approx = r() < 0.5;
      const limit = approx && r() < 0.5 ? 1 + Math.floor(r() * 150) : 0;
      const before = model.length;
      if (r() < 0.5) {
        const maxlen = Math.floor(r() * (model.length + 5));
        const exact = Math.max(0, model.length - maxlen);
        const n = s.trim({ strategy: 'maxlen', maxlen, minid: ID_ZERO, approx, limit });
        if (!approx) assert.equal(n, exact);
        else {
          assert.ok(n <= exact);
          if (limit > 0) assert.ok(n <= limit);
        }
        model = model.slice(n);
      } else {
        const minid = randomBound(r, model);
        const exact = model.filter(([id]) => cmpId(id, minid) < 0).length;
        const n = s.trim({ strategy: 'minid', maxlen: 0, minid, approx, limit });
        if (!approx) assert.equal(n, exact);
        else assert.ok(n <= exact);
        model = model.slice(n);
      }
      assert.equal(s.length, model.length, `length after trim (before ${before})`);
    } else if (x < 0.9) {
      const a = randomBound(r, model);
      const b = randomBound(r, model);
      const [start, end] = cmpId(a, b) <= 0 ? [a, b] : r() < 0.2 ? [a, b] : [b, a];
      const rev = r() < 0.5;
      const count = r() < 0.5 ? 0 : 1 + Math.floor(r() * 10);
      assert.deepEqual(scanAll(s, start, end, rev, count), modelRange(model, start, end, rev, count));
    } else if (x < 0.98) {
      const id = model.length > 0 && r() < 0.7 ? model[Math.floor(r() * model.length)][0] : randomBound(r, model);
      const m = model.find(([e]) => cmpId(e, id) === 0);
      assert.deepEqual(s.get(id), m ? m[1] : null);
      assert.equal(s.has(id), m !== undefined);
    } else {
      const c = s.clone();
      assert.deepEqual([...c.entries()], model);
    }
    assert.equal(s.length, model.length);
    assert.deepEqual(s.firstId(), model.length > 0 ? model[0][0] : ID_ZERO);
    assert.deepEqual(s.lastEntryId(), model.length > 0 ? model[model.length - 1][0] : ID_ZERO);
    assert.deepEqual(s.lastId, last);
  }
  assert.deepEqual([...s.entries()], model);
  assert.ok(s.raxNodes() >= s.nodeCount);
}

describe('Stream store (model check)', () => {
  it('default node limits (100 entries / 4096 bytes), 64-bit-wide IDs', () => {
    runModel(1, 4000, true);
  });
  it('tiny nodes (3 entries): many node splits and whole-node drops', () => {
    streamLimits.nodeMaxEntries = 3;
    runModel(2, 4000, false);
    runModel(3, 3000, true);
  });
  it('unlimited entries per node, byte limit only', () => {
    streamLimits.nodeMaxEntries = 0;
    streamLimits.nodeMaxBytes = 512;
    runModel(4, 3000, true);
  });

  it('IDs: ordering, increment/decrement at the 64-bit edges, formatting', () => {
    assert.equal(incrId(ID_MAX), null);
    assert.equal(decrId(ID_ZERO), null);
    assert.deepEqual(incrId({ ms: 5n, seq: U64_MAX }), { ms: 6n, seq: 0n });
    assert.deepEqual(decrId({ ms: 6n, seq: 0n }), { ms: 5n, seq: U64_MAX });
    assert.equal(idToString(ID_MAX), '18446744073709551615-18446744073709551615');
    assert.ok(cmpId({ ms: 2n ** 53n + 1n, seq: 0n }, { ms: 2n ** 53n, seq: U64_MAX }) > 0);
    const s = new Stream();
    s.add({ ms: U64_MAX, seq: U64_MAX - 1n }, ['a', 'b']);
    s.add(ID_MAX, ['c', 'd']);
    assert.deepEqual(scanAll(s, { ms: U64_MAX, seq: U64_MAX }, ID_MAX, false, 0), [[ID_MAX, ['c', 'd']]]);
    assert.deepEqual(s.get({ ms: U64_MAX, seq: U64_MAX - 1n }), ['a', 'b']);
  });
});

describe('PelIndex (model check)', () => {
  it('add/remove/lookup/seek against a sorted array', () => {
    const r = rng(9);
    const pel = new PelIndex();
    let model: StreamId[] = [];
    let next = 1n;
    for (let op = 0; op < 5000; op++) {
      const x = r();
      if (x < 0.45) {
        // Mostly increasing appends, sometimes an older ID (XCLAIM FORCE / reassignments).
        const id = r() < 0.8 ? { ms: next++, seq: 0n } : { ms: BigInt(Math.floor(r() * Number(next))), seq: rand64(r) };
        if (pel.get(id) !== undefined) continue;
        pel.add(new StreamNack(id, 0, 1));
        model.push(id);
        model.sort(cmpId);
      } else if (x < 0.8) {
        const id = model.length > 0 && r() < 0.8 ? model[Math.floor(r() * model.length)] : { ms: rand64(r), seq: 0n };
        const had = model.some((m) => cmpId(m, id) === 0);
        assert.equal(pel.remove(id) !== undefined, had);
        if (had) model = model.filter((m) => cmpId(m, id) !== 0);
      } else {
        const start = { ms: BigInt(Math.floor(r() * Number(next + 2n))), seq: 0n };
        const i = pel.lowerBound(start);
        const j = model.findIndex((m) => cmpId(m, start) >= 0);
        assert.equal(i, j < 0 ? model.length : j);
      }
      assert.equal(pel.size, model.length);
    }
    assert.deepEqual(
      [...pel.values()].map((n) => n.id),
      model,
    );
    assert.deepEqual(pel.first()?.id, model[0]);
    assert.deepEqual(pel.last()?.id, model[model.length - 1]);
  });
});
