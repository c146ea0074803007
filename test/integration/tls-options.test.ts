/**
 * The TLS directives that shape the handshake (src/server/tls.ts), observed from a Node `tls`
 * client over real sockets on a Keydra server and a redis-server 7.0 given the same directives:
 * - tls-key-file-pass: an encrypted private key serves with its pass; a wrong pass fails the start
 *   (exit code 1, Redis's log lines "Failed to load private key: <file>: ..." and "Failed to
 *   configure TLS. Check logs for more info."), and CONFIG SET of the key without its pass is refused;
 * - tls-ciphers (TLSv1.2) and tls-ciphersuites (TLSv1.3): a client offering only an excluded cipher
 *   fails the handshake, one offering an allowed one negotiates it;
 * - tls-prefer-server-ciphers: with `no` the client's order wins, with `yes` the server's (the
 *   negotiated cipher, TLSv1.2 and TLSv1.3);
 * - tls-session-caching, tls-session-cache-size and tls-session-cache-timeout: a TLSv1.2 session
 *   (session ID, no ticket) resumes when caching is on, not when it is off, not once evicted by a
 *   newer one past the cache size, not past the timeout.
 * Where Redis differs (a ticket offered to a server with caching off fails Redis's handshake:
 * OpenSSL refuses to resume without a session id context), Keydra gives a full handshake, checked
 * on Keydra alone. Skips without openssl; the comparisons skip without redis-server.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { constants } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { makeCA, openssl, signCert } from '../../scripts/lib/testCerts.js';
import { RawClient } from '../../src/client/rawClient.js';
import { freePort, redisServerPath } from '../helpers/servers.js';

const HAS_OPENSSL = spawnSync('openssl', ['version']).status === 0;
const NO_OPENSSL = 'openssl not installed: TLS option tests skipped (apt-get install -y openssl)';
const HAS_REDIS = redisServerPath() !== null;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const OK = { t: '+', v: 'OK' };

interface Certs {
  dir: string;
  ca: string;
  crt: string;
  key: string;
  /** redis.key encrypted with AES-256 under PASS. */
  encKey: string;
}
const PASS = 'key-secret';

/** A CA, a certificate it signs (client and server use) and its key encrypted with PASS. */
function makeCerts(): Certs {
  const dir = mkdtempSync(join(tmpdir(), 'keydra-tls-opts-'));
  makeCA(dir, '/O=Keydra Test/CN=Certificate Authority');
  signCert(dir, 'redis', '/O=Keydra Test/CN=Generic-cert');
  // As Redis's unit/tls makes its encrypted key (openssl rsa -aes256 -passout).
  openssl(dir, ['rsa', '-in', 'redis.key', '-out', 'redis.key.encrypted', '-aes256', '-passout', `pass:${PASS}`]);
  return {
    dir,
    ca: join(dir, 'ca.crt'),
    crt: join(dir, 'redis.crt'),
    key: join(dir, 'redis.key'),
    encKey: join(dir, 'redis.key.encrypted'),
  };
}

/** What a TLS client saw: the reply to PING and the handshake's outcome, or the error. */
interface Seen {
  reply?: string;
  cipher?: string;
  protocol?: string | null;
  reused?: boolean;
  /** The session to resume with (the last `session` event). */
  session?: Buffer;
  err?: string;
}

/**
 * Opens a TLS connection with the test certificate as client certificate and `opts` (ciphers,
 * versions, session, secureOptions), sends PING then QUIT and reports what was negotiated once the
 * server has closed the connection. The server closing it (QUIT) matters: redis-server keeps a
 * session in its cache only when it shuts the TLS connection down itself (tls.c connTLSClose), and
 * TLSv1.3 tickets arrive after the handshake (the `session` kept is the last one).
 */
function hello(port: number, c: Certs, opts: tls.ConnectionOptions = {}): Promise<Seen> {
  return new Promise((resolve) => {
    let session: Buffer | undefined;
    let seen: Seen | undefined;
    let done = false;
    const finish = (s: Seen) => {
      if (done) return;
      done = true;
      sock.destroy();
      resolve(s);
    };
    const sock = tls.connect(
      {
        host: '127.0.0.1',
        port,
        ca: readFileSync(c.ca),
        cert: readFileSync(c.crt),
        key: readFileSync(c.key),
        checkServerIdentity: () => undefined,
        ...opts,
      },
      () => sock.write('PING\r\nQUIT\r\n'),
    );
    sock.on('session', (s) => {
      session = s;
    });
    sock.on('data', (d) => {
      seen ??= {
        reply: d.toString('latin1').split('\r\n')[0],
        cipher: sock.getCipher().name,
        protocol: sock.getProtocol(),
        reused: sock.isSessionReused(),
      };
    });
    sock.on('error', (e) => finish(seen ? { ...seen, session } : { err: e.message }));
    sock.on('close', () => finish(seen ? { ...seen, session } : { err: 'closed' }));
    setTimeout(() => finish(seen ? { ...seen, session } : { err: 'timeout' }), 5000).unref();
  });
}

/** TLSv1.2 with session IDs only (the client asks for no ticket): what the server-side cache serves. */
const TLS12_SESSION_ID: tls.ConnectionOptions = { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', secureOptions: constants.SSL_OP_NO_TICKET };

/** A server process (keydra-server or redis-server) with its output. */
interface Proc {
  kind: 'keydra' | 'redis';
  proc: ChildProcess;
  out: string;
  port: number;
  tlsPort: number;
  exit: Promise<number | null>;
}

/** Starts `kind` with a plain and a TLS port, `args` appended; resolves when TLS answers PING (or the process exits). */
async function start(kind: 'keydra' | 'redis', c: Certs, args: string[], dir: string): Promise<Proc> {
  const port = await freePort();
  const tlsPort = await freePort();
  mkdirSync(dir, { recursive: true });
  const argv = ['--port', String(port), '--tls-port', String(tlsPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  argv.push('--dir', dir, '--tls-cert-file', c.crt, '--tls-ca-cert-file', c.ca, ...args);
  const proc =
    kind === 'keydra'
      ? spawn(process.execPath, [join(process.cwd(), 'bin', 'keydra-server.js'), ...argv], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('redis-server', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  const p: Proc = { kind, proc, out: '', port, tlsPort, exit: new Promise((r) => proc.once('exit', (code) => r(code))) };
  proc.stdout?.on('data', (d: Buffer) => {
    p.out += d.toString();
  });
  proc.stderr?.on('data', (d: Buffer) => {
    p.out += d.toString();
  });
  for (let i = 0; i < 200 && proc.exitCode === null; i++) {
    if ((await hello(tlsPort, c)).reply === '+PONG') return p;
    await sleep(50);
  }
  return p;
}

/** Stops a process started by `start` (SIGKILL), resolving once it is gone. */
async function stop(p: Proc | undefined): Promise<void> {
  if (p === undefined) return;
  if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
  await p.exit;
}

/** The log lines' texts (after Redis's `pid:role date time # ` prefix) that match `re`. */
function logLines(out: string, re: RegExp): string[] {
  return out
    .split('\n')
    .map((l) => l.replace(/^\d+:[A-Z] \d{2} \w{3} \d{4} [\d:.]+ [.\-*#] /, '').trim())
    .filter((l) => re.test(l));
}

/** CONFIG SET over the plain port; returns the reply. */
async function configSet(p: Proc, ...kv: string[]): Promise<unknown> {
  const c = await RawClient.connect(p.port);
  try {
    return await c.call('CONFIG', 'SET', ...kv);
  } finally {
    c.close();
  }
}

describe('TLS options (Keydra, with redis-server as control)', { skip: HAS_OPENSSL ? false : NO_OPENSSL }, () => {
  let certs: Certs;
  let work: string;
  /** One Keydra and (when installed) one redis-server with the default TLS directives, changed by CONFIG SET. */
  const servers: Proc[] = [];

  before(async () => {
    certs = makeCerts();
    work = mkdtempSync(join(tmpdir(), 'keydra-tls-opts-data-'));
    servers.push(await start('keydra', certs, ['--tls-key-file', certs.key], join(work, 'k')));
    if (HAS_REDIS) servers.push(await start('redis', certs, ['--tls-key-file', certs.key], join(work, 'r')));
    for (const s of servers) assert.equal((await hello(s.tlsPort, certs)).reply, '+PONG', `${s.kind} up:\n${s.out}`);
  });
  after(async () => {
    for (const s of servers) await stop(s);
    rmSync(work, { recursive: true, force: true });
    rmSync(certs.dir, { recursive: true, force: true });
  });

  /** Runs `check` on every server (Keydra first), naming the server in a failure. */
  async function onEach(check: (s: Proc) => Promise<void>): Promise<void> {
    for (const s of servers) {
      try {
        await check(s);
      } catch (e) {
        (e as Error).message = `[${s.kind}] ${(e as Error).message}`;
        throw e;
      }
    }
  }

  it("tls-key-file-pass: an encrypted key serves with its pass; a wrong pass fails the start with Redis's log lines", async () => {
    const kinds: Array<'keydra' | 'redis'> = HAS_REDIS ? ['keydra', 'redis'] : ['keydra'];
    const failures = new Map<string, string[]>();
    for (const kind of kinds) {
      const good = await start(kind, certs, ['--tls-key-file', certs.encKey, '--tls-key-file-pass', PASS], join(work, `${kind}-pass`));
      try {
        assert.equal((await hello(good.tlsPort, certs)).reply, '+PONG', `${kind} with the pass:\n${good.out}`);
      } finally {
        await stop(good);
      }
      const bad = await start(
        kind,
        certs,
        ['--tls-key-file', certs.encKey, '--tls-key-file-pass', 'not-the-pass'],
        join(work, `${kind}-bad`),
      );
      const code = await Promise.race([bad.exit, sleep(10000).then(() => 'running')]);
      await stop(bad);
      assert.equal(code, 1, `${kind} with a wrong pass exits 1:\n${bad.out}`);
      const lines = logLines(bad.out, /^Failed to (load private key|configure TLS)/);
      assert.equal(lines.length, 2, bad.out);
      assert.match(lines[0], new RegExp(`^Failed to load private key: ${certs.encKey.replace(/[.]/g, '\\.')}: .*bad decrypt`));
      assert.equal(lines[1], 'Failed to configure TLS. Check logs for more info.');
      failures.set(kind, lines);
    }
    if (HAS_REDIS) assert.deepEqual(failures.get('keydra'), failures.get('redis'));
  });

  it('tls-key-file-pass by CONFIG SET: the encrypted key is refused without its pass, taken with it', async () => {
    await onEach(async (s) => {
      const refused = (await configSet(s, 'tls-key-file', certs.encKey)) as { t: string; v: string };
      assert.deepEqual(refused, {
        t: '-',
        v: "ERR CONFIG SET failed (possibly related to argument 'tls-key-file') - Unable to update TLS configuration. Check server logs.",
      });
      assert.deepEqual(await configSet(s, 'tls-key-file-pass', PASS), OK);
      assert.deepEqual(await configSet(s, 'tls-key-file', certs.encKey), OK);
      assert.equal((await hello(s.tlsPort, certs)).reply, '+PONG');
      // A wrong pass is refused too, and the encrypted key keeps serving.
      assert.equal(((await configSet(s, 'tls-key-file-pass', 'wrong')) as { t: string }).t, '-');
      assert.equal((await hello(s.tlsPort, certs)).reply, '+PONG');
      assert.deepEqual(await configSet(s, 'tls-key-file', certs.key, 'tls-key-file-pass', ''), OK);
    });
  });

  it('tls-ciphers restricts the TLSv1.2 ciphers a client can negotiate', async () => {
    await onEach(async (s) => {
      assert.deepEqual(await configSet(s, 'tls-protocols', 'TLSv1.2', 'tls-ciphers', 'ECDHE-RSA-AES128-GCM-SHA256'), OK);
      const excluded = await hello(s.tlsPort, certs, { ciphers: 'ECDHE-RSA-AES256-GCM-SHA384' });
      assert.match(String(excluded.err), /handshake failure/);
      const allowed = await hello(s.tlsPort, certs, { ciphers: 'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256' });
      assert.deepEqual([allowed.reply, allowed.protocol, allowed.cipher], ['+PONG', 'TLSv1.2', 'ECDHE-RSA-AES128-GCM-SHA256']);
      // Back to the defaults (an empty string is "unset", as Redis's EMPTY_STRING_IS_NULL).
      assert.deepEqual(await configSet(s, 'tls-protocols', '', 'tls-ciphers', ''), OK);
      const again = await hello(s.tlsPort, certs, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES256-GCM-SHA384' });
      assert.deepEqual([again.reply, again.cipher], ['+PONG', 'ECDHE-RSA-AES256-GCM-SHA384']);
    });
  });

  it('tls-ciphersuites restricts the TLSv1.3 suites a client can negotiate', async () => {
    await onEach(async (s) => {
      assert.deepEqual(await configSet(s, 'tls-ciphersuites', 'TLS_AES_128_GCM_SHA256'), OK);
      const excluded = await hello(s.tlsPort, certs, { minVersion: 'TLSv1.3', ciphers: 'TLS_AES_256_GCM_SHA384' });
      assert.match(String(excluded.err), /handshake failure/);
      const allowed = await hello(s.tlsPort, certs, { minVersion: 'TLSv1.3', ciphers: 'TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256' });
      assert.deepEqual([allowed.reply, allowed.protocol, allowed.cipher], ['+PONG', 'TLSv1.3', 'TLS_AES_128_GCM_SHA256']);
      assert.deepEqual(await configSet(s, 'tls-ciphersuites', ''), OK);
      const again = await hello(s.tlsPort, certs, { minVersion: 'TLSv1.3', ciphers: 'TLS_AES_256_GCM_SHA384' });
      assert.deepEqual([again.reply, again.cipher], ['+PONG', 'TLS_AES_256_GCM_SHA384']);
    });
  });

  it("tls-prefer-server-ciphers: the client's order wins with no (the default), the server's with yes", async () => {
    await onEach(async (s) => {
      assert.deepEqual(
        await configSet(
          s,
          'tls-ciphers',
          'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384',
          'tls-ciphersuites',
          'TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384',
        ),
        OK,
      );
      const tls12 = { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256' } as const;
      const tls13 = { minVersion: 'TLSv1.3', ciphers: 'TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256' } as const;
      assert.equal((await hello(s.tlsPort, certs, tls12)).cipher, 'ECDHE-RSA-AES256-GCM-SHA384');
      assert.equal((await hello(s.tlsPort, certs, tls13)).cipher, 'TLS_AES_256_GCM_SHA384');
      assert.deepEqual(await configSet(s, 'tls-prefer-server-ciphers', 'yes'), OK);
      assert.equal((await hello(s.tlsPort, certs, tls12)).cipher, 'ECDHE-RSA-AES128-GCM-SHA256');
      assert.equal((await hello(s.tlsPort, certs, tls13)).cipher, 'TLS_AES_128_GCM_SHA256');
      assert.deepEqual(await configSet(s, 'tls-prefer-server-ciphers', 'no', 'tls-ciphers', '', 'tls-ciphersuites', ''), OK);
      assert.equal((await hello(s.tlsPort, certs, tls12)).cipher, 'ECDHE-RSA-AES256-GCM-SHA384');
    });
  });

  it('tls-session-caching: a TLSv1.2 session resumes when on, not when off', async () => {
    await onEach(async (s) => {
      const first = await hello(s.tlsPort, certs, TLS12_SESSION_ID);
      assert.equal(first.reply, '+PONG');
      assert.ok(first.session, 'a session to resume');
      const resumed = await hello(s.tlsPort, certs, { ...TLS12_SESSION_ID, session: first.session });
      assert.deepEqual([resumed.reply, resumed.reused], ['+PONG', true]);
      assert.deepEqual(await configSet(s, 'tls-session-caching', 'no'), OK);
      const a = await hello(s.tlsPort, certs, TLS12_SESSION_ID);
      const b = await hello(s.tlsPort, certs, { ...TLS12_SESSION_ID, session: a.session });
      assert.deepEqual([b.reply, b.reused], ['+PONG', false]);
      assert.deepEqual(await configSet(s, 'tls-session-caching', 'yes'), OK);
    });
  });

  it('tls-session-caching no on Keydra: no ticket resumes either (TLSv1.2 and TLSv1.3), the client gets a full handshake', async () => {
    const k = servers[0];
    for (const v of ['TLSv1.2', 'TLSv1.3'] as const) {
      const o = { minVersion: v, maxVersion: v };
      const a = await hello(k.tlsPort, certs, o);
      assert.ok(a.session, `${v}: a ticket`);
      assert.equal((await hello(k.tlsPort, certs, { ...o, session: a.session })).reused, true, `${v} resumes with caching on`);
      assert.deepEqual(await configSet(k, 'tls-session-caching', 'no'), OK);
      const b = await hello(k.tlsPort, certs, o);
      const c = await hello(k.tlsPort, certs, { ...o, session: b.session ?? a.session });
      assert.deepEqual([c.reply, c.reused], ['+PONG', false], v);
      assert.deepEqual(await configSet(k, 'tls-session-caching', 'yes'), OK);
    }
  });

  it('tls-session-cache-size: past the size the oldest session is evicted and no longer resumes', async () => {
    await onEach(async (s) => {
      assert.deepEqual(await configSet(s, 'tls-session-cache-size', '1'), OK);
      const a = await hello(s.tlsPort, certs, TLS12_SESSION_ID);
      const b = await hello(s.tlsPort, certs, TLS12_SESSION_ID);
      // b (the newest) resumes; a was evicted when b was cached.
      assert.equal((await hello(s.tlsPort, certs, { ...TLS12_SESSION_ID, session: b.session })).reused, true);
      assert.equal((await hello(s.tlsPort, certs, { ...TLS12_SESSION_ID, session: a.session })).reused, false);
      assert.deepEqual(await configSet(s, 'tls-session-cache-size', '20480'), OK);
    });
  });

  it('tls-session-cache-timeout: a session older than the timeout does not resume', async () => {
    await onEach(async (s) => {
      assert.deepEqual(await configSet(s, 'tls-session-cache-timeout', '1'), OK);
      const a = await hello(s.tlsPort, certs, TLS12_SESSION_ID);
      const fresh = await hello(s.tlsPort, certs, TLS12_SESSION_ID);
      assert.equal((await hello(s.tlsPort, certs, { ...TLS12_SESSION_ID, session: fresh.session })).reused, true);
      // Whole seconds, as OpenSSL counts them: 2.2 s is past a 1 s timeout whatever the rounding.
      await sleep(2200);
      assert.equal((await hello(s.tlsPort, certs, { ...TLS12_SESSION_ID, session: a.session })).reused, false);
      assert.deepEqual(await configSet(s, 'tls-session-cache-timeout', '300'), OK);
    });
  });
});
