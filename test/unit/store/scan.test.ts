/**
 * scanMap's guarantee: an element present for the whole iteration is returned at least once, while
 * elements are added and deleted between calls; with parked iterators (cache), with the seq
 * fallback (cache that keeps nothing) and with the restart fallback (no seq).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseScanCursor, ScanCursorCache, scanMap } from '../../../src/store/scan.js';

interface Item {
  seq: number;
}

function run(cacheCapacity: number, withSeq: boolean): void {
  let seq = 0;
  const map = new Map<string, Item>();
  const add = (k: string): void => {
    if (!map.has(k)) map.set(k, { seq: ++seq });
  };
  for (let i = 0; i < 10000; i++) add(`k${i}`);
  const removed = new Set<string>();
  const cache = new ScanCursorCache(cacheCapacity);
  const seen = new Set<string>();
  let cursor = 0;
  let calls = 0;
  let n = 0;
  do {
    cursor = scanMap(cache, map, cursor, 37, (k) => seen.add(k), withSeq ? (v: Item) => v.seq : undefined);
    calls++;
    // Mutate between calls: delete some keys (also ones not yet visited), add new ones,
    // delete and re-add (moves to the end).
    for (let j = 0; j < 5; j++) {
      const victim = `k${(n * 7919 + j * 104729) % 10000}`;
      if (map.delete(victim)) removed.add(victim);
      add(`new${n}_${j}`);
      n++;
    }
    const moved = `k${(n * 31) % 10000}`;
    if (map.delete(moved)) {
      removed.add(moved);
      add(moved);
    }
    assert.ok(calls < 100000, 'iteration terminates');
  } while (cursor !== 0);
  for (let i = 0; i < 10000; i++) {
    const k = `k${i}`;
    if (!removed.has(k)) assert.ok(seen.has(k), `${k} present throughout but not returned`);
  }
}

describe('scanMap', () => {
  it('keeps the guarantee with parked iterators', () => run(1000, true));
  it('keeps the guarantee when every cursor falls back to seq skipping', () => run(0, true));
  it('keeps the guarantee with parked iterators and no seq', () => run(1000, false));

  it('completes in one call when COUNT covers the collection, and handles Sets', () => {
    const cache = new ScanCursorCache();
    const s = new Set(['a', 'b', 'c']);
    const got: string[] = [];
    assert.equal(
      scanMap(cache, s, 0, 3, (k) => got.push(k)),
      0,
    );
    assert.deepEqual(got, ['a', 'b', 'c']);
    assert.equal(cache.size, 0);
  });

  it('restarts an unknown cursor without seq from the beginning', () => {
    const cache = new ScanCursorCache();
    const m = new Map([
      ['a', 1],
      ['b', 2],
    ]);
    const got: string[] = [];
    assert.equal(
      scanMap(cache, m, 12345, 10, (k) => got.push(k)),
      0,
    );
    assert.deepEqual(got, ['a', 'b']);
  });

  it('bounds the parked iterations', () => {
    const cache = new ScanCursorCache(10);
    const m = new Map(Array.from({ length: 100 }, (_, i) => [i, i] as [number, number]));
    for (let i = 0; i < 50; i++) scanMap(cache, m, 0, 1, () => {});
    assert.equal(cache.size, 10);
  });

  it('parses cursors as strtoul', () => {
    assert.equal(parseScanCursor('0'), 0);
    assert.equal(parseScanCursor(''), 0);
    assert.equal(parseScanCursor('+5'), 5);
    assert.equal(parseScanCursor('007'), 7);
    assert.equal(parseScanCursor('-1'), 2 ** 64 - 1);
    assert.equal(parseScanCursor('18446744073709551615'), 2 ** 64 - 1);
    assert.equal(parseScanCursor('18446744073709551616'), null);
    for (const bad of [' 1', '1 ', '-', '+', 'x', '0x1', '1.5']) assert.equal(parseScanCursor(bad), null, bad);
  });
});
