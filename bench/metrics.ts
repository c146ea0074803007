/**
 * `node dist/bench/metrics.js [--scrapes N] [--keys K]`: the cost of one /metrics scrape and of one
 * dashboard state (src/metrics), on an embedded Keydra with every db holding keys and every
 * implemented command (~230, subcommands included) in its commandstats.
 *
 * Set-up: `databases 16`, K keys (default 1000) of mixed types spread over the 16 dbs; each command
 * of the table is sent once (most with no arguments: the arity error counts it as a rejected call,
 * which puts it in commandstats as any call does), plus SET/GET traffic so latency histograms fill.
 * Then N scrapes (default 200) over HTTP, one after the other: reported are the mean and p50/p99 of
 * the client-side time per scrape (HTTP round trip included), the server's own time per scrape
 * (keydra_metrics_scrape_duration_seconds), the exposition size, and the time of one dashboard
 * state (DashboardFeed.next).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawClient } from '../src/client/rawClient.js';
import { startServer } from '../src/index.js';
import { DashboardFeed } from '../src/metrics/dashboard.js';
import { RuntimeMonitor } from '../src/metrics/runtime.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

function get(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: keepAlive }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const scrapes = arg('--scrapes', 200);
  const keys = arg('--keys', 1000);
  const dir = mkdtempSync(join(tmpdir(), 'keydra-bench-metrics-'));
  const probe = http.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const metricsPort = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const srv = await startServer({ port: 0, dir, save: '', appendonly: false, databases: 16, metricsPort });
  const c = await RawClient.connect(srv.port);
  for (let i = 0; i < keys; i++) {
    if (i % Math.ceil(keys / 16) === 0) await c.send('SELECT', String(Math.floor(i / Math.ceil(keys / 16))));
    const k = `k${i}`;
    const t = i % 5;
    if (t === 0) await c.send('SET', k, 'v');
    else if (t === 1) await c.send('RPUSH', k, 'a', 'b');
    else if (t === 2) await c.send('SADD', k, 'a');
    else if (t === 3) await c.send('HSET', k, 'f', 'v');
    else await c.send('ZADD', k, '1', 'm');
    if (i % 7 === 0) await c.send('EXPIRE', k, '3600');
  }
  await c.send('SELECT', '0');
  const unsafe = new Set([
    'shutdown',
    'monitor',
    'subscribe',
    'psubscribe',
    'ssubscribe',
    'quit',
    'reset',
    'debug',
    'multi',
    'exec',
    'discard',
    'watch',
    'sync',
    'psync',
    'replicaof',
    'slaveof',
    'failover',
    'client',
    'hello',
    'auth',
    'wait',
    'save',
    'bgsave',
    'bgrewriteaof',
    'flushall',
    'flushdb',
    'swapdb',
    'select',
    'move',
    'migrate',
  ]);
  let names = 0;
  for (const cmd of srv.server.commands.all) {
    const name = cmd.fullName;
    if (unsafe.has(name)) continue;
    if (cmd.subcommands !== null) {
      for (const sub of cmd.subcommands.keys()) {
        if (sub === 'help') {
          await c.send(name, sub);
          names++;
        }
      }
      continue;
    }
    await c.send(name);
    names++;
  }
  for (let i = 0; i < 2000; i++) await c.send(i % 2 ? 'GET' : 'SET', 'hot', 'x');
  c.close();
  // Warm-up, then measured scrapes.
  for (let i = 0; i < 20; i++) await get(metricsPort, '/metrics');
  const times: number[] = [];
  const server: number[] = [];
  let size = 0;
  for (let i = 0; i < scrapes; i++) {
    const t0 = performance.now();
    const body = await get(metricsPort, '/metrics');
    times.push(performance.now() - t0);
    size = body.length;
    const m = /keydra_metrics_scrape_duration_seconds ([\d.e-]+)/.exec(body);
    if (m) server.push(Number(m[1]) * 1000);
  }
  const cmdSeries = new Set((await get(metricsPort, '/metrics')).match(/^redis_commands_total\{cmd="[^"]+"\}/gm) ?? []).size;
  times.sort((a, b) => a - b);
  server.sort((a, b) => a - b);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const feed = new DashboardFeed(srv.server, new RuntimeMonitor(), 'bench');
  feed.next();
  const dash: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    feed.next();
    dash.push(performance.now() - t0);
  }
  console.log(`commands sent: ${names} distinct; redis_commands_total series: ${cmdSeries}; dbs: 16, keys: ${keys}`);
  console.log(`exposition: ${(size / 1024).toFixed(1)} KiB`);
  console.log(
    `scrape (HTTP GET, client side): mean ${mean(times).toFixed(2)} ms, p50 ${pct(times, 50).toFixed(2)} ms, p99 ${pct(times, 99).toFixed(2)} ms over ${scrapes}`,
  );
  console.log(`scrape (server side, snapshot + formatting): mean ${mean(server).toFixed(2)} ms, p50 ${pct(server, 50).toFixed(2)} ms`);
  console.log(`dashboard state: mean ${mean(dash).toFixed(2)} ms`);
  keepAlive.destroy();
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
}

await main();
