/**
 * A latency histogram with HdrHistogram's layout (values 1 ns .. ~2^30 ns, 2 significant digits):
 * log-linear buckets, each power of two split into 128 sub-buckets, so any recorded value is
 * known within 1%. It backs INFO latencystats percentiles and LATENCY HISTOGRAM, as Redis 7.0's
 * per-command hdr_histogram does.
 *
 * Written here rather than taken from hdr-histogram-js: that library's recordValue measured
 * ~250 ns on this machine, and every command records one value (latency-tracking yes is the
 * default); this one is a few shifts and an array increment.
 * Source: HdrHistogram_c (hdr_histogram.c counts_index, value_from_index, highest_equivalent_value,
 * hdr_value_at_percentile), Redis 7.0 server.c updateCommandLatencyHistogram.
 */

/** log2 of the sub-bucket count for 2 significant digits (2·10^2 → 256 sub-buckets). */
const SUB_BUCKET_COUNT_MAGNITUDE = 8;
const SUB_BUCKET_HALF_COUNT_MAGNITUDE = SUB_BUCKET_COUNT_MAGNITUDE - 1;
const SUB_BUCKET_HALF_COUNT = 1 << SUB_BUCKET_HALF_COUNT_MAGNITUDE;
const SUB_BUCKET_MASK = (1 << SUB_BUCKET_COUNT_MAGNITUDE) - 1;
/** Largest value kept (ns; larger ones count as this): Redis LATENCY_HISTOGRAM_MAX_VALUE is 1 s. */
export const HISTOGRAM_MAX_NS = 1_000_000_000;
/** Buckets to cover HISTOGRAM_MAX_NS: 256 << 22 > 1e9. */
const BUCKET_COUNT = 23;
const COUNTS_LEN = (BUCKET_COUNT + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE;

/** Bucket of a value (its power of two above the first 256 values). */
function bucketIndex(v: number): number {
  // 32 - unit magnitude (0) - sub-bucket half magnitude (7) - 1.
  return 24 - Math.clz32(v | SUB_BUCKET_MASK);
}

/** The lowest value of counts index `i`. */
function valueFromIndex(i: number): number {
  let bucket = (i >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) - 1;
  let sub = (i & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
  if (bucket < 0) {
    sub -= SUB_BUCKET_HALF_COUNT;
    bucket = 0;
  }
  return sub * 2 ** bucket;
}

/** Per-command latency distribution in nanoseconds (see module doc). */
export class LatencyHistogram {
  private readonly counts = new Uint32Array(COUNTS_LEN);
  /** Values recorded. */
  total = 0;

  /** Records one duration in ns (clamped to 1 .. HISTOGRAM_MAX_NS). */
  record(ns: number): void {
    const v = ns < 1 ? 1 : ns > HISTOGRAM_MAX_NS ? HISTOGRAM_MAX_NS : Math.floor(ns);
    const b = bucketIndex(v);
    // v < 2^30: a shift is floor(v / 2^b) (a variable `2 ** b` compiles to a pow() call, ~10 ns).
    const sub = v >>> b;
    this.counts[((b + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + (sub - SUB_BUCKET_HALF_COUNT)]++;
    this.total++;
  }

  /**
   * The value (ns) at percentile `p` (0..100): the highest value equivalent to the bucket where
   * the cumulative count reaches p% of the total (hdr_value_at_percentile). 0 when empty.
   */
  valueAtPercentile(p: number): number {
    if (this.total === 0) return 0;
    const want = Math.max(1, Math.floor((Math.min(p, 100) / 100) * this.total + 0.5));
    let cum = 0;
    for (let i = 0; i < COUNTS_LEN; i++) {
      cum += this.counts[i];
      if (cum >= want) return highestEquivalent(valueFromIndex(i));
    }
    return 0;
  }

  /** Calls `f(valueNs, count)` for every non-empty sub-bucket, in increasing value order (lowest value of the sub-bucket). */
  forEach(f: (valueNs: number, count: number) => void): void {
    for (let i = 0; i < COUNTS_LEN; i++) if (this.counts[i] !== 0) f(valueFromIndex(i), this.counts[i]);
  }
}

/** The highest value that falls in the same sub-bucket as `v` (highest_equivalent_value). */
function highestEquivalent(v: number): number {
  const b = bucketIndex(v);
  const sub = Math.floor(v / 2 ** b);
  const size = sub >= 1 << SUB_BUCKET_COUNT_MAGNITUDE ? 2 ** (b + 1) : 2 ** b;
  const lowest = sub * 2 ** b;
  return lowest + size - 1;
}
