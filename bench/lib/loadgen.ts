/**
 * The load generator for the skewed and connections scenarios: raw RESP over net sockets with
 * pre-encoded requests, many connections each keeping one pipelined batch in flight, latency
 * recorded per reply into an HDR histogram (microseconds).
 *
 * Requests come from a seeded PRNG, so both servers receive the same request sequence. The
 * generator runs in `workers` worker threads (each with its share of the connections); run it
 * with more workers to check that it is not the bottleneck.
 */
import net from 'node:net';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import hdr from 'hdr-histogram-js';

export interface LoadOptions {
  port: number;
  /** Connections in total (split over workers). */
  conns: number;
  /** Requests per batch per connection (1 = no pipelining). */
  pipeline: number;
  /** Measured duration, ms (after `warmupMs`). */
  durationMs: number;
  warmupMs: number;
  /** Keys are `key:0` .. `key:<keys-1>`. */
  keys: number;
  /** Fraction of GETs; the rest are SETs. */
  readRatio: number;
  /** Zipf exponent (YCSB's 0.99); 0 = uniform. */
  theta: number;
  /** Worker threads running the connections. */
  workers: number;
  /** Requests pre-encoded per worker (cycled). */
  poolSize: number;
  seed: number;
}

export interface LoadResult {
  ops: number;
  opsPerSec: number;
  /** Latency percentiles and max, microseconds. */
  p50: number;
  p99: number;
  p999: number;
  max: number;
  /** Replies that were errors (should be 0). */
  errors: number;
}

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Zipfian sampler over [0, n) (Gray et al., "Quickly generating billion-record synthetic
 * databases", as in YCSB's ZipfianGenerator). Rank 0 is the most popular item.
 */
export function zipfSampler(n: number, theta: number, rand: () => number): () => number {
  if (theta <= 0) return () => Math.floor(rand() * n);
  let zetan = 0;
  for (let i = 1; i <= n; i++) zetan += 1 / i ** theta;
  const zeta2 = 1 + 1 / 2 ** theta;
  const alpha = 1 / (1 - theta);
  const eta = (1 - (2 / n) ** (1 - theta)) / (1 - zeta2 / zetan);
  const half = 1 + 0.5 ** theta;
  return () => {
    const u = rand();
    const uz = u * zetan;
    if (uz < 1) return 0;
    if (uz < half) return 1;
    return Math.min(n - 1, Math.floor(n * (eta * u - eta + 1) ** alpha));
  };
}

interface WorkerJob extends LoadOptions {
  conns: number;
  workerIndex: number;
}

/** Runs the load in worker threads and merges their histograms. */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const jobs: Promise<{ ops: number; errors: number; elapsedMs: number; hist: string }>[] = [];
  for (let w = 0; w < opts.workers; w++) {
    const conns = Math.floor(opts.conns / opts.workers) + (w < opts.conns % opts.workers ? 1 : 0);
    const job: WorkerJob = { ...opts, conns, workerIndex: w };
    jobs.push(
      new Promise((resolve, reject) => {
        const worker = new Worker(new URL(import.meta.url), { workerData: { loadgen: job } });
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.once('exit', (code) => {
          if (code !== 0) reject(new Error(`load worker exited with ${code}`));
        });
      }),
    );
  }
  const results = await Promise.all(jobs);
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  let ops = 0;
  let errors = 0;
  let elapsed = 0;
  for (const r of results) {
    ops += r.ops;
    errors += r.errors;
    elapsed = Math.max(elapsed, r.elapsedMs);
    h.add(hdr.decodeFromCompressedBase64(r.hist));
  }
  return {
    ops,
    opsPerSec: elapsed > 0 ? (ops / elapsed) * 1000 : 0,
    p50: h.getValueAtPercentile(50),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    max: h.maxValue,
    errors,
  };
}

/** Pre-encodes `size` GET/SET requests into one buffer; returns it with request start offsets. */
function buildPool(job: WorkerJob): { pool: Buffer; offsets: Int32Array } {
  const rand = prng(job.seed + job.workerIndex * 7919);
  const sample = zipfSampler(job.keys, job.theta, rand);
  const parts: string[] = [];
  const offsets = new Int32Array(job.poolSize + 1);
  let off = 0;
  for (let i = 0; i < job.poolSize; i++) {
    const k = String(sample());
    const key = `key:${k}`;
    let s: string;
    if (rand() < job.readRatio) s = `*2\r\n$3\r\nGET\r\n$${key.length}\r\n${key}\r\n`;
    else {
      const v = `value:${k}`;
      s = `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${v.length}\r\n${v}\r\n`;
    }
    offsets[i] = off;
    off += s.length;
    parts.push(s);
  }
  offsets[job.poolSize] = off;
  return { pool: Buffer.from(parts.join(''), 'latin1'), offsets };
}

/**
 * Counts complete RESP replies in a stream without building them. State survives chunk borders:
 * `skip` bytes of a bulk body still to pass, or a partial header line kept in `partial`.
 */
class ReplyCounter {
  private skip = 0;
  private partial: Buffer | null = null;
  errors = 0;

  /** @returns the number of replies completed by this chunk. */
  feed(chunk: Buffer): number {
    let buf = chunk;
    if (this.partial !== null) {
      buf = Buffer.concat([this.partial, chunk]);
      this.partial = null;
    }
    let pos = 0;
    let n = 0;
    const len = buf.length;
    for (;;) {
      if (this.skip > 0) {
        const take = Math.min(this.skip, len - pos);
        pos += take;
        this.skip -= take;
        if (this.skip > 0) return n;
        n++;
      }
      if (pos >= len) return n;
      const nl = buf.indexOf(10, pos);
      if (nl < 0) {
        this.partial = buf.subarray(pos);
        return n;
      }
      const t = buf[pos];
      if (t === 36 /* $ */) {
        let v = 0;
        let neg = false;
        for (let i = pos + 1; i < nl - 1; i++) {
          const c = buf[i];
          if (c === 45) neg = true;
          else v = v * 10 + (c - 48);
        }
        pos = nl + 1;
        if (neg) n++;
        else this.skip = v + 2;
      } else {
        if (t === 45 /* - */) this.errors++;
        n++;
        pos = nl + 1;
      }
    }
  }
}

async function runWorker(job: WorkerJob): Promise<void> {
  const { pool, offsets } = buildPool(job);
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const start = performance.now();
  const measureFrom = start + job.warmupMs;
  const end = measureFrom + job.durationMs;
  let ops = 0;
  let errors = 0;
  let active = 0;
  const depth = job.pipeline;
  await new Promise<void>((resolve) => {
    if (job.conns === 0) resolve();
    for (let ci = 0; ci < job.conns; ci++) {
      const sock = net.connect({ port: job.port, host: '127.0.0.1', noDelay: true });
      const counter = new ReplyCounter();
      let idx = Math.floor((ci * job.poolSize) / Math.max(1, job.conns));
      let outstanding = 0;
      let sentAt = 0;
      const send = () => {
        if (idx + depth > job.poolSize) idx = 0;
        const batch = pool.subarray(offsets[idx], offsets[idx + depth]);
        idx += depth;
        outstanding = depth;
        sentAt = performance.now();
        sock.write(batch);
      };
      active++;
      sock.on('connect', send);
      sock.on('data', (chunk: Buffer) => {
        const got = counter.feed(chunk);
        if (got === 0) return;
        outstanding -= got;
        const now = performance.now();
        if (now >= measureFrom && sentAt >= measureFrom) {
          ops += got;
          const us = Math.max(1, Math.round((now - sentAt) * 1000));
          h.recordValueWithCount(us, got);
        }
        if (outstanding <= 0) {
          if (now < end) send();
          else sock.end();
        }
      });
      const done = () => {
        errors += counter.errors;
        if (--active === 0) resolve();
      };
      sock.on('close', done);
      sock.on('error', () => {});
    }
  });
  const elapsedMs = Math.min(performance.now(), end + 1000) - measureFrom;
  parentPort!.postMessage({ ops, errors, elapsedMs: Math.max(elapsedMs, job.durationMs), hist: hdr.encodeIntoCompressedBase64(h) });
}

if (!isMainThread && workerData?.loadgen) {
  runWorker(workerData.loadgen as WorkerJob).catch((e) => {
    throw e;
  });
}
