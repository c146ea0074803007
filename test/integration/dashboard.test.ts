/**
 * The dashboard (GET / of the metrics port, src/metrics) in a real headless Chromium driven by
 * puppeteer-core: behind requirepass (HTTP Basic), the page loads uPlot from the package (no
 * network but the server's), fills itself from the SSE stream, and its numbers move when load is
 * applied over a real client socket: ops/s rises above 0, the `set` row appears with its ops/s,
 * and the key count reaches DBSIZE. No script error or CSP violation on the page. The Replication
 * panel lists an attached replica (state, acknowledged offset reaching INFO's master_repl_offset) and
 * the replica's own page its primary and link; the Persistence panel shows a slow start-up load's
 * progress (key-load-delay over a 100,000-key RDB) rising, then `no` and the loaded keys. A screenshot goes
 * to dist/test-output/dashboard.png (and to docs/dashboard.png with UPDATE_DASHBOARD_PNG=1).
 * Skips with a message when no Chromium is installed (`apt-get install -y chromium`; CI installs it).
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'puppeteer-core';
import { RawClient } from '../../src/client/rawClient.js';
import { type RunningServer, startServer } from '../../src/index.js';
import { freePort } from '../helpers/servers.js';

/** Debian's chromium (or CHROMIUM_PATH), null when none is installed. */
function chromiumPath(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  for (const p of candidates) if (p && existsSync(p)) return p;
  return null;
}

const NO_CHROMIUM = 'chromium not installed (apt-get install -y chromium): dashboard browser test skipped';
const PASSWORD = 'dash-pw';

/** The page's text of element `id`. */
function text(page: Page, id: string): Promise<string> {
  return page.$eval(`#${id}`, (e) => e.textContent ?? '');
}

/** A number as the page prints it (`12,345`, `1.5`). */
function pageNumber(s: string): number {
  return Number(s.replace(/[^\d.]/g, ''));
}

/**
 * Saves a full-page screenshot to dist/test-output/dashboard.png, and to docs/dashboard.png (the
 * README's) when UPDATE_DASHBOARD_PNG=1.
 */
async function screenshot(page: Page): Promise<void> {
  const outDir = join(process.cwd(), 'dist', 'test-output');
  mkdirSync(outDir, { recursive: true });
  const shot = join(outDir, 'dashboard.png');
  await page.screenshot({ path: shot as `${string}.png`, fullPage: true });
  console.log(`# dashboard screenshot: ${shot}`);
  if (process.env.UPDATE_DASHBOARD_PNG === '1') {
    mkdirSync(join(process.cwd(), 'docs'), { recursive: true });
    copyFileSync(shot, join(process.cwd(), 'docs', 'dashboard.png'));
  }
}

/** Polls `f` every 100 ms until it returns true (or fails after `ms`). */
async function until(what: string, f: () => Promise<boolean>, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('dashboard in headless Chromium', () => {
  const exe = chromiumPath();
  let srv: RunningServer;
  let dir: string;
  let mport: number;
  let browser: Browser | null = null;

  before(async () => {
    if (exe === null) return;
    dir = mkdtempSync(join(tmpdir(), 'keydra-dashboard-'));
    mport = await freePort();
    srv = await startServer({ port: 0, dir, save: '', appendonly: false, metricsPort: mport, requirepass: PASSWORD, maxmemory: '256mb' });
    const puppeteer = (await import('puppeteer-core')).default;
    browser = await puppeteer.launch({
      executablePath: exe,
      headless: true,
      // Root in CI containers: Chromium's sandbox needs user namespaces it may not have.
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check'],
    });
  });

  after(async () => {
    await browser?.close();
    if (exe === null) return;
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses the page without the password', async (t) => {
    if (exe === null || browser === null) return t.skip(NO_CHROMIUM);
    const page = await browser.newPage();
    // Chromium answers the Basic challenge with nothing and ends the navigation.
    const status = await page.goto(`http://127.0.0.1:${mport}/`).then(
      (r) => String(r?.status()),
      (e: Error) => e.message,
    );
    assert.match(status, /^401$|ERR_INVALID_AUTH_CREDENTIALS/);
    await page.close();
  });

  it('shows the server live and its numbers move under load', async (t) => {
    if (exe === null || browser === null) return t.skip(NO_CHROMIUM);
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${(e as Error).message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    // Anything but the server itself would be a CDN or a leak: refuse it.
    await page.setRequestInterception(true);
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.hostname !== '127.0.0.1' || u.port !== String(mport)) {
        problems.push(`external request: ${r.url()}`);
        void r.abort();
      } else void r.continue();
    });
    await page.authenticate({ username: 'default', password: PASSWORD });
    await page.setViewport({ width: 1440, height: 1200 });
    const res = await page.goto(`http://127.0.0.1:${mport}/`, { waitUntil: 'load' });
    assert.equal(res?.status(), 200);
    await until('the first update', async () => (await page.$eval('body', (b) => Number(b.dataset.updates ?? 0))) >= 1);
    assert.equal(await text(page, 'status'), 'live');
    assert.equal(
      await page.evaluate(() => typeof (window as unknown as { uPlot?: unknown }).uPlot),
      'function',
      'uPlot loaded from the package',
    );
    assert.equal(pageNumber(await text(page, 'keys-total')), 0);
    assert.match(await text(page, 'server-line'), new RegExp(`port ${srv.port}`));

    // Load: a client writes keys of several types (and reads some, misses some) for a few seconds.
    const c = await RawClient.connect(srv.port);
    await c.call('AUTH', PASSWORD);
    await c.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    let stop = false;
    let n = 0;
    const load = (async () => {
      while (!stop) {
        const batch: string[][] = [];
        for (let i = 0; i < 200; i++, n++) {
          batch.push(['SET', `user:${n}`, `value-${n}`]);
          if (n % 4 === 0) batch.push(['GET', `user:${n >> 1}`]);
          if (n % 9 === 0) batch.push(['GET', `missing:${n}`]);
          if (n % 10 === 0) batch.push(['RPUSH', `queue:${n % 50}`, String(n)]);
          if (n % 15 === 0) batch.push(['HSET', `session:${n % 300}`, 'f', String(n)]);
          if (n % 20 === 0) batch.push(['ZADD', 'leaderboard', String(n), `p${n % 500}`]);
          if (n % 25 === 0) batch.push(['EXPIRE', `user:${n}`, '3600']);
        }
        await c.pipeline(batch);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      await until('ops/s above 0', async () => pageNumber(await text(page, 'ops')) > 0);
      await until('keys above 0', async () => pageNumber(await text(page, 'keys-total')) > 0);
      await until('a set row with ops/s', async () => {
        const ops = await page.$eval('#cmd-table tr[data-cmd="set"] td.ops', (e) => e.textContent ?? '').catch(() => '0');
        return pageNumber(ops) > 0;
      });
      const rows = await page.$$eval('#cmd-table tbody tr', (trs) => trs.map((tr) => (tr as HTMLElement).dataset.cmd));
      for (const cmd of ['set', 'get', 'rpush', 'hset', 'zadd']) assert.ok(rows.includes(cmd), `${cmd} in ${rows.join(',')}`);
      assert.ok((await page.$$('#slowlog-table tbody tr')).length > 0, 'slow log entries shown');
      assert.match(await text(page, 'hit-ratio'), /^\d+\.\d%$/);
      // Let the charts gather a few points, and take the screenshot under load.
      await new Promise((r) => setTimeout(r, 4500));
      await screenshot(page);
    } finally {
      stop = true;
      await load;
    }
    const dbsize = Number(await c.call('DBSIZE'));
    await until(`the key count to reach DBSIZE ${dbsize}`, async () => pageNumber(await text(page, 'keys-total')) === dbsize);
    assert.equal(pageNumber(await page.$eval('#keyspace-table tr[data-db="0"] td.keys', (e) => e.textContent ?? '')), dbsize);
    const types = await page.$eval('#keyspace-table tr[data-db="0"]', (tr) =>
      ['string', 'list', 'hash', 'zset'].map((ty) => tr.querySelector(`td.type-${ty}`)?.textContent ?? ''),
    );
    for (const ty of types) assert.ok(pageNumber(ty) > 0, `types: ${types.join(' ')}`);
    // Idle again: ops/s falls back to 0 within a couple of ticks.
    await until('ops/s back to 0', async () => pageNumber(await text(page, 'ops')) === 0, 5000);
    await c.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
    c.close();
    assert.deepEqual(problems, []);
    // Not a cluster node: no Cluster panel.
    assert.equal(await page.$eval('#cluster-panel', (e) => (e as HTMLElement).hidden), true);

    await page.close();
  });

  it("the Replication panel lists an attached replica with its state and offset; the replica's page shows its link", async (t) => {
    if (exe === null || browser === null) return t.skip(NO_CHROMIUM);
    const rdir = mkdtempSync(join(tmpdir(), 'keydra-dashboard-replica-'));
    const rm = await freePort();
    const replica = await startServer({
      port: 0,
      dir: rdir,
      save: '',
      appendonly: false,
      metricsPort: rm,
      replicaof: `127.0.0.1 ${srv.port}`,
      masterauth: PASSWORD,
    });
    const c = await RawClient.connect(srv.port);
    await c.call('AUTH', PASSWORD);
    const page = await browser.newPage();
    const rpage = await browser.newPage();
    try {
      await page.authenticate({ username: 'default', password: PASSWORD });
      await page.goto(`http://127.0.0.1:${mport}/`, { waitUntil: 'load' });
      const me = `127.0.0.1:${replica.port}`;
      const row = () =>
        page.$eval(`#replicas-table tr[data-replica="${me}"]`, (tr) => ({
          state: tr.querySelector('td.state')?.textContent ?? '',
          offset: Number(tr.querySelector('td.offset')?.textContent ?? 'NaN'),
        }));
      await until("the replica online on the primary's page", async () => (await row().catch(() => null))?.state === 'online');
      assert.equal(await text(page, 'repl-replicas'), '1');
      // Writes move the offsets: the page follows INFO's (the replica acknowledges every second).
      const before = (await row()).offset;
      for (let i = 0; i < 50; i++) await c.call('SET', `repl:${i}`, 'x'.repeat(100));
      const info = String(await c.call('INFO', 'replication'));
      const primaryOffset = Number(/master_repl_offset:(\d+)/.exec(info)?.[1]);
      assert.ok(primaryOffset > before, `${primaryOffset} > ${before}`);
      await until(`the page's repl offset at ${primaryOffset}`, async () => Number(await text(page, 'repl-offset')) >= primaryOffset);
      await until(`the replica's acknowledged offset at ${primaryOffset}`, async () => (await row()).offset >= primaryOffset);
      const slave0 = /slave0:ip=([^,]+),port=(\d+),state=(\w+),offset=(\d+)/.exec(String(await c.call('INFO', 'replication')));
      assert.deepEqual(slave0?.slice(1, 3), ['127.0.0.1', String(replica.port)]);
      assert.equal((await row()).state, slave0?.[3]);
      // The replica's own page: its role, its primary and the link, its offset reaching the primary's.
      await rpage.goto(`http://127.0.0.1:${rm}/`, { waitUntil: 'load' });
      await until('the replica page', async () => (await text(rpage, 'role').catch(() => '')) === 'slave');
      assert.equal(await text(rpage, 'repl-primary'), `127.0.0.1:${srv.port}`);
      await until('link up', async () => (await text(rpage, 'repl-link')) === 'up');
      await until('the replica offset', async () => Number(await text(rpage, 'repl-replica-offset')) >= primaryOffset);
    } finally {
      await page.close();
      await rpage.close();
      c.close();
      await replica.close();
      rmSync(rdir, { recursive: true, force: true });
    }
  });

  it('the Persistence panel shows the loading progress of a slow start-up load, then the dataset', async (t) => {
    if (exe === null || browser === null) return t.skip(NO_CHROMIUM);
    const ldir = mkdtempSync(join(tmpdir(), 'keydra-dashboard-loading-'));
    const KEYS = 100_000;
    // An RDB of 100,000 keys, made by a server that then closes.
    const maker = await startServer({ port: 0, dir: ldir, save: '', appendonly: false });
    const m = await RawClient.connect(maker.port);
    for (let i = 0; i < KEYS; i += 2000) {
      const batch: string[][] = [];
      for (let j = i; j < i + 2000; j++) batch.push(['SET', `k:${j}`, `value:${j}`]);
      await m.pipeline(batch);
    }
    assert.deepEqual(await m.call('SAVE'), { t: '+', v: 'OK' });
    m.close();
    await maker.close();
    // key-load-delay (µs per key): ~40 ms per 1,024 keys, so the load lasts ~4 s.
    const lm = await freePort();
    const starting = startServer({ port: 0, dir: ldir, save: '', appendonly: false, metricsPort: lm, 'key-load-delay': 40 });
    const page = await browser.newPage();
    let loaded: RunningServer | null = null;
    try {
      // The metrics port opens before the load: the page comes up while it runs.
      await until('the page during the load', async () =>
        page.goto(`http://127.0.0.1:${lm}/`, { waitUntil: 'load' }).then(
          (r) => r?.status() === 200,
          () => false,
        ),
      );
      const seen: number[] = [];
      await until('two progress updates', async () => {
        const l = await text(page, 'loading').catch(() => '');
        const mm = /^(\d+(?:\.\d+)?)% · eta (\d+)s$/.exec(l);
        if (mm !== null && Number(mm[1]) !== seen.at(-1)) seen.push(Number(mm[1]));
        return seen.length >= 2;
      });
      assert.ok(seen[1] > seen[0] && seen[1] < 100, `progress ${seen.join(' → ')}`);
      t.diagnostic(`loading progress on the page: ${seen.join('% → ')}%`);
      loaded = await starting;
      await until('loading done', async () => (await text(page, 'loading')) === 'no');
      await until(`${KEYS} keys`, async () => pageNumber(await text(page, 'keys-total')) === KEYS);
    } finally {
      await page.close();
      await (loaded ?? (await starting.catch(() => null)))?.close();
      rmSync(ldir, { recursive: true, force: true });
    }
  });

  it('a cluster node shows the Cluster panel: its state and the nodes with their slots', async (t) => {
    if (exe === null || browser === null) return t.skip(NO_CHROMIUM);
    const cdir = mkdtempSync(join(tmpdir(), 'keydra-dashboard-cluster-'));
    const cm = await freePort();
    const node = await startServer({
      port: 0,
      dir: cdir,
      save: '',
      appendonly: false,
      metricsPort: cm,
      'cluster-enabled': true,
      'cluster-port': 0,
    });
    const c = await RawClient.connect(node.port);
    const page = await browser.newPage();
    try {
      assert.deepEqual(await c.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383'), { t: '+', v: 'OK' });
      const myId = String(await c.call('CLUSTER', 'MYID'));
      await page.goto(`http://127.0.0.1:${cm}/`, { waitUntil: 'load' });
      await until('the Cluster panel', async () => !(await page.$eval('#cluster-panel', (e) => (e as HTMLElement).hidden)));
      await until('cluster state ok', async () => (await text(page, 'cluster-state')) === 'ok');
      const row = await page.$eval(`#cluster-table tr[data-node="${myId}"]`, (tr) =>
        [...tr.querySelectorAll('td')].map((td) => td.textContent),
      );
      assert.equal(row[2], 'primary');
      assert.equal(row[4], '16384');
      assert.match(String(row[0]), /\(this node\)$/);
    } finally {
      await page.close();
      c.close();
      await node.close();
      rmSync(cdir, { recursive: true, force: true });
    }
  });
});
