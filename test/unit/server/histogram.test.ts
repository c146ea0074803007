import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HISTOGRAM_MAX_NS, LatencyHistogram } from '../../../src/server/histogram.js';
import { rng } from '../../helpers/random.js';

test('LatencyHistogram percentiles are within 1% of the exact ones (2 significant digits)', () => {
  const rand = rng(7);
  const h = new LatencyHistogram();
  const values: number[] = [];
  for (let i = 0; i < 20000; i++) {
    // Log-uniform over 100 ns .. 100 ms, as command latencies spread.
    const v = Math.floor(100 * 10 ** (rand() * 6));
    values.push(v);
    h.record(v);
  }
  values.sort((a, b) => a - b);
  assert.equal(h.total, values.length);
  for (const p of [0, 1, 50, 90, 99, 99.9, 100]) {
    const rank = Math.max(1, Math.floor((p / 100) * values.length + 0.5));
    const exact = values[rank - 1];
    const got = h.valueAtPercentile(p);
    assert.ok(got >= exact && got <= exact * 1.01 + 1, `p${p}: ${got} vs exact ${exact}`);
  }
});

test('LatencyHistogram: small values are exact, big ones are clamped to 1 s, empty gives 0', () => {
  const h = new LatencyHistogram();
  assert.equal(h.valueAtPercentile(50), 0);
  h.record(0);
  h.record(17);
  h.record(5e12);
  assert.equal(h.valueAtPercentile(0), 1);
  assert.equal(h.valueAtPercentile(50), 17);
  const top = h.valueAtPercentile(100);
  assert.ok(top >= HISTOGRAM_MAX_NS && top <= HISTOGRAM_MAX_NS * 1.01, String(top));
  const seen: [number, number][] = [];
  h.forEach((v, n) => {
    seen.push([v, n]);
  });
  assert.deepEqual(
    seen.map(([, n]) => n),
    [1, 1, 1],
  );
  assert.ok(seen[0][0] < seen[1][0] && seen[1][0] < seen[2][0]);
});
