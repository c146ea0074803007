/**
 * The metrics port (`metrics-port`, Keydra's own directive; 0 = off): a read-only HTTP server
 * (node:http) beside the Redis listeners of one KeydraServer, serving
 *
 *   GET /metrics   Prometheus text exposition (src/metrics/prometheus.ts, prom-client)
 *   GET /          the live dashboard (src/metrics/dashboardPage.ts)
 *   GET /events    Server-Sent Events: one JSON DashboardState per second (src/metrics/dashboard.ts)
 *   GET /assets/*  the dashboard's script and stylesheet, and uPlot from the package's node_modules
 *
 * Bound like the server: every address of `metrics-bind`, or of `bind` when it is empty (loopback
 * by default), `-` marking an optional address as in `bind`. Behind the same passwords as the
 * server: when the default user has a password (requirepass) or is off, every request needs HTTP
 * Basic credentials of an enabled ACL user allowed to run INFO (`default` and the requirepass, or
 * any ACL user); with a nopass default user and protected-mode, only loopback peers are served,
 * as Redis's protected mode does for its port. A request whose Host is not a loopback name is
 * refused while the port listens on loopback only (DNS rebinding).
 *
 * All state is on the instance (one per server): two embedded servers with different metrics
 * ports are independent, and close() frees the port and every timer and observer.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { aclOf } from '../server/acl.js';
import { KEYDRA_VERSION, type KeydraServer } from '../server/server.js';
import { DashboardFeed } from './dashboard.js';
import { PAGE_CSS, PAGE_HTML, PAGE_JS } from './dashboardPage.js';
import { PrometheusMetrics } from './prometheus.js';
import { RuntimeMonitor } from './runtime.js';

/** Dashboard refresh period, ms. */
const TICK_MS = 1000;

/** A static asset: its bytes (read on first request) and Content-Type. */
interface Asset {
  type: string;
  body: () => Buffer;
}

const requireHere = createRequire(import.meta.url);
const fileCache = new Map<string, Buffer>();
/** A file of an installed package (uPlot), read once per process: immutable package content. */
function packageFile(spec: string): () => Buffer {
  return () => {
    let b = fileCache.get(spec);
    if (b === undefined) {
      b = readFileSync(requireHere.resolve(spec));
      fileCache.set(spec, b);
    }
    return b;
  };
}

const ASSETS: Record<string, Asset> = {
  '/assets/dashboard.js': { type: 'text/javascript; charset=utf-8', body: () => Buffer.from(PAGE_JS) },
  '/assets/dashboard.css': { type: 'text/css; charset=utf-8', body: () => Buffer.from(PAGE_CSS) },
  '/assets/uPlot.iife.min.js': { type: 'text/javascript; charset=utf-8', body: packageFile('uplot/dist/uPlot.iife.min.js') },
  '/assets/uPlot.min.css': { type: 'text/css; charset=utf-8', body: packageFile('uplot/dist/uPlot.min.css') },
};

/** Headers of every response: nothing cached, no sniffing, the page loads only its own files. */
const COMMON_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
};

/** True for a loopback peer address (127/8, ::1, IPv4-mapped loopback). */
function isLoopbackAddr(ip: string | undefined): boolean {
  if (ip === undefined) return false;
  const a = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return a.startsWith('127.') || a === '::1';
}

/** True for a Host header naming this machine's loopback (`localhost`, `127.x`, `[::1]`, any port). */
function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  let h = host.toLowerCase();
  if (h.startsWith('[')) h = h.slice(1, h.indexOf(']'));
  else if (h.lastIndexOf(':') > 0) h = h.slice(0, h.lastIndexOf(':'));
  return h === 'localhost' || h.endsWith('.localhost') || isLoopbackAddr(h);
}

/** See module doc. */
export class MetricsServer {
  private listeners: http.Server[] = [];
  private readonly runtime = new RuntimeMonitor();
  private readonly prometheus: PrometheusMetrics;
  private readonly feed: DashboardFeed;
  private readonly viewers = new Set<http.ServerResponse>();
  private timer: NodeJS.Timeout | null = null;
  /** The last SSE frame sent (while viewers are connected). */
  private lastFrame: string | null = null;
  private loopbackOnly = true;
  private closed: Promise<void> | null = null;
  /** The port the HTTP listeners are bound to. */
  port = 0;

  constructor(readonly server: KeydraServer) {
    this.prometheus = new PrometheusMetrics(server, this.runtime);
    this.feed = new DashboardFeed(server, this.runtime, KEYDRA_VERSION);
  }

  /** `http://host:port` of the first listener (an IPv6 address in brackets). */
  get url(): string {
    const a = this.listeners[0]?.address() as AddressInfo | null;
    const host = a === null || a === undefined ? '127.0.0.1' : a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `http://${host === '0.0.0.0' ? '127.0.0.1' : host === '[::]' ? '[::1]' : host}:${this.port}`;
  }

  /**
   * Listens on `port` at each address of `binds` (`*`, `::*`, `-` optional prefix as in `bind`).
   * @throws the first fatal listen error (EADDRINUSE ...), after closing what was opened.
   */
  async start(port: number, binds: string[]): Promise<void> {
    this.runtime.start();
    this.loopbackOnly = binds.every((b) => {
      const a = b.startsWith('-') ? b.slice(1) : b;
      return isLoopbackAddr(a) || a === 'localhost';
    });
    try {
      for (const b of binds) {
        const optional = b.startsWith('-');
        const addr = optional ? b.slice(1) : b;
        const host = addr === '*' ? '0.0.0.0' : addr === '::*' ? '::' : addr;
        const srv = http.createServer((req, res) => this.handle(req, res));
        srv.keepAliveTimeout = 5000;
        try {
          await new Promise<void>((resolve, reject) => {
            srv.once('error', reject);
            srv.listen({ port, host, ipv6Only: addr.includes(':') }, () => {
              srv.off('error', reject);
              resolve();
            });
          });
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if ((optional && code === 'EADDRNOTAVAIL') || code === 'EAFNOSUPPORT') continue;
          throw e;
        }
        if (port === 0) port = (srv.address() as AddressInfo).port;
        this.listeners.push(srv);
      }
      if (this.listeners.length === 0) throw new Error('no metrics address could be bound');
      this.port = port;
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  /** Stops the listeners (open connections and SSE streams included), timers and observers. Idempotent. */
  close(): Promise<void> {
    if (this.closed !== null) return this.closed;
    this.closed = (async () => {
      if (this.timer !== null) clearInterval(this.timer);
      this.timer = null;
      for (const v of this.viewers) v.destroy();
      this.viewers.clear();
      this.runtime.stop();
      await Promise.all(
        this.listeners.map(
          (l) =>
            new Promise<void>((resolve) => {
              l.close(() => resolve());
              l.closeAllConnections();
            }),
        ),
      );
      this.listeners = [];
    })();
    return this.closed;
  }

  /** Routes one request; never throws (a failure answers 500). */
  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    try {
      this.route(req, res);
    } catch (e) {
      if (!res.headersSent) this.reply(res, 500, 'text/plain; charset=utf-8', `internal error: ${(e as Error).message}\n`);
      else res.destroy();
    }
  }

  private route(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.closed !== null) {
      res.destroy();
      return;
    }
    if (this.loopbackOnly && !isLoopbackHost(req.headers.host)) {
      this.reply(res, 403, 'text/plain; charset=utf-8', 'Forbidden: the metrics port answers loopback host names only\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      this.reply(res, 405, 'text/plain; charset=utf-8', 'Method Not Allowed: the metrics port is read-only\n');
      return;
    }
    const denied = this.checkAccess(req);
    if (denied !== null) {
      if (denied === 401) res.setHeader('WWW-Authenticate', 'Basic realm="keydra", charset="UTF-8"');
      const text =
        denied === 401
          ? 'Unauthorized: give a Keydra user and password (HTTP Basic; user "default" for requirepass)\n'
          : 'Forbidden: protected mode is on and the default user has no password; connect from loopback\n';
      this.reply(res, denied, 'text/plain; charset=utf-8', text);
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      this.prometheus.scrape().then(
        (text) => this.reply(res, 200, this.prometheus.contentType, text, req.method === 'HEAD'),
        (e: Error) => this.reply(res, 500, 'text/plain; charset=utf-8', `scrape failed: ${e.message}\n`),
      );
      return;
    }
    if (path === '/' || path === '/index.html') {
      this.reply(res, 200, 'text/html; charset=utf-8', PAGE_HTML, req.method === 'HEAD');
      return;
    }
    if (path === '/events') {
      this.openEvents(req, res);
      return;
    }
    if (path === '/favicon.ico') {
      res.writeHead(204, COMMON_HEADERS).end();
      return;
    }
    const asset = ASSETS[path];
    if (asset !== undefined) {
      this.reply(res, 200, asset.type, asset.body(), req.method === 'HEAD');
      return;
    }
    this.reply(res, 404, 'text/plain; charset=utf-8', 'Not Found\n');
  }

  /**
   * @returns null when the request may be served, 401 when credentials are needed (or wrong), 403
   * when protected mode refuses a non-loopback peer.
   */
  private checkAccess(req: http.IncomingMessage): 401 | 403 | null {
    const acl = aclOf(this.server);
    const def = acl.defaultUser;
    if (def.enabled && def.nopass) {
      if (this.server.config.bool('protected-mode') && !isLoopbackAddr(req.socket.remoteAddress)) return 403;
      return null;
    }
    const h = req.headers.authorization;
    if (h === undefined || !/^basic /i.test(h)) return 401;
    // Keydra passwords are byte strings: the credentials' bytes, one char per byte.
    const cred = Buffer.from(h.slice(6).trim(), 'base64').toString('latin1');
    const colon = cred.indexOf(':');
    if (colon < 0) return 401;
    const user = acl.users.get(cred.slice(0, colon));
    if (user === undefined || !user.checkPassword(cred.slice(colon + 1))) return 401;
    // The metrics are INFO's numbers: the user must be allowed to run INFO.
    const info = this.server.commands.lookup('info');
    if (info !== undefined && acl.checkUser(user, info, ['info'])[0] !== 0) return 401;
    return null;
  }

  private reply(res: http.ServerResponse, status: number, type: string, body: string | Buffer, headOnly = false): void {
    if (res.destroyed) return;
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    res.writeHead(status, { ...COMMON_HEADERS, 'Content-Type': type, 'Content-Length': buf.length });
    res.end(headOnly ? undefined : buf);
  }

  /** `GET /events`: an SSE stream, one state now and then one per second while it stays open. */
  private openEvents(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    res.socket?.setNoDelay(true);
    res.write('retry: 2000\n\n');
    this.viewers.add(res);
    res.on('close', () => {
      this.viewers.delete(res);
      if (this.viewers.size === 0 && this.timer !== null) {
        clearInterval(this.timer);
        this.timer = null;
        this.lastFrame = null;
        this.runtime.dropLoopDelay('dashboard');
      }
    });
    if (this.timer === null || this.lastFrame === null) {
      // The first viewer: a fresh state now, then one per tick.
      this.timer ??= setInterval(() => this.broadcast(), TICK_MS);
      this.timer.unref();
      this.broadcast();
    } else {
      // Later viewers get the tick's state at once (a new state now would measure rates over a
      // fraction of a second).
      res.write(this.lastFrame);
    }
  }

  /** Computes the state and sends it to every viewer (once per tick). */
  private broadcast(): void {
    const frame = `data: ${JSON.stringify(this.feed.next())}\n\n`;
    this.lastFrame = frame;
    for (const v of this.viewers) if (!v.destroyed) v.write(frame);
  }
}

/**
 * Starts the metrics port of `server` when `metrics-port` is set.
 * @returns the running MetricsServer, or null when the port is 0 (off).
 * @throws when a listener cannot be opened (the server's start-up then fails, as for its own port).
 */
export async function startMetricsServer(server: KeydraServer): Promise<MetricsServer | null> {
  const port = server.config.num('metrics-port');
  if (port === 0) return null;
  const own = server.config.list('metrics-bind');
  const binds = own.length > 0 ? own : server.config.list('bind');
  const m = new MetricsServer(server);
  await m.start(port, binds);
  return m;
}
