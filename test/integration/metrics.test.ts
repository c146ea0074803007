/**
 * The metrics port (src/metrics, `metrics-port`): /metrics scraped with real HTTP GETs after real
 * client traffic over sockets, its exposition parsed (syntax checked) and its values asserted
 * against what was sent and against INFO; redis-server's INFO for the same traffic as the control
 * (the redis_exporter reads those fields); requirepass and ACL users in front of every path;
 * two embedded servers with their own metrics ports; close() and SHUTDOWN freeing the port and
 * leaving no handle; the directive on the command line and in CONFIG GET.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import { type RunningServer, startServer } from '../../src/index.js';
import { DashboardFeed } from '../../src/metrics/dashboard.js';
import { MetricsServer } from '../../src/metrics/metricsServer.js';
import { PrometheusMetrics } from '../../src/metrics/prometheus.js';
import { RuntimeMonitor } from '../../src/metrics/runtime.js';
import { type Exposition, httpRequest, parseExposition } from '../helpers/http.js';
import { freePort, NO_REDIS, startRedis } from '../helpers/servers.js';

/** Starts an embedded Keydra with a metrics port (persistence off, data in a temp dir). */
async function startWithMetrics(
  opts: Record<string, string | number | boolean> = {},
): Promise<{ srv: RunningServer; dir: string; mport: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'keydra-metrics-'));
  const mport = await freePort();
  const srv = await startServer({ port: 0, dir, save: '', appendonly: false, metricsPort: mport, ...opts });
  return { srv, dir, mport };
}

async function scrape(port: number, auth?: string): Promise<Exposition> {
  const r = await httpRequest(port, '/metrics', { auth });
  assert.equal(r.status, 200, r.body);
  assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  return parseExposition(r.body);
}

/** Resolves true when something accepts TCP connections on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** The same traffic to any server: 25 SETs of distinct keys, 17 GET hits, 3 GET misses, 2 EXPIREs. */
async function traffic(c: RawClient): Promise<void> {
  for (let i = 0; i < 25; i++) await c.call('SET', `key:${i}`, `value:${i}`);
  for (let i = 0; i < 17; i++) await c.call('GET', `key:${i}`);
  for (let i = 0; i < 3; i++) await c.call('GET', `nosuch:${i}`);
  await c.call('EXPIRE', 'key:1', '1000');
  await c.call('EXPIRE', 'key:2', '1000');
}

/** Reads `n` SSE frames (`data: ...`) from GET /events, then closes the stream. */
function readEvents(port: number, n: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/events', agent: false }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        buf += d;
        const got = buf.split('\n\n').filter((f) => f.startsWith('data: '));
        if (got.length >= n) {
          req.destroy();
          resolve(got.slice(0, n));
        }
      });
    });
    req.on('error', reject);
  });
}

/** INFO of a server as field → value. */
async function info(c: RawClient, section: string): Promise<Map<string, string>> {
  const text = String(await c.call('INFO', section));
  const m = new Map<string, string>();
  for (const l of text.split('\r\n')) {
    const i = l.indexOf(':');
    if (i > 0 && !l.startsWith('#')) m.set(l.slice(0, i), l.slice(i + 1));
  }
  return m;
}

describe('metrics port: /metrics after real traffic', () => {
  let k: { srv: RunningServer; dir: string; mport: number };
  before(async () => {
    k = await startWithMetrics({ maxmemory: '64mb' });
  });
  after(async () => {
    await k.srv.close();
    rmSync(k.dir, { recursive: true, force: true });
  });

  it('counts what was sent: commands_total per command, keyspace, hits, clients, memory', async () => {
    // Command stats are per server (server.cmdStats, INFO commandstats); deltas keep the test
    // independent of what ran on this server before it.
    const before = await scrape(k.mport);
    const c1 = await RawClient.connect(k.srv.port);
    const c2 = await RawClient.connect(k.srv.port);
    await traffic(c1);
    await c2.call('PING');
    const m = await scrape(k.mport);
    const delta = (cmd: string) => (m.get('redis_commands_total', { cmd }) ?? 0) - (before.get('redis_commands_total', { cmd }) ?? 0);
    assert.equal(delta('set'), 25);
    assert.equal(delta('get'), 20);
    assert.equal(delta('expire'), 2);
    assert.equal(m.types.get('redis_commands_total'), 'counter');
    assert.equal(m.get('redis_db_keys', { db: 'db0' }), 25);
    assert.equal(m.get('redis_db_keys_expiring', { db: 'db0' }), 2);
    assert.equal(m.get('redis_keyspace_keys', { db: 'db0' }), 25);
    assert.equal(m.get('redis_keyspace_expiring_keys', { db: 'db0' }), 2);
    // Every configured db is listed (empty ones at 0), as redis_exporter with empty dbs included.
    assert.equal(m.count('redis_db_keys'), 16);
    assert.equal(m.get('redis_db_keys', { db: 'db15' }), 0);
    assert.equal(m.get('redis_keyspace_hits_total'), 17);
    assert.equal(m.get('redis_keyspace_misses_total'), 3);
    assert.equal(m.get('redis_connected_clients'), 2);
    assert.equal(m.get('redis_up'), 1);
    assert.equal(m.get('redis_memory_max_bytes'), 64 * 1024 * 1024);
    assert.ok((m.get('redis_memory_used_bytes') ?? 0) > 0);
    assert.ok((m.get('redis_net_input_bytes_total') ?? 0) > 0);
    assert.equal(m.get('redis_connected_slaves'), 0);
    assert.equal(m.get('redis_aof_enabled'), 0);
    assert.equal(m.types.get('redis_latency_percentiles_usec'), 'summary');
    const setCalls = m.get('redis_commands_total', { cmd: 'set' }) ?? 0;
    assert.equal(m.get('redis_latency_percentiles_usec_count', { cmd: 'set' }), setCalls);
    for (const q of ['50', '99', '99.9']) assert.ok((m.get('redis_latency_percentiles_usec', { cmd: 'set', quantile: q }) ?? -1) > 0, q);
    assert.ok((m.get('keydra_v8_heap_used_bytes') ?? 0) > 0);
    assert.equal(m.types.get('keydra_event_loop_delay_seconds'), 'summary');
    assert.equal(m.types.get('keydra_gc_pause_seconds'), 'histogram');
    const instance = [...m.samples.keys()].find((s) => s.startsWith('redis_instance_info{'));
    assert.ok(instance?.includes(`tcp_port="${k.srv.port}"`) && instance.includes('role="master"'), instance);
    // The same numbers as INFO (what redis_exporter reads): commandstats, keyspace, clients.
    const cs = await info(c1, 'commandstats');
    assert.match(cs.get('cmdstat_set') ?? '', new RegExp(`^calls=${setCalls},`));
    const ks = await info(c1, 'keyspace');
    assert.match(ks.get('db0') ?? '', /^keys=25,expires=2,/);
    c1.close();
    c2.close();
  });

  it('the same traffic on redis-server gives the INFO values the metrics report (control)', async (t) => {
    const r = await startRedis();
    if (r === null) return t.skip(NO_REDIS);
    const kc = await RawClient.connect(k.srv.port);
    const rc = await RawClient.connect(r.port);
    await kc.call('FLUSHALL');
    await kc.call('CONFIG', 'RESETSTAT');
    await rc.call('CONFIG', 'RESETSTAT');
    await traffic(kc);
    await traffic(rc);
    const m = await scrape(k.mport);
    const rs = await info(rc, 'everything');
    const calls = (v: string | undefined) => Number(/calls=(\d+)/.exec(v ?? '')?.[1] ?? -1);
    for (const cmd of ['set', 'get', 'expire']) assert.equal(m.get('redis_commands_total', { cmd }), calls(rs.get(`cmdstat_${cmd}`)), cmd);
    assert.equal(m.get('redis_keyspace_hits_total'), Number(rs.get('keyspace_hits')));
    assert.equal(m.get('redis_keyspace_misses_total'), Number(rs.get('keyspace_misses')));
    const db0 = /keys=(\d+),expires=(\d+)/.exec(rs.get('db0') ?? '');
    assert.equal(m.get('redis_db_keys', { db: 'db0' }), Number(db0?.[1]));
    assert.equal(m.get('redis_db_keys_expiring', { db: 'db0' }), Number(db0?.[2]));
    assert.equal(m.get('redis_connected_clients'), Number(rs.get('connected_clients')));
    kc.close();
    rc.close();
    await r.close();
  });

  it('slow log: length, last id and duration as SLOWLOG LEN / GET 1', async () => {
    const c = await RawClient.connect(k.srv.port);
    await c.call('SLOWLOG', 'RESET');
    assert.equal((await scrape(k.mport)).get('redis_slowlog_length'), 0);
    await c.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    await c.call('SET', 'slow', '1');
    await c.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
    const m = await scrape(k.mport);
    const last = (await c.call('SLOWLOG', 'GET', '1')) as [number, number, number][];
    assert.equal(m.get('redis_slowlog_length'), Number(await c.call('SLOWLOG', 'LEN')));
    assert.equal(m.get('redis_slowlog_last_id'), Number(last[0][0]));
    assert.equal(m.get('redis_last_slow_execution_duration_seconds'), Number(last[0][2]) / 1e6);
    c.close();
  });

  it('persistence state follows SAVE and CONFIG SET appendonly', async () => {
    const c = await RawClient.connect(k.srv.port);
    await c.call('SET', 'p', '1');
    assert.ok(((await scrape(k.mport)).get('redis_rdb_changes_since_last_save') ?? 0) > 0);
    const t0 = Math.floor(Date.now() / 1000);
    await c.call('SAVE');
    let m = await scrape(k.mport);
    assert.equal(m.get('redis_rdb_changes_since_last_save'), 0);
    assert.ok((m.get('redis_rdb_last_save_timestamp_seconds') ?? 0) >= t0);
    assert.equal(m.get('redis_rdb_last_bgsave_status'), 1);
    assert.equal(m.get('redis_aof_enabled'), 0);
    await c.call('CONFIG', 'SET', 'appendonly', 'yes');
    m = await scrape(k.mport);
    assert.equal(m.get('redis_aof_enabled'), 1);
    for (let i = 0; i < 100 && (await scrape(k.mport)).get('redis_aof_rewrite_in_progress') !== 0; i++)
      await new Promise((r) => setTimeout(r, 50));
    await c.call('CONFIG', 'SET', 'appendonly', 'no');
    c.close();
  });

  it('serves the dashboard, its assets and an SSE stream; refuses writes, other hosts and unknown paths', async () => {
    const page = await httpRequest(k.mport, '/');
    assert.equal(page.status, 200);
    assert.match(page.body, /<script src="assets\/uPlot\.iife\.min\.js">/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
    const lib = await httpRequest(k.mport, '/assets/uPlot.iife.min.js');
    assert.equal(lib.status, 200);
    assert.match(lib.body, /uPlot/);
    assert.equal((await httpRequest(k.mport, '/assets/dashboard.js')).status, 200);
    assert.equal((await httpRequest(k.mport, '/nosuch')).status, 404);
    assert.equal((await httpRequest(k.mport, '/metrics', { method: 'POST' })).status, 405);
    assert.equal((await httpRequest(k.mport, '/metrics', { host: 'attacker.example:80' })).status, 403);
    assert.equal((await httpRequest(k.mport, '/metrics', { host: `localhost:${k.mport}` })).status, 200);
    // Two SSE frames, one second apart, with the keyspace in them.
    const frames = await readEvents(k.mport, 2);
    const a = JSON.parse(frames[0].slice(6));
    const b = JSON.parse(frames[1].slice(6));
    assert.equal(typeof a.keysTotal, 'number');
    assert.ok(b.time - a.time >= 500, `${b.time - a.time}`);
    assert.equal(a.port, k.srv.port);
  });
});

describe('metrics port: authentication', () => {
  let k: { srv: RunningServer; dir: string; mport: number };
  before(async () => {
    k = await startWithMetrics({ requirepass: 'sekret' });
  });
  after(async () => {
    await k.srv.close();
    rmSync(k.dir, { recursive: true, force: true });
  });

  it('requires the requirepass (user default) or an ACL user allowed to run INFO, on every path', async () => {
    for (const path of ['/metrics', '/', '/events', '/assets/dashboard.js']) {
      const r = await httpRequest(k.mport, path);
      assert.equal(r.status, 401, path);
      assert.match(String(r.headers['www-authenticate']), /^Basic realm="keydra"/);
    }
    assert.equal((await httpRequest(k.mport, '/metrics', { auth: 'default:wrong' })).status, 401);
    assert.equal((await httpRequest(k.mport, '/metrics', { auth: 'nosuch:sekret' })).status, 401);
    assert.equal((await scrape(k.mport, 'default:sekret')).get('redis_up'), 1);
    const c = await RawClient.connect(k.srv.port);
    await c.call('AUTH', 'sekret');
    await c.call('ACL', 'SETUSER', 'prom', 'on', '>scrape', '+info');
    await c.call('ACL', 'SETUSER', 'app', 'on', '>apppw', '+get', '~*');
    await c.call('ACL', 'SETUSER', 'off', 'off', '>offpw', '+@all');
    assert.equal((await httpRequest(k.mport, '/metrics', { auth: 'prom:scrape' })).status, 200);
    assert.equal((await httpRequest(k.mport, '/', { auth: 'prom:scrape' })).status, 200);
    assert.equal((await httpRequest(k.mport, '/metrics', { auth: 'app:apppw' })).status, 401, 'a user without INFO');
    assert.equal((await httpRequest(k.mport, '/metrics', { auth: 'off:offpw' })).status, 401, 'a disabled user');
    // CONFIG SET requirepass applies at once.
    await c.call('CONFIG', 'SET', 'requirepass', 'other');
    assert.equal((await httpRequest(k.mport, '/metrics', { auth: 'default:sekret' })).status, 401);
    assert.equal((await httpRequest(k.mport, '/metrics', { auth: 'default:other' })).status, 200);
    await c.call('CONFIG', 'SET', 'requirepass', '');
    assert.equal((await httpRequest(k.mport, '/metrics')).status, 200, 'no password: open (loopback)');
    c.close();
  });
});

describe('metrics port: embedded servers, close and start-up', () => {
  it('two embedded servers with their own metrics ports are independent; closing one frees its port only', async () => {
    const a = await startWithMetrics();
    const b = await startWithMetrics();
    assert.notEqual(a.mport, b.mport);
    assert.equal(a.srv.metricsPort, a.mport);
    const ca = await RawClient.connect(a.srv.port);
    const cb = await RawClient.connect(b.srv.port);
    for (let i = 0; i < 5; i++) await ca.call('SET', `a${i}`, 'x');
    await cb.call('SELECT', '3');
    for (let i = 0; i < 2; i++) await cb.call('RPUSH', `b${i}`, 'x');
    const ma = await scrape(a.mport);
    const mb = await scrape(b.mport);
    assert.equal(ma.get('redis_db_keys', { db: 'db0' }), 5);
    assert.equal(ma.get('redis_db_keys', { db: 'db3' }), 0);
    assert.equal(mb.get('redis_db_keys', { db: 'db0' }), 0);
    assert.equal(mb.get('redis_db_keys', { db: 'db3' }), 2);
    const port = (m: Exposition) =>
      /tcp_port="(\d+)"/.exec([...m.samples.keys()].find((s) => s.startsWith('redis_instance_info')) ?? '')?.[1];
    assert.equal(port(ma), String(a.srv.port));
    assert.equal(port(mb), String(b.srv.port));
    ca.close();
    await a.srv.close();
    assert.equal(await accepts(a.mport), false, 'the closed server frees its metrics port');
    assert.equal((await scrape(b.mport)).get('redis_db_keys', { db: 'db3' }), 2, 'the other one still serves');
    cb.close();
    await b.srv.close();
    assert.equal(await accepts(b.mport), false);
    rmSync(a.dir, { recursive: true, force: true });
    rmSync(b.dir, { recursive: true, force: true });
  });

  it('close() leaves no handle (listeners, SSE streams, timers) and the port can be bound again', async () => {
    // Sockets and listeners of this process (timers of node:test itself come and go).
    const resources = () => process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;
    const baseline = resources();
    const k = await startWithMetrics();
    // An open dashboard stream and a scrape at close time.
    const s = net.connect(k.mport, '127.0.0.1', () => s.write('GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n'));
    s.on('error', () => {});
    await new Promise<void>((r) => s.once('data', () => r()));
    await scrape(k.mport);
    await k.srv.close();
    await new Promise<void>((r) => s.once('close', () => r()));
    for (let i = 0; i < 50 && resources() > baseline; i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(resources() <= baseline, `left: ${process.getActiveResourcesInfo().join(', ')}`);
    const again = net.createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(k.mport, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((r) => again.close(() => r()));
    rmSync(k.dir, { recursive: true, force: true });
  });

  it('SHUTDOWN closes the metrics port too', async () => {
    const k = await startWithMetrics();
    const c = await RawClient.connect(k.srv.port);
    c.writeRaw('*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n');
    for (let i = 0; i < 100 && (await accepts(k.mport)); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await accepts(k.mport), false);
    c.close();
    await k.srv.close();
    rmSync(k.dir, { recursive: true, force: true });
  });

  it('a busy metrics port fails the start-up and frees the Redis port', async () => {
    const busy = net.createServer();
    const mport = await freePort();
    await new Promise<void>((r) => busy.listen(mport, '127.0.0.1', () => r()));
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'keydra-metrics-'));
    await assert.rejects(
      startServer({ port, dir, save: '', metricsPort: mport, bind: '127.0.0.1' }),
      /Failed listening on metrics port \d+ \(HTTP\): EADDRINUSE/,
    );
    assert.equal(await accepts(port), false);
    await new Promise<void>((r) => busy.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('metrics-port: CONFIG GET by name, not in CONFIG GET *, off by default, and --metrics-port on the command line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keydra-metrics-'));
    const off = await startServer({ port: 0, dir, save: '' });
    assert.equal(off.metricsPort, 0);
    const c = await RawClient.connect(off.port);
    assert.deepEqual(await c.call('CONFIG', 'GET', 'metrics-port'), ['metrics-port', '0']);
    const all = (await c.call('CONFIG', 'GET', '*')) as string[];
    assert.ok(!all.includes('metrics-port') && !all.includes('metrics-bind'));
    c.close();
    await off.close();
    const port = await freePort();
    const mport = await freePort();
    const proc = spawn(
      process.execPath,
      [join(process.cwd(), 'bin', 'keydra-server.js'), '--port', String(port), '--metrics-port', String(mport), '--save', '', '--dir', dir],
      {
        stdio: 'ignore',
      },
    );
    try {
      let r: Awaited<ReturnType<typeof httpRequest>> | null = null;
      for (let i = 0; i < 200 && r === null; i++) {
        r = await httpRequest(mport, '/metrics').catch(() => null);
        if (r === null) await new Promise((res) => setTimeout(res, 50));
      }
      assert.ok(r !== null, 'the CLI server serves /metrics');
      assert.equal(parseExposition(r.body).get('redis_up'), 1);
    } finally {
      proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('metrics port: nothing runs per command while nobody scrapes', () => {
  /**
   * Counts calls into every method of the metrics classes (the HTTP server, the Prometheus
   * registry, the dashboard feed, the runtime monitor) for the lifetime of the test.
   */
  function spyOnMetrics(): { calls: Map<string, number>; restore: () => void } {
    const calls = new Map<string, number>();
    const undo: Array<() => void> = [];
    for (const cls of [MetricsServer, PrometheusMetrics, DashboardFeed, RuntimeMonitor]) {
      const proto = cls.prototype as unknown as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(proto)) {
        const d = Object.getOwnPropertyDescriptor(proto, name);
        if (name === 'constructor' || d === undefined || typeof d.value !== 'function') continue;
        const orig = d.value as (...a: unknown[]) => unknown;
        const key = `${cls.name}.${name}`;
        proto[name] = function (this: unknown, ...a: unknown[]) {
          calls.set(key, (calls.get(key) ?? 0) + 1);
          return orig.apply(this, a);
        };
        undo.push(() => {
          proto[name] = orig;
        });
      }
    }
    return {
      calls,
      restore: () => {
        for (const f of undo) f();
      },
    };
  }
  const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

  it('20,000 commands make no call into the metrics code; one scrape reads commandstats as INFO has them', async () => {
    const spy = spyOnMetrics();
    const k = await startWithMetrics();
    const c = await RawClient.connect(k.srv.port);
    try {
      // What the start-up did (listening, the GC observer) is not per command: count from here.
      spy.calls.clear();
      for (let i = 0; i < 20_000; i += 1000) {
        const batch: string[][] = [];
        for (let j = i; j < i + 1000; j++) batch.push(j % 2 === 0 ? ['SET', `k:${j}`, 'v'] : ['GET', `k:${j - 1}`]);
        await c.pipeline(batch);
      }
      assert.deepEqual(Object.fromEntries(spy.calls), {}, 'metrics code run by commands');
      // The first scrape: the spy sees it (so it could have seen per-command work), the registry
      // counts it as the first, and the command counters are INFO commandstats read now.
      const m = await scrape(k.mport);
      assert.ok(
        (spy.calls.get('PrometheusMetrics.scrape') ?? 0) === 1 && total(spy.calls) > 1,
        JSON.stringify(Object.fromEntries(spy.calls)),
      );
      assert.equal(m.get('keydra_metrics_scrapes_total'), 1);
      const stats = String(await c.call('INFO', 'commandstats'));
      for (const cmd of ['set', 'get']) {
        const calls = Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+),`).exec(stats)?.[1]);
        assert.equal(calls, 10_000);
        assert.equal(m.get('redis_commands_total', { cmd }), calls);
      }
      // Commands after the scrape show at the next one, with no work in between.
      spy.calls.clear();
      await c.pipeline(Array.from({ length: 500 }, (_, i) => ['SET', `later:${i}`, 'v']));
      assert.equal(total(spy.calls), 0);
      assert.equal((await scrape(k.mport)).get('redis_commands_total', { cmd: 'set' }), 10_500);
    } finally {
      spy.restore();
      c.close();
      await k.srv.close();
      rmSync(k.dir, { recursive: true, force: true });
    }
  });
});
