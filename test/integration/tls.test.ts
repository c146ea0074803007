/**
 * TLS (src/server/tls.ts) over real sockets, with certificates made by openssl in a temp dir the
 * way Redis's utils/gen-test-certs.sh makes them: redis-cli --tls and redis-benchmark --tls,
 * ioredis and node-redis with `tls` options, the plain port beside the TLS one, `port 0` for TLS
 * only, tls-auth-clients yes/optional/no, certificate rotation with CONFIG SET (and a bad file
 * refused with Redis's error while the old certificate keeps being served, compared with a
 * redis-server started with TLS), and replication over TLS (tls-replication yes): a Keydra
 * replica of a Keydra primary and of a redis-server primary listening on TLS only.
 * Skips with a message when openssl is not installed; the redis-server parts skip without it.
 */
import { makeCA, openssl, signCert } from '../../scripts/lib/testCerts.js';
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { RawClient } from '../../src/client/rawClient.js';
import { startServer } from '../../src/index.js';
import { freePort, NO_REDIS, type Peer, redisServerPath, startKeydra } from '../helpers/servers.js';

const HAS_OPENSSL = spawnSync('openssl', ['version']).status === 0;
const NO_OPENSSL = 'openssl not installed: TLS tests skipped (apt-get install -y openssl)';
/** A +OK reply as RawClient gives it. */
const OK = { t: '+', v: 'OK' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** File names of the certificates made by makeCerts. */
interface Certs {
  dir: string;
  ca: string;
  caKey: string;
  /** Generic certificate (server and client use), signed by the CA. */
  redisCrt: string;
  redisKey: string;
  client: string;
  clientKey: string;
  /** A second server certificate (CN "Rotated-cert") for CONFIG SET rotation. */
  rotated: string;
  rotatedKey: string;
  /** A certificate from another, untrusted CA. */
  foreign: string;
  foreignKey: string;
}

/** A CA and certificates signed by it, as utils/gen-test-certs.sh (2048-bit keys, no DH params). */
function makeCerts(): Certs {
  const dir = mkdtempSync(join(tmpdir(), 'keydra-tls-'));
  writeFileSync(
    join(dir, 'openssl.cnf'),
    '[ server_cert ]\nkeyUsage = digitalSignature, keyEncipherment\nnsCertType = server\n\n[ client_cert ]\nkeyUsage = digitalSignature, keyEncipherment\nnsCertType = client\n',
  );
  makeCA(dir, '/O=Keydra Test/CN=Certificate Authority');
  signCert(dir, 'redis', '/O=Keydra Test/CN=Generic-cert');
  signCert(dir, 'client', '/O=Keydra Test/CN=Client-only', ['-extfile', 'openssl.cnf', '-extensions', 'client_cert']);
  signCert(dir, 'rotated', '/O=Keydra Test/CN=Rotated-cert');
  // A self-signed certificate of another CA.
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'foreign.key',
    '-subj',
    '/CN=Foreign',
    '-days',
    '30',
    '-out',
    'foreign.crt',
  ]);
  const f = (n: string) => join(dir, n);
  return {
    dir,
    ca: f('ca.crt'),
    caKey: f('ca.key'),
    redisCrt: f('redis.crt'),
    redisKey: f('redis.key'),
    client: f('client.crt'),
    clientKey: f('client.key'),
    rotated: f('rotated.crt'),
    rotatedKey: f('rotated.key'),
    foreign: f('foreign.crt'),
    foreignKey: f('foreign.key'),
  };
}

/** The directives of a TLS server with the generic certificate. */
function tlsOptions(c: Certs, tlsPort: number): Record<string, string | number> {
  return { 'tls-port': tlsPort, 'tls-cert-file': c.redisCrt, 'tls-key-file': c.redisKey, 'tls-ca-cert-file': c.ca };
}

interface Answer {
  /** The first reply line, or the error that ended the connection. */
  reply: string;
  /** CN of the server certificate seen, when the handshake completed. */
  cn?: string;
}

/**
 * Connects with TLS (client certificate `cert`/`key` when given), sends `cmd` as an inline
 * command and returns the first reply line, or `error: <text>` when the connection fails or closes first.
 */
function tlsAsk(port: number, c: Certs, cmd: string, cert?: [string, string]): Promise<Answer> {
  return new Promise((resolve) => {
    let cn: string | undefined;
    let data = '';
    let done = false;
    const finish = (a: Answer) => {
      if (done) return;
      done = true;
      s.destroy();
      resolve(a);
    };
    const s = tls.connect(
      {
        host: '127.0.0.1',
        port,
        ca: readFileSync(c.ca),
        ...(cert ? { cert: readFileSync(cert[0]), key: readFileSync(cert[1]) } : {}),
        checkServerIdentity: () => undefined,
      },
      () => {
        cn = s.getPeerCertificate().subject?.CN as string | undefined;
        s.write(`${cmd}\r\n`);
      },
    );
    s.on('data', (d) => {
      data += d.toString('latin1');
      const i = data.indexOf('\r\n');
      if (i >= 0) finish({ reply: data.slice(0, i), cn });
    });
    s.on('error', (e) => finish({ reply: `error: ${e.message}`, cn }));
    s.on('close', () => finish({ reply: 'error: closed', cn }));
    setTimeout(() => finish({ reply: 'error: timeout', cn }), 5000).unref();
  });
}

/** Runs a program without blocking the event loop (the server under test is in this process). */
function run(cmd: string, args: string[], timeout = 60000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', timeout }, (err, stdout, stderr) => {
      resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** redis-cli over TLS with the client certificate; output trimmed. */
async function cli(port: number, c: Certs, ...args: string[]): Promise<string> {
  const r = await run(
    'redis-cli',
    ['-p', String(port), '--tls', '--cacert', c.ca, '--cert', c.client, '--key', c.clientKey, ...args],
    10000,
  );
  return `${r.stdout}${r.stderr}`.trim();
}

const HAS_CLI = spawnSync('redis-cli', ['--version']).status === 0;

/** Waits (bounded) until `cond` holds. */
async function waitFor(what: string, cond: () => Promise<boolean>, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await sleep(100);
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('TLS', { skip: HAS_OPENSSL ? false : NO_OPENSSL }, () => {
  let certs: Certs;
  let k: Peer & { running: Awaited<ReturnType<typeof startServer>> };
  let tlsPort: number;

  before(async () => {
    certs = makeCerts();
    tlsPort = await freePort();
    // `port 0` with a tls-port would be TLS only (as Redis): the plain port is given.
    k = await startKeydra({ port: await freePort(), ...tlsOptions(certs, tlsPort) });
  });
  after(async () => {
    await k?.close();
    rmSync(certs.dir, { recursive: true, force: true });
  });

  it('serves redis-cli --tls (PING, SET, GET) and the plain port beside it', {
    skip: HAS_CLI ? false : 'redis-cli not installed',
  }, async () => {
    assert.equal(await cli(tlsPort, certs, 'PING'), 'PONG');
    assert.equal(await cli(tlsPort, certs, 'SET', 'tls:k', 'v1'), 'OK');
    assert.equal(await cli(tlsPort, certs, 'GET', 'tls:k'), 'v1');
    const plain = await RawClient.connect(k.port);
    assert.equal(await plain.call('GET', 'tls:k'), 'v1');
    // INFO as Redis: tcp_port is the plain port; CONFIG GET tls-port the TLS one.
    assert.match((await plain.call('INFO', 'server')) as string, new RegExp(`tcp_port:${k.port}\r\n`));
    assert.deepEqual(await plain.call('CONFIG', 'GET', 'tls-port'), ['tls-port', String(tlsPort)]);
    plain.close();
  });

  it('serves ioredis and node-redis with tls options (pipelines, binary values)', async () => {
    const tlsOpts = { ca: readFileSync(certs.ca), cert: readFileSync(certs.client), key: readFileSync(certs.clientKey) };
    const io = new Redis({
      host: '127.0.0.1',
      port: tlsPort,
      tls: { ...tlsOpts, checkServerIdentity: () => undefined },
      lazyConnect: true,
    });
    await io.connect();
    const big = Buffer.alloc(200_000, 0xab);
    await io.set('tls:big', big);
    assert.deepEqual(await io.getBuffer('tls:big'), big);
    const p = io.pipeline();
    for (let i = 0; i < 500; i++) p.incr('tls:ctr');
    const res = await p.exec();
    assert.deepEqual(res?.at(-1), [null, 500]);
    io.disconnect();
    const nr = createClient({ socket: { host: '127.0.0.1', port: tlsPort, tls: true, ...tlsOpts, checkServerIdentity: () => undefined } });
    nr.on('error', () => {});
    await nr.connect();
    assert.equal(await nr.get('tls:ctr'), '500');
    assert.equal(await nr.ping(), 'PONG');
    await nr.quit();
  });

  it('tls-auth-clients yes refuses a client without a certificate, optional accepts it, both refuse an untrusted one', async () => {
    assert.match((await tlsAsk(tlsPort, certs, 'PING')).reply, /^error:/);
    assert.equal((await tlsAsk(tlsPort, certs, 'PING', [certs.client, certs.clientKey])).reply, '+PONG');
    const c = await RawClient.connect(k.port);
    assert.deepEqual(await c.call('CONFIG', 'SET', 'tls-auth-clients', 'optional'), OK);
    assert.equal((await tlsAsk(tlsPort, certs, 'PING')).reply, '+PONG');
    assert.match((await tlsAsk(tlsPort, certs, 'PING', [certs.foreign, certs.foreignKey])).reply, /^error:/);
    assert.deepEqual(await c.call('CONFIG', 'SET', 'tls-auth-clients', 'no'), OK);
    assert.equal((await tlsAsk(tlsPort, certs, 'PING', [certs.foreign, certs.foreignKey])).reply, '+PONG');
    assert.deepEqual(await c.call('CONFIG', 'SET', 'tls-auth-clients', 'yes'), OK);
    assert.match((await tlsAsk(tlsPort, certs, 'PING')).reply, /^error:/);
    c.close();
  });

  it('CONFIG SET tls-cert-file/tls-key-file rotates the certificate for new connections; a bad file is refused and the old one kept', async () => {
    const c = await RawClient.connect(k.port);
    const kc: [string, string] = [certs.client, certs.clientKey];
    // A connection opened before the rotation keeps working.
    const io = new Redis({
      host: '127.0.0.1',
      port: tlsPort,
      tls: {
        ca: readFileSync(certs.ca),
        cert: readFileSync(certs.client),
        key: readFileSync(certs.clientKey),
        checkServerIdentity: () => undefined,
      },
    });
    assert.equal(await io.ping(), 'PONG');
    assert.equal((await tlsAsk(tlsPort, certs, 'PING', kc)).cn, 'Generic-cert');
    assert.deepEqual(await c.call('CONFIG', 'SET', 'tls-cert-file', certs.rotated, 'tls-key-file', certs.rotatedKey), OK);
    const after1 = await tlsAsk(tlsPort, certs, 'PING', kc);
    assert.deepEqual(after1, { reply: '+PONG', cn: 'Rotated-cert' });
    assert.equal(await io.ping(), 'PONG');
    io.disconnect();
    // A missing file and a key that does not match: Redis's error, values and certificate unchanged.
    const bad = await c.call('CONFIG', 'SET', 'tls-cert-file', join(certs.dir, 'missing.crt'));
    assert.deepEqual(bad, {
      t: '-',
      v: "ERR CONFIG SET failed (possibly related to argument 'tls-cert-file') - Unable to update TLS configuration. Check server logs.",
    });
    const mismatch = await c.call('CONFIG', 'SET', 'tls-key-file', certs.redisKey);
    assert.equal((mismatch as { t: string }).t, '-');
    assert.deepEqual(await c.call('CONFIG', 'GET', 'tls-cert-file'), ['tls-cert-file', certs.rotated]);
    assert.deepEqual(await c.call('CONFIG', 'GET', 'tls-key-file'), ['tls-key-file', certs.rotatedKey]);
    assert.deepEqual(await tlsAsk(tlsPort, certs, 'PING', kc), { reply: '+PONG', cn: 'Rotated-cert' });
    assert.deepEqual(await c.call('CONFIG', 'SET', 'tls-cert-file', certs.redisCrt, 'tls-key-file', certs.redisKey), OK);
    assert.equal((await tlsAsk(tlsPort, certs, 'PING', kc)).cn, 'Generic-cert');
    // tls-protocols: a bad word is refused; TLSv1.2 only is then what a client negotiates.
    assert.equal(((await c.call('CONFIG', 'SET', 'tls-protocols', 'TLSv9')) as { t: string }).t, '-');
    assert.deepEqual(await c.call('CONFIG', 'SET', 'tls-protocols', 'TLSv1.2'), OK);
    const proto = await new Promise<string | null>((resolve) => {
      const s = tls.connect(
        {
          port: tlsPort,
          host: '127.0.0.1',
          ca: readFileSync(certs.ca),
          cert: readFileSync(certs.client),
          key: readFileSync(certs.clientKey),
          checkServerIdentity: () => undefined,
        },
        () => {
          resolve(s.getProtocol());
          s.destroy();
        },
      );
      s.on('error', () => resolve(null));
    });
    assert.equal(proto, 'TLSv1.2');
    assert.deepEqual(await c.call('CONFIG', 'SET', 'tls-protocols', ''), OK);
    c.close();
  });

  it('CONFIG SET tls-port moves the TLS listener', async () => {
    const c = await RawClient.connect(k.port);
    const p2 = await freePort();
    assert.deepEqual(await c.call('CONFIG', 'SET', 'tls-port', String(p2)), OK);
    assert.equal((await tlsAsk(p2, certs, 'PING', [certs.client, certs.clientKey])).reply, '+PONG');
    assert.match((await tlsAsk(tlsPort, certs, 'PING', [certs.client, certs.clientKey])).reply, /^error:/);
    assert.deepEqual(await c.call('CONFIG', 'SET', 'tls-port', String(tlsPort)), OK);
    assert.equal((await tlsAsk(tlsPort, certs, 'PING', [certs.client, certs.clientKey])).reply, '+PONG');
    c.close();
  });

  it('port 0 with a tls-port listens on TLS only (INFO tcp_port is the TLS port); missing certificates fail the start', async () => {
    const p = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'keydra-tls-only-'));
    const only = await startServer({ port: 0, dir, save: '', ...tlsOptions(certs, p), 'tls-auth-clients': 'no' });
    try {
      assert.equal(only.port, p);
      const r = await tlsAsk(p, certs, 'INFO server');
      assert.match(r.reply, /^\$\d+$/);
      assert.equal(only.server.tlsPort, p);
    } finally {
      await only.close();
    }
    await assert.rejects(
      startServer({
        port: 0,
        dir,
        save: '',
        'tls-port': await freePort(),
        'tls-cert-file': join(certs.dir, 'nope.crt'),
        'tls-key-file': certs.redisKey,
        'tls-ca-cert-file': certs.ca,
      }),
      /Failed to configure TLS. Check logs for more info./,
    );
    // tls-ca-cert-dir instead of a file: the certificates in the directory are trusted.
    const p2 = await freePort();
    const caDir = join(dir, 'cas');
    mkdirSync(caDir);
    copyFileSync(certs.ca, join(caDir, 'ca.pem'));
    writeFileSync(join(caDir, 'README'), 'not a certificate\n');
    const byDir = await startServer({
      port: 0,
      dir,
      save: '',
      'tls-port': p2,
      'tls-cert-file': certs.redisCrt,
      'tls-key-file': certs.redisKey,
      'tls-ca-cert-dir': caDir,
    });
    try {
      assert.equal((await tlsAsk(p2, certs, 'PING', [certs.client, certs.clientKey])).reply, '+PONG');
      assert.match((await tlsAsk(p2, certs, 'PING', [certs.foreign, certs.foreignKey])).reply, /^error:/);
      assert.equal(byDir.url, `rediss://127.0.0.1:${p2}`);
    } finally {
      await byDir.close();
    }
    // tls-auth-clients yes without a CA: Redis refuses to configure TLS.
    await assert.rejects(
      startServer({
        port: 0,
        dir,
        save: '',
        'tls-port': await freePort(),
        'tls-cert-file': certs.redisCrt,
        'tls-key-file': certs.redisKey,
      }),
      /Failed to configure TLS/,
    );
    rmSync(dir, { recursive: true, force: true });
  });

  it('redis-benchmark --tls runs a few thousand requests', {
    skip: spawnSync('redis-benchmark', ['--version']).status === 0 ? false : 'redis-benchmark not installed',
  }, async () => {
    const r = await run('redis-benchmark', [
      '-p',
      String(tlsPort),
      '--tls',
      '--cacert',
      certs.ca,
      '--cert',
      certs.client,
      '--key',
      certs.clientKey,
      '-t',
      'set,get',
      '-n',
      '4000',
      '-c',
      '10',
      '--csv',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const rows = r.stdout.split('\n').filter((l) => /^"(SET|GET)"/.test(l));
    assert.equal(rows.length, 2, r.stdout);
    for (const row of rows) assert.ok(Number(JSON.parse(`[${row}]`)[1]) > 0, row);
  });

  it('a Keydra replica follows a Keydra primary over TLS (tls-replication yes)', async () => {
    const primary = await RawClient.connect(k.port);
    await primary.call('SET', 'tls:repl', 'from-primary');
    const rp = await freePort();
    const replica = await startKeydra({
      port: await freePort(),
      ...tlsOptions(certs, rp),
      'tls-replication': 'yes',
      replicaof: `127.0.0.1 ${tlsPort}`,
    });
    const rc = await RawClient.connect(replica.port);
    try {
      await waitFor('the replica to sync', async () => (await rc.call('GET', 'tls:repl')) === 'from-primary');
      await primary.call('SET', 'tls:repl2', 'streamed');
      await waitFor('the stream', async () => (await rc.call('GET', 'tls:repl2')) === 'streamed');
      // The primary lists the replica at its TLS port (REPLCONF listening-port, Redis syncWithMaster).
      const info = (await primary.call('INFO', 'replication')) as string;
      assert.match(info, new RegExp(`slave0:ip=127.0.0.1,port=${rp},state=online`));
    } finally {
      rc.close();
      primary.close();
      await replica.close();
    }
  });

  describe('with redis-server', { skip: redisServerPath() === null ? NO_REDIS : false }, () => {
    let proc: ChildProcess;
    let rport: number;
    let rdir: string;
    before(async () => {
      rport = await freePort();
      rdir = mkdtempSync(join(tmpdir(), 'redis-tls-'));
      proc = spawn(
        'redis-server',
        [
          '--port',
          '0',
          '--tls-port',
          String(rport),
          '--tls-cert-file',
          certs.redisCrt,
          '--tls-key-file',
          certs.redisKey,
          '--tls-ca-cert-file',
          certs.ca,
          '--save',
          '',
          '--dir',
          rdir,
          '--bind',
          '127.0.0.1',
        ],
        { stdio: 'ignore' },
      );
      await waitFor(
        'redis-server on TLS',
        async () => (await tlsAsk(rport, certs, 'PING', [certs.client, certs.clientKey])).reply === '+PONG',
      );
    });
    after(async () => {
      if (proc.exitCode === null) {
        const gone = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGKILL');
        await gone;
      }
      rmSync(rdir, { recursive: true, force: true });
    });

    it("the bad-certificate CONFIG SET error is redis-server's", async () => {
      const kc: [string, string] = [certs.client, certs.clientKey];
      const cmd = `CONFIG SET tls-cert-file ${join(certs.dir, 'missing.crt')}`;
      const expected = await tlsAsk(rport, certs, cmd, kc);
      const actual = await tlsAsk(tlsPort, certs, cmd, kc);
      assert.equal(actual.reply, expected.reply);
      assert.match(expected.reply, /^-ERR CONFIG SET failed/);
    });

    it('a Keydra replica follows a redis-server primary listening on TLS only', async () => {
      const kc: [string, string] = [certs.client, certs.clientKey];
      assert.equal((await tlsAsk(rport, certs, 'SET tls:from-redis 42', kc)).reply, '+OK');
      const replica = await startKeydra({
        port: await freePort(),
        ...tlsOptions(certs, await freePort()),
        'tls-replication': 'yes',
        replicaof: `127.0.0.1 ${rport}`,
      });
      const rc = await RawClient.connect(replica.port);
      try {
        await waitFor('the replica to sync', async () => (await rc.call('GET', 'tls:from-redis')) === '42');
        assert.equal((await tlsAsk(rport, certs, 'INCR tls:from-redis', kc)).reply, ':43');
        await waitFor('the stream', async () => (await rc.call('GET', 'tls:from-redis')) === '43');
        assert.match((await rc.call('INFO', 'replication')) as string, /master_link_status:up/);
      } finally {
        rc.close();
        await replica.close();
      }
    });
  });
});
