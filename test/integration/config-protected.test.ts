/**
 * CONFIG SET/GET of Redis 7.0's whole directive table against a real redis-server: protected
 * configs (`enable-protected-configs no|yes|local` for dir and dbfilename), file names that must
 * not be paths, immutable configs, the directives Keydra accepts without implementing them
 * (stubs: same names, ranges, defaults and aliases), client-output-buffer-limit per class, save
 * rules, and CONFIG SET port / bind rebinding the listeners.
 * Source: Redis 7.0 config.c (configSetCommand, standardConfig table, isValidDBfilename).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import { type Differential, useDifferential } from '../helpers/differential.js';
import { freePort, NO_REDIS } from '../helpers/servers.js';

/** CONFIG GET reply (RESP2 flat array) as a name → value map. */
function asMap(reply: unknown): Map<string, string> {
  const out = new Map<string, string>();
  const v = reply as string[];
  for (let i = 0; i < v.length; i += 2) out.set(v[i], v[i + 1]);
  return out;
}

describe('protected configs: enable-protected-configs no (default)', () => {
  let d: Differential | null = null;
  const same = useDifferential((x) => (d = x));

  it('CONFIG SET dir and dbfilename are refused as protected', async (t) => {
    if (d === null) return t.skip(NO_REDIS);
    await same(['CONFIG', 'SET', 'dir', '/tmp'], ['CONFIG', 'SET', 'dbfilename', 'other.rdb'], ['CONFIG', 'GET', 'dbfilename']);
    // The first refused argument is named; immutable ones say so.
    await same(['CONFIG', 'SET', 'maxmemory', '10mb', 'dbfilename', 'x.rdb'], ['CONFIG', 'GET', 'maxmemory']);
    await same(
      ['CONFIG', 'SET', 'appendfilename', 'x.aof'],
      ['CONFIG', 'SET', 'appenddirname', 'x'],
      ['CONFIG', 'SET', 'enable-protected-configs', 'yes'],
    );
    await same(['CONFIG', 'SET', 'rdbchecksum', 'no'], ['CONFIG', 'GET', 'enable-protected-configs']);
  });

  it('sanitize-dump-payload takes no|yes|clients', async (t) => {
    if (d === null) return t.skip(NO_REDIS);
    await same(
      ['CONFIG', 'GET', 'sanitize-dump-payload'],
      ['CONFIG', 'SET', 'sanitize-dump-payload', 'clients'],
      ['CONFIG', 'GET', 'sanitize-dump-payload'],
      ['CONFIG', 'SET', 'sanitize-dump-payload', 'maybe'],
      ['CONFIG', 'SET', 'sanitize-dump-payload', 'yes'],
      ['CONFIG', 'GET', 'sanitize-dump-payload'],
    );
  });

  it('every Redis 7.0 directive is known: CONFIG GET * lists the same names', async (t) => {
    if (d === null) return t.skip(NO_REDIS);
    const [r, k] = await Promise.all([d.r.call('CONFIG', 'GET', '*'), d.k.call('CONFIG', 'GET', '*')]);
    const rn = [...asMap(r).keys()].sort();
    const kn = [...asMap(k).keys()].sort();
    assert.deepEqual(
      kn.filter((n) => !rn.includes(n)),
      [],
      'names Keydra lists and Redis does not',
    );
    assert.deepEqual(
      rn.filter((n) => !kn.includes(n)),
      [],
      'names Redis lists and Keydra does not',
    );
  });

  it('stub directives: defaults, ranges, aliases, percent values and hidden ones as Redis', async (t) => {
    if (d === null) return t.skip(NO_REDIS);
    await same(
      ['CONFIG', 'GET', 'repl-timeout'],
      ['CONFIG', 'SET', 'repl-timeout', '0'],
      ['CONFIG', 'SET', 'repl-timeout', '120'],
      ['CONFIG', 'GET', 'repl-timeout'],
      ['CONFIG', 'SET', 'slave-read-only', 'no'],
      ['CONFIG', 'GET', 'replica-read-only'],
      ['CONFIG', 'GET', 'slave-read-only'],
      ['CONFIG', 'SET', 'slave-read-only', 'maybe'],
      ['CONFIG', 'SET', 'maxmemory-clients', '10%'],
      ['CONFIG', 'GET', 'maxmemory-clients'],
      ['CONFIG', 'SET', 'maxmemory-clients', '1mb'],
      ['CONFIG', 'GET', 'maxmemory-clients'],
      ['CONFIG', 'GET', 'rdb-key-save-delay'],
      ['CONFIG', 'GET', 'rdb-key-save-*'],
      ['CONFIG', 'SET', 'rdb-key-save-delay', '100'],
      ['CONFIG', 'GET', 'rdb-key-save-delay'],
      ['CONFIG', 'SET', 'rdb-key-save-delay', '0'],
      ['CONFIG', 'SET', 'replicaof', 'no one'],
      ['CONFIG', 'GET', 'replicaof'],
      ['CONFIG', 'SET', 'oom-score-adj-values', '0 200'],
      ['CONFIG', 'SET', 'oom-score-adj-values', '0 200 3000'],
      ['CONFIG', 'SET', 'oom-score-adj-values', '0 100 800'],
      ['CONFIG', 'GET', 'oom-score-adj-values'],
      ['CONFIG', 'SET', 'shutdown-on-sigterm', 'nosave force'],
      ['CONFIG', 'GET', 'shutdown-on-sigterm'],
      ['CONFIG', 'SET', 'shutdown-on-sigterm', 'save nosave'],
      ['CONFIG', 'SET', 'shutdown-on-sigterm', 'default'],
      ['CONFIG', 'SET', 'latency-tracking-info-percentiles', '50 101'],
      ['CONFIG', 'SET', 'latency-tracking-info-percentiles', 'abc'],
      ['CONFIG', 'GET', 'latency-tracking-info-percentiles'],
      ['CONFIG', 'SET', 'io-threads', '2'],
      ['CONFIG', 'SET', 'cluster-enabled', 'yes'],
      ['CONFIG', 'GET', 'always-show-logo'],
    );
  });

  it('client-output-buffer-limit changes only the classes given; save rules are checked', async (t) => {
    if (d === null) return t.skip(NO_REDIS);
    await same(
      ['CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 1mb 2mb 30'],
      ['CONFIG', 'GET', 'client-output-buffer-limit'],
      ['CONFIG', 'SET', 'client-output-buffer-limit', 'normal 0 0 0 slave 1000 100 1'],
      ['CONFIG', 'GET', 'client-output-buffer-limit'],
      ['CONFIG', 'SET', 'save', '0 1'],
      ['CONFIG', 'SET', 'save', '10 -1'],
      ['CONFIG', 'SET', 'save', '10 1 20'],
      ['CONFIG', 'SET', 'save', '100 1 20 0'],
      ['CONFIG', 'GET', 'save'],
      ['CONFIG', 'SET', 'save', ''],
    );
  });

  it('CONFIG SET port to a busy port fails as Redis and keeps the old listener; a free one moves it', async (t) => {
    if (d === null) return t.skip(NO_REDIS);
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const busyPort = (busy.address() as net.AddressInfo).port;
    try {
      await same(['CONFIG', 'SET', 'port', String(busyPort)], ['PING']);
      for (const [client, peer] of [
        [d.r, d.redis],
        [d.k, d.keydra],
      ] as const) {
        const np = await freePort();
        assert.deepEqual(await client.call('CONFIG', 'SET', 'port', String(np)), { t: '+', v: 'OK' });
        // The connected client stays; new clients reach the new port, not the old one.
        assert.deepEqual(await client.call('PING'), { t: '+', v: 'PONG' });
        const c2 = await RawClient.connect(np);
        assert.deepEqual(await c2.call('PING'), { t: '+', v: 'PONG' });
        c2.close();
        await assert.rejects(RawClient.connect(peer.port));
        assert.deepEqual(await client.call('CONFIG', 'SET', 'port', String(peer.port)), { t: '+', v: 'OK' });
      }
    } finally {
      busy.close();
    }
  });

  it('CONFIG SET bind to an address not on this host fails as Redis; a valid one rebinds', async (t) => {
    if (d === null) return t.skip(NO_REDIS);
    await same(['CONFIG', 'SET', 'bind', '192.0.2.1'], ['PING']);
    await same(['CONFIG', 'SET', 'bind', '127.0.0.1'], ['CONFIG', 'GET', 'bind']);
    for (const peer of [d.redis, d.keydra]) {
      const c = await RawClient.connect(peer.port);
      assert.deepEqual(await c.call('PING'), { t: '+', v: 'PONG' });
      c.close();
    }
  });
});

describe('protected configs: enable-protected-configs yes', () => {
  let d: Differential | null = null;
  let base: string;
  before(() => {
    base = mkdtempSync(join(tmpdir(), 'keydra-prot-'));
  });
  after(() => rmSync(base, { recursive: true, force: true }));
  const same = useDifferential((x) => (d = x), {
    redisArgs: ['--enable-protected-configs', 'yes'],
    keydra: { 'enable-protected-configs': 'yes' },
  });

  it('dbfilename must be a file name, not a path', async (t) => {
    if (d === null) return t.skip(NO_REDIS);
    await same(
      ['CONFIG', 'SET', 'dbfilename', 'sub/dump.rdb'],
      ['CONFIG', 'SET', 'dbfilename', 'a\\b.rdb'],
      ['CONFIG', 'SET', 'dbfilename', 'mine.rdb'],
      ['CONFIG', 'GET', 'dbfilename'],
    );
  });

  it('dir must be an existing directory; it is answered as an absolute path', async (t) => {
    if (d === null) return t.skip(NO_REDIS);
    await same(['CONFIG', 'SET', 'dir', join(base, 'missing')], ['CONFIG', 'SET', 'dir', base]);
    for (const client of [d.r, d.k]) {
      assert.deepEqual(asMap(await client.call('CONFIG', 'GET', 'dir')).get('dir'), base);
    }
  });
});

describe('protected configs: enable-protected-configs local', () => {
  let d: Differential | null = null;
  const same = useDifferential((x) => (d = x), {
    redisArgs: ['--enable-protected-configs', 'local'],
    keydra: { 'enable-protected-configs': 'local' },
  });

  it('a loopback client may set protected configs', async (t) => {
    if (d === null) return t.skip(NO_REDIS);
    await same(
      ['CONFIG', 'SET', 'dbfilename', 'local.rdb'],
      ['CONFIG', 'GET', 'dbfilename'],
      ['CONFIG', 'GET', 'enable-protected-configs'],
    );
  });
});
