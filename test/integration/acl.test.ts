/**
 * ACL with real client libraries (ioredis, node-redis) over real sockets: users from `user`
 * directives, AUTH and HELLO AUTH with a username, NOPERM errors as the libraries surface them,
 * ACL SETUSER/GETUSER/DRYRUN/LOG through the libraries' own command helpers, DELUSER
 * disconnecting a user's clients, and ACL SAVE/LOAD with an aclfile across a restart.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { RawClient } from '../../src/client/rawClient.js';
import { Config } from '../../src/config/config.js';
import { loadConfigText } from '../../src/config/load.js';
import { startServer } from '../../src/index.js';
import type { RespNode } from '../../src/protocol/decoder.js';
import { type Peer, startKeydra } from '../helpers/servers.js';

describe('ACL with real clients', () => {
  let k: Peer;
  before(async () => {
    k = await startKeydra({
      user: 'app on >apppw ~app:* &app:* -@all +@read +@write +@connection +@pubsub +@transaction -@dangerous +acl|whoami',
    });
  });
  after(async () => {
    await k.close();
  });

  it('ioredis: AUTH with a username, key and command permissions, NOPERM errors', async () => {
    const r = new Redis({ port: k.port, username: 'app', password: 'apppw', lazyConnect: true, retryStrategy: () => null });
    await r.connect();
    assert.equal(await r.call('ACL', 'WHOAMI'), 'app');
    assert.equal(await r.set('app:1', 'v'), 'OK');
    assert.equal(await r.get('app:1'), 'v');
    await assert.rejects(r.get('other'), /^ReplyError: NOPERM this user has no permissions to access one of the keys used as arguments/);
    await assert.rejects(r.flushall(), /NOPERM this user has no permissions to run the 'flushall' command/);
    await assert.rejects(r.publish('news', 'x'), /NOPERM this user has no permissions to access one of the channels/);
    assert.equal(await r.publish('app:news', 'x'), 0);
    // A transaction with a denied command is aborted.
    await assert.rejects(r.multi().set('app:2', 'a').get('secret').exec(), /EXECABORT/);
    assert.equal(await r.exists('app:2'), 0);
    r.disconnect();

    const bad = new Redis({ port: k.port, username: 'app', password: 'nope', lazyConnect: true, retryStrategy: () => null });
    const errors: Error[] = [];
    bad.on('error', (e: Error) => errors.push(e));
    await assert.rejects(bad.connect());
    assert.ok(
      errors.some((e) => /WRONGPASS invalid username-password pair or user is disabled/.test(e.message)),
      String(errors),
    );
    bad.disconnect();
  });

  it('node-redis: HELLO 3 AUTH and AUTH, ACL helpers, ACL LOG', async () => {
    for (const RESP of [2, 3] as const) {
      const c = createClient({ socket: { port: k.port }, username: 'app', password: 'apppw', RESP });
      await c.connect();
      assert.equal(await c.sendCommand(['ACL', 'WHOAMI']), 'app');
      assert.equal(await c.set(`app:nr${RESP}`, 'x'), 'OK');
      await assert.rejects(c.set('nope', 'x'), /NOPERM/);
      await c.close();
    }
    const admin = createClient({ socket: { port: k.port } });
    await admin.connect();
    assert.equal(await admin.aclSetUser('reader', ['on', '>r', '~cache:*', '-@all', '+get', '+mget']), 'OK');
    const u = (await admin.aclGetUser('reader')) as unknown as Record<string, unknown>;
    assert.deepEqual(u.passwords, [createHash('sha256').update('r').digest('hex')]);
    assert.equal(u.keys, '~cache:*');
    assert.equal(u.commands, '-@all +get +mget');
    assert.equal(await admin.sendCommand(['ACL', 'DRYRUN', 'reader', 'get', 'cache:1']), 'OK');
    assert.equal(
      await admin.sendCommand(['ACL', 'DRYRUN', 'reader', 'set', 'cache:1', 'x']),
      "This user has no permissions to run the 'set' command",
    );
    const reader = createClient({ socket: { port: k.port }, username: 'reader', password: 'r' });
    await reader.connect();
    await assert.rejects(reader.set('cache:1', 'x'), /NOPERM this user has no permissions to run the 'set' command/);
    await reader.close();
    const io = new Redis({ port: k.port, lazyConnect: true, retryStrategy: () => null });
    await io.connect();
    const log = (await io.call('ACL', 'LOG', '1')) as string[][];
    io.disconnect();
    assert.equal(log.length, 1);
    const entry = log[0];
    assert.deepEqual(
      [entry[2], entry[3], entry[6], entry[7], entry[8], entry[9]],
      ['reason', 'command', 'object', 'set', 'username', 'reader'],
    );
    await admin.close();
  });

  it('ACL DELUSER disconnects the user clients; SETUSER off keeps them', async () => {
    const admin = new Redis({ port: k.port, lazyConnect: true, retryStrategy: () => null });
    await admin.connect();
    await admin.call('ACL', 'SETUSER', 'temp', 'on', '>t', '~*', '+@all');
    const c = new Redis({ port: k.port, username: 'temp', password: 't', lazyConnect: true, retryStrategy: () => null });
    c.on('error', () => {});
    await c.connect();
    assert.equal(await c.ping(), 'PONG');
    await admin.call('ACL', 'SETUSER', 'temp', 'off');
    assert.equal(await c.ping(), 'PONG');
    const closed = new Promise((r) => c.once('end', r));
    assert.equal(await admin.call('ACL', 'DELUSER', 'temp'), 1);
    await closed;
    admin.disconnect();
  });
});

describe('ACL users from the config file', () => {
  it('user directives define users; the default user can be redefined; invalid rules stop the start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keydra-aclconf-'));
    try {
      const cfg = new Config();
      loadConfigText(cfg, 'user ops on >o ~* &* +@all -@dangerous\nuser default on >d ~* &* +@all\n', 'test.conf');
      const srv = await startServer({ port: 0, dir, save: '' }, cfg);
      const c = await RawClient.connect(srv.port);
      const text = async (...argv: string[]): Promise<string> => (await c.send(...argv)).raw.toString('latin1');
      try {
        assert.match(await text('GET', 'x'), /^-NOAUTH/);
        assert.equal(await text('AUTH', 'ops', 'o'), '+OK\r\n');
        assert.match(await text('DEBUG', 'SLEEP', '0'), /^-NOPERM/);
        assert.equal(await text('AUTH', 'd'), '+OK\r\n');
        const list = (await c.call('ACL', 'LIST')) as RespNode[];
        assert.deepEqual(
          list.map((l) => String(l).replace(/#[0-9a-f]{64}/, '#H')),
          ['user default on sanitize-payload #H ~* &* +@all', 'user ops on #H ~* &* +@all -@dangerous'],
        );
      } finally {
        c.close();
        await srv.close();
      }
      for (const bad of ['user x on +nosuch', 'user x on bogus']) {
        const cfg2 = new Config();
        loadConfigText(cfg2, bad, 'test.conf');
        await assert.rejects(startServer({ port: 0, dir, save: '' }, cfg2), /Error loading ACL rule/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ACL file across a restart', () => {
  it('ACL SAVE writes the users; a new server loads them from aclfile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keydra-aclfile-'));
    const file = join(dir, 'users.acl');
    try {
      writeFileSync(file, '');
      const k1 = await startKeydra({ aclfile: file });
      const a = new Redis({ port: k1.port, lazyConnect: true, retryStrategy: () => null });
      await a.connect();
      await a.call('ACL', 'SETUSER', 'worker', 'on', '>w', '~jobs:*', '+@all', '-@dangerous');
      assert.equal(await a.call('ACL', 'SAVE'), 'OK');
      a.disconnect();
      await k1.close();
      assert.match(
        readFileSync(file, 'latin1'),
        /^user default on nopass ~\* &\* \+@all\nuser worker on #[0-9a-f]{64} ~jobs:\* resetchannels \+@all -@dangerous\n$/,
      );
      const k2 = await startKeydra({ aclfile: file });
      const w = new Redis({ port: k2.port, username: 'worker', password: 'w', lazyConnect: true, retryStrategy: () => null });
      await w.connect();
      assert.equal(await w.set('jobs:1', 'x'), 'OK');
      await assert.rejects(w.call('KEYS', '*'), /NOPERM/);
      w.disconnect();
      await k2.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
