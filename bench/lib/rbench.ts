/**
 * Runs redis-benchmark (Debian redis-tools) for one test and parses its `--csv` output.
 * A test whose command the server rejects is reported with the error instead of a number.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';

/** The script of the EVALSHA test (loaded with SCRIPT LOAD before the run). */
const EVALSHA_SCRIPT = "return redis.call('incr', KEYS[1])";
const EVALSHA_SHA = createHash('sha1').update(EVALSHA_SCRIPT).digest('hex');

/** redis-benchmark test names (-t) and the CSV row name prefix each one reports under. */
export const RB_TESTS: { t: string; row: string; cmd?: string[]; setup?: string[] }[] = [
  { t: 'set', row: 'SET' },
  { t: 'get', row: 'GET' },
  { t: 'incr', row: 'INCR' },
  { t: 'lpush', row: 'LPUSH' },
  { t: 'rpush', row: 'RPUSH' },
  { t: 'lpop', row: 'LPOP' },
  { t: 'rpop', row: 'RPOP' },
  { t: 'sadd', row: 'SADD' },
  { t: 'hset', row: 'HSET' },
  { t: 'spop', row: 'SPOP' },
  { t: 'zadd', row: 'ZADD' },
  { t: 'zpopmin', row: 'ZPOPMIN' },
  { t: 'lrange_100', row: 'LRANGE_100' },
  { t: 'lrange_600', row: 'LRANGE_600' },
  { t: 'mset', row: 'MSET' },
  // Not built-in redis-benchmark tests: run as explicit commands (XRANGE reads what XADD wrote).
  { t: 'xadd', row: 'XADD', cmd: ['xadd', 'bench:stream', '*', 'field', 'value'] },
  { t: 'xrange_10', row: 'XRANGE', cmd: ['xrange', 'bench:stream', '-', '+', 'COUNT', '10'] },
  // A small script through the script cache (SCRIPT LOAD first, on both servers).
  {
    t: 'evalsha',
    row: 'EVALSHA',
    cmd: ['evalsha', EVALSHA_SHA, '1', 'bench:script:__rand_int__'],
    setup: ['script', 'load', EVALSHA_SCRIPT],
  },
];

export interface RbResult {
  /** Requests per second, or null when the test failed. */
  rps: number | null;
  /** Median latency reported by redis-benchmark, ms. */
  p50: number | null;
  error?: string;
}

/** Splits one CSV line of quoted fields. */
function csvFields(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"]|"")*)"|([^,]+)/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) out.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]);
  return out;
}

/**
 * Runs `redis-benchmark -p port -c clients -P pipeline -n requests -r keyspace --csv -t test` (or the
 * test's explicit command, e.g. XADD), plus `opts.extraArgs` (TLS options).
 * Errors from the server (redis-benchmark prints "Error from server: ...") make the result n/a.
 */
export function runRedisBenchmark(
  port: number,
  test: { t: string; row: string; cmd?: string[]; setup?: string[] },
  opts: { clients: number; pipeline: number; requests: number; keyspace: number; extraArgs?: string[] },
): Promise<RbResult> {
  if (test.setup) spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...test.setup], { stdio: 'ignore' });
  const args = ['-h', '127.0.0.1', '-p', String(port), '-c', String(opts.clients), '-P', String(opts.pipeline)];
  args.push('-n', String(opts.requests), '-r', String(opts.keyspace), '--csv');
  // e.g. --tls --cacert ... --cert ... --key ... (bench/tls.ts)
  if (opts.extraArgs) args.push(...opts.extraArgs);
  if (test.cmd) args.push(...test.cmd);
  else args.push('-t', test.t);
  return new Promise((resolve) => {
    const p = spawn('redis-benchmark', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
    p.stderr.on('data', (d: Buffer) => (err += d.toString('latin1')));
    const timer = setTimeout(() => p.kill('SIGKILL'), 120000);
    p.on('error', (e) => {
      clearTimeout(timer);
      resolve({ rps: null, p50: null, error: `redis-benchmark: ${e.message}` });
    });
    p.on('close', (code) => {
      clearTimeout(timer);
      const srvErr = /Error from server: ([^\n]*)/.exec(err + out);
      if (srvErr) {
        resolve({ rps: null, p50: null, error: srvErr[1].trim() });
        return;
      }
      for (const line of out.split('\n')) {
        const f = csvFields(line.trim());
        if (f.length >= 2 && f[0].toUpperCase().startsWith(test.row) && f[0] !== 'test') {
          const rps = Number(f[1]);
          const p50 = f.length >= 5 ? Number(f[4]) : null;
          if (Number.isFinite(rps)) {
            resolve({ rps, p50 });
            return;
          }
        }
      }
      resolve({ rps: null, p50: null, error: `no result (exit ${code}): ${(err || out).trim().split('\n').slice(-1)[0] ?? ''}` });
    });
  });
}
