/**
 * TLS as Redis 7.0 configures it (tls-port, tls-cert-file, tls-auth-clients, ...), on Node's `tls`.
 *
 * Two secure contexts are built from the configuration, atomically (`TlsState.configure`, Redis
 * tlsConfigure): the server's (the tls-port listeners) and the client's (a replica's link to its
 * primary with tls-replication, and the cluster bus with tls-cluster: `tlsConnect`). A failure logs
 * Redis's line ("Failed to load certificate: <file>: <error>", ...) and keeps the previous contexts,
 * so CONFIG SET of a bad file answers "Unable to update TLS configuration. Check server logs." and
 * the connections keep being served with the old certificates.
 *
 * Accepted TLS connections: the TLS listeners are plain `net` servers whose sockets are handed to
 * one `tls.Server` (never listening itself, `emit('connection')`), which does the handshake with the
 * current context; `tls-auth-clients` is read per connection as in Redis (connCreateAcceptedTLS):
 * `yes` requires a client certificate signed by the CA (SSL_VERIFY_FAIL_IF_NO_PEER_CERT), `optional`
 * verifies one if presented, `no` does not ask. The secure socket then goes to the server's accept
 * as a plain TCP socket does (its replies use the socket's stream path, src/server/connection.ts).
 *
 * Mapping of Redis's OpenSSL settings onto Node's:
 * - tls-protocols (TLSv1 TLSv1.1 TLSv1.2 TLSv1.3; default TLSv1.2 TLSv1.3) → minVersion/maxVersion
 *   (a range: a gap in the list is filled);
 * - tls-ciphers (TLSv1.2 and below) and tls-ciphersuites (TLSv1.3) → one `ciphers` string (each
 *   side keeps OpenSSL's default when its directive is empty);
 * - tls-prefer-server-ciphers → honorCipherOrder (always given: Node's servers default to true);
 *   tls-dh-params-file → dhparam;
 * - tls-ca-cert-dir: every certificate file in the directory (Node has no CApath);
 * - tls-session-caching / -cache-size / -cache-timeout: a server-side session cache of that size
 *   and lifetime (Node's `newSession`/`resumeSession`; TLSv1.3 tickets carry their own state),
 *   sessionTimeout for tickets; with caching off no tickets either (SSL_OP_NO_TICKET), so no
 *   session resumes (Redis: a resumption attempt fails the handshake).
 * Peer names are not checked on outgoing links (Redis 7.0 verifies the chain, not the host name).
 * Source: Redis 7.0 tls.c (tlsConfigure, createSSLContext, connCreateAcceptedTLS), config.c (applyTlsCfg).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type tls from 'node:tls';
import type { Config } from '../config/config.js';

/** A configuration Redis's tlsConfigure refuses; the message is its log line. */
export class TlsConfigError extends Error {}

/** The reply of CONFIG SET when the new TLS settings cannot be applied (config.c applyTlsCfg). */
export const ERR_TLS_UPDATE = 'Unable to update TLS configuration. Check server logs.';
/** The start-up error when TLS cannot be configured (server.c initServer). */
export const ERR_TLS_STARTUP = 'Failed to configure TLS. Check logs for more info.';

/** Directives whose change rebuilds the contexts at CONFIG SET (Redis: the applyTlsCfg ones). */
export const TLS_CONTEXT_DIRECTIVES = [
  'tls-cert-file',
  'tls-key-file',
  'tls-key-file-pass',
  'tls-client-cert-file',
  'tls-client-key-file',
  'tls-client-key-file-pass',
  'tls-dh-params-file',
  'tls-ca-cert-file',
  'tls-ca-cert-dir',
  'tls-protocols',
  'tls-ciphers',
  'tls-ciphersuites',
  'tls-prefer-server-ciphers',
  'tls-session-caching',
  'tls-session-cache-size',
  'tls-session-cache-timeout',
  'tls-replication',
  'tls-cluster',
];

/**
 * node:tls (and node:crypto with it), loaded on first use: a server without TLS never loads
 * them (~2 MB of RSS and ~5 ms of an embedded start).
 */
function nodeTls(): typeof tls {
  return process.getBuiltinModule('node:tls');
}

const PROTOCOLS: Record<string, tls.SecureVersion> = {
  tlsv1: 'TLSv1',
  'tlsv1.1': 'TLSv1.1',
  'tlsv1.2': 'TLSv1.2',
  'tlsv1.3': 'TLSv1.3',
};
const PROTOCOL_ORDER: tls.SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** OpenSSL's default TLSv1.3 suites and Node's default TLSv1.2 list (used when one side is unset). */
const DEFAULT_SUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';
const defaultCiphers12 = (): string =>
  nodeTls()
    .DEFAULT_CIPHERS.split(':')
    .filter((c) => !c.startsWith('TLS_'))
    .join(':');

/**
 * tls-protocols as a Node version range (Redis parseProtocolsConfig: words TLSv1, TLSv1.1,
 * TLSv1.2, TLSv1.3, any case; empty: TLSv1.2 and TLSv1.3).
 * @throws TlsConfigError with Redis's log line for an unknown word.
 */
export function parseProtocols(s: string): { minVersion: tls.SecureVersion; maxVersion: tls.SecureVersion } {
  const words = s.split(' ').filter((w) => w !== '');
  if (words.length === 0) return { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' };
  const idx: number[] = [];
  for (const w of words) {
    const v = PROTOCOLS[w.toLowerCase()];
    if (v === undefined)
      throw new TlsConfigError("Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.");
    idx.push(PROTOCOL_ORDER.indexOf(v));
  }
  return { minVersion: PROTOCOL_ORDER[Math.min(...idx)], maxVersion: PROTOCOL_ORDER[Math.max(...idx)] };
}

/** Reads a file for the context, or throws Redis's log line `what: file: error`. */
function readFor(what: string, file: string, path = file): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new TlsConfigError(`${what}: ${file}: ${(e as Error).message}`);
  }
}

/** The PEM certificates of tls-ca-cert-file and every regular file of tls-ca-cert-dir. */
function caCertificates(config: Config, file: string, dir: string): Buffer[] {
  const out: Buffer[] = [];
  const what = 'Failed to configure CA certificate(s) file/directory';
  if (file !== '') out.push(readFor(what, file, config.resolvePath(file)));
  dir = config.resolvePath(dir);
  if (dir !== '') {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (e) {
      throw new TlsConfigError(`${what}: ${(e as Error).message}`);
    }
    for (const n of names.sort()) {
      const p = join(dir, n);
      try {
        if (!statSync(p).isFile()) continue;
        const pem = readFileSync(p);
        if (pem.includes('-----BEGIN CERTIFICATE-----')) out.push(pem);
      } catch {
        // An unreadable entry is skipped, as OpenSSL's CApath lookup does.
      }
    }
  }
  return out;
}

/**
 * The secure-context options of one side from the configuration (Redis createSSLContext): the
 * server's certificate/key, or for `client` the tls-client-cert-file/-key-file when set (else
 * the server's, as Redis).
 * @throws TlsConfigError with Redis's log line.
 */
export function contextOptions(config: Config, side: 'server' | 'client'): tls.SecureContextOptions {
  const client = side === 'client' && config.str('tls-client-cert-file') !== '';
  const certFile = config.str(client ? 'tls-client-cert-file' : 'tls-cert-file');
  const keyFile = config.str(client ? 'tls-client-key-file' : 'tls-key-file');
  const pass = config.str(client ? 'tls-client-key-file-pass' : 'tls-key-file-pass');
  const opts: tls.SecureContextOptions = { ...parseProtocols(config.str('tls-protocols')) };
  // Relative names are relative to `dir`, where redis-server runs (it chdir()s there).
  opts.cert = readFor('Failed to load certificate', certFile, config.resolvePath(certFile));
  opts.key = readFor('Failed to load private key', keyFile, config.resolvePath(keyFile));
  if (pass !== '') opts.passphrase = pass;
  const ca = caCertificates(config, config.str('tls-ca-cert-file'), config.str('tls-ca-cert-dir'));
  if (ca.length > 0) opts.ca = ca;
  const ciphers = config.str('tls-ciphers');
  const suites = config.str('tls-ciphersuites');
  if (ciphers !== '' || suites !== '') opts.ciphers = `${suites || DEFAULT_SUITES}:${ciphers || defaultCiphers12()}`;
  // Always explicit: a tls.Server given no honorCipherOrder prefers its own order (Node's default),
  // where OpenSSL (and Redis with tls-prefer-server-ciphers no) takes the client's.
  opts.honorCipherOrder = config.bool('tls-prefer-server-ciphers');
  const dh = config.str('tls-dh-params-file');
  if (dh !== '') opts.dhparam = readFor('Failed to load DH params file', dh, config.resolvePath(dh));
  opts.sessionTimeout = config.num('tls-session-cache-timeout');
  // Redis sets SSL_OP_NO_COMPRESSION and SSL_OP_NO_CLIENT_RENEGOTIATION (Node never compresses).
  const k = process.getBuiltinModule('node:crypto').constants;
  opts.secureOptions = k.SSL_OP_NO_COMPRESSION;
  // tls-session-caching no: no resumption at all. Redis (SSL_SESS_CACHE_OFF, no session id
  // context) cannot resume a ticket either: the handshake of a client offering one fails. Here
  // tickets are not issued, and the server-side cache (TlsState) is not consulted, so a client
  // gets a full handshake.
  if (side === 'server' && !config.bool('tls-session-caching')) opts.secureOptions |= k.SSL_OP_NO_TICKET;
  return opts;
}

/**
 * Builds one secure context from the configuration (reusable by the cluster bus with tls-cluster).
 * @throws TlsConfigError with Redis's log line ("Failed to load certificate: ...", "Failed to
 * configure ciphers: ...").
 */
export function createTlsContext(config: Config, side: 'server' | 'client' = 'server'): tls.SecureContext {
  return buildContext(config, side).ctx;
}

/** createTlsContext's work, also giving the options the context was made of. */
function buildContext(config: Config, side: 'server' | 'client'): { opts: tls.SecureContextOptions; ctx: tls.SecureContext } {
  const opts = contextOptions(config, side);
  try {
    return { opts, ctx: nodeTls().createSecureContext(opts) };
  } catch (e) {
    const msg = (e as Error).message;
    if (/cipher/i.test(msg)) {
      const which = config.str('tls-ciphers') !== '' && !/suite/i.test(msg) ? 'ciphers' : 'ciphersuites';
      throw new TlsConfigError(`Failed to configure ${which}: ${config.str(`tls-${which}`)}`);
    }
    if (/dh/i.test(msg)) throw new TlsConfigError(`Failed to load DH params file: ${config.str('tls-dh-params-file')}: ${msg}`);
    if (/key|decrypt|bad password/i.test(msg) && !/certificate/i.test(msg))
      throw new TlsConfigError(
        `Failed to load private key: ${config.str(side === 'client' && config.str('tls-client-key-file') !== '' ? 'tls-client-key-file' : 'tls-key-file')}: ${msg}`,
      );
    if (/ca|x509|certificate/i.test(msg) && opts.ca !== undefined && !/PEM|no start line/i.test(msg))
      throw new TlsConfigError(`Failed to configure CA certificate(s) file/directory: ${msg}`);
    throw new TlsConfigError(`Failed to load certificate: ${config.str('tls-cert-file')}: ${msg}`);
  }
}

/**
 * tls.Server's per-connection client-certificate policy: its connection listener reads these two
 * fields for each socket (Node's _tls_wrap.js), which is how tls-auth-clients applies per accept.
 */
type Handshaker = tls.Server & { requestCert: boolean; rejectUnauthorized: boolean };

/** Logging as the server does (the Logger's warning level). */
interface TlsLog {
  warning(msg: string): void;
  verbose(msg: string): void;
}

/**
 * One server's TLS: its contexts, the handshaking `tls.Server` its TLS listeners feed and the
 * session cache. Created with the server; contexts exist once `configure` succeeded.
 */
export class TlsState {
  /** The server-side context, null until configured. */
  serverContext: tls.SecureContext | null = null;
  /** The client-side context (replication, cluster bus), null until configured. */
  clientContext: tls.SecureContext | null = null;
  private handshaker: Handshaker | null = null;
  /** The options serverContext was made of (the handshaking tls.Server is given them). */
  private serverOptions: tls.SecureContextOptions = {};
  private readonly sessions = new Map<string, { data: Buffer; expires: number }>();

  constructor(
    private readonly config: Config,
    private readonly log: TlsLog,
  ) {}

  /** True once contexts exist (Redis isTlsConfigured). */
  get configured(): boolean {
    return this.serverContext !== null;
  }

  /** Whether TLS is wanted at all (Redis: tls-port, tls-replication or tls-cluster set). */
  get wanted(): boolean {
    return this.config.num('tls-port') !== 0 || this.config.bool('tls-replication') || this.config.bool('tls-cluster');
  }

  /**
   * Builds both contexts from the configuration and swaps them in, or logs Redis's line and
   * keeps the previous ones (Redis tlsConfigure is atomic). New connections use the new
   * contexts; established ones keep theirs.
   * @returns false on failure (logged).
   */
  configure(): boolean {
    const config = this.config;
    try {
      if (config.str('tls-cert-file') === '') throw new TlsConfigError('No tls-cert-file configured!');
      if (config.str('tls-key-file') === '') throw new TlsConfigError('No tls-key-file configured!');
      const needCa = config.str('tls-auth-clients') !== 'no' || config.bool('tls-cluster') || config.bool('tls-replication');
      if (needCa && config.str('tls-ca-cert-file') === '' && config.str('tls-ca-cert-dir') === '')
        throw new TlsConfigError(
          'Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!',
        );
      const server = buildContext(config, 'server');
      const client = config.str('tls-client-cert-file') !== '' ? createTlsContext(config, 'client') : server.ctx;
      this.serverContext = server.ctx;
      this.serverOptions = server.opts;
      this.clientContext = client;
      this.handshaker?.setSecureContext(server.opts);
      this.sessions.clear();
      return true;
    } catch (e) {
      this.log.warning((e as Error).message);
      return false;
    }
  }

  /**
   * Does the TLS handshake of an accepted TCP socket with the current context and the current
   * tls-auth-clients, then calls `onSecure` with the secure socket (never for a failed handshake:
   * the socket is destroyed and the failure logged at verbose level, as Redis's "Error accepting
   * a client connection").
   */
  handshake(raw: net.Socket, onSecure: (s: tls.TLSSocket) => void): void {
    const ctx = this.serverContext;
    if (ctx === null) {
      raw.destroy();
      return;
    }
    const hs = this.handshakerFor(onSecure);
    const auth = this.config.str('tls-auth-clients');
    // Read per connection by tls.Server's connection listener (requestCert, rejectUnauthorized).
    hs.requestCert = auth !== 'no';
    hs.rejectUnauthorized = auth === 'yes';
    hs.emit('connection', raw);
  }

  private onSecure: ((s: tls.TLSSocket) => void) | null = null;

  private handshakerFor(onSecure: (s: tls.TLSSocket) => void): Handshaker {
    this.onSecure = onSecure;
    if (this.handshaker !== null) return this.handshaker;
    // The options only seed it: handshake() sets the context and the client-certificate policy
    // before each connection. handshakeTimeout: a peer that never completes is dropped.
    const hs = nodeTls().createServer({ ...this.serverOptions, handshakeTimeout: 10_000 }) as Handshaker;
    hs.on('secureConnection', (s: tls.TLSSocket) => {
      // `optional`: a certificate that was presented must verify (Redis SSL_VERIFY_PEER).
      if (!s.authorized && hs.requestCert && !hs.rejectUnauthorized && s.getPeerCertificate()?.subject !== undefined) {
        this.log.verbose(`Error accepting a client connection: ${s.authorizationError}`);
        s.destroy();
        return;
      }
      this.onSecure?.(s);
    });
    hs.on('tlsClientError', (err, s) => {
      this.log.verbose(`Error accepting a client connection: ${err.message} (addr=${s.remoteAddress}:${s.remotePort})`);
      s.destroy();
    });
    // Server-side session cache (Redis SSL_SESS_CACHE_SERVER with its size and timeout).
    hs.on('newSession', (id: Buffer, data: Buffer, cb: () => void) => {
      if (this.config.bool('tls-session-caching')) {
        const max = this.config.num('tls-session-cache-size');
        if (max > 0) {
          while (this.sessions.size >= max) this.sessions.delete(this.sessions.keys().next().value as string);
          this.sessions.set(id.toString('hex'), { data, expires: Date.now() + this.config.num('tls-session-cache-timeout') * 1000 });
        }
      }
      cb();
    });
    hs.on('resumeSession', (id: Buffer, cb: (err: Error | null, data: Buffer | null) => void) => {
      const k = id.toString('hex');
      const e = this.sessions.get(k);
      if (e === undefined || !this.config.bool('tls-session-caching') || e.expires < Date.now()) {
        if (e !== undefined) this.sessions.delete(k);
        cb(null, null);
        return;
      }
      cb(null, e.data);
    });
    this.handshaker = hs;
    return hs;
  }
}

/**
 * Opens a TLS connection to `host:port` with a client context (Redis connCreateTLS +
 * connConnect): the peer's chain is verified against the CA (tls-ca-cert-file/-dir), its name
 * is not. For the replica's link (tls-replication) and the cluster bus (tls-cluster).
 * @param ctx the client context (TlsState.clientContext, or createTlsContext(config, 'client')).
 * The socket emits `connect` when TCP connects; writes before the handshake are queued.
 */
export function tlsConnect(ctx: tls.SecureContext, host: string, port: number, localAddress?: string): tls.TLSSocket {
  // tls.connect hands its options to the TCP connect too (localAddress: bind-source-addr).
  const opts: tls.ConnectionOptions & { localAddress?: string } = {
    host,
    port,
    localAddress,
    secureContext: ctx,
    rejectUnauthorized: true,
    checkServerIdentity: () => undefined,
    // SNI only for names, as OpenSSL's clients in Redis send none for addresses.
    servername: net.isIP(host) === 0 ? host : undefined,
  };
  return nodeTls().connect(opts);
}
