/**
 * Keydra as a Redis Sentinel 7.0 (`keydra-server --sentinel`): the Sentinel state (monitored
 * masters, epochs, my id), its client listener, the event channels and the timer driving
 * monitoring and failover (sentinel.c sentinelTimer). Runs as its own process mode: nothing
 * here is loaded by the data server.
 */
import { randomBytes } from 'node:crypto';
import { accessSync, constants, writeFileSync } from 'node:fs';
import { lookup as dnsLookup } from 'node:dns';
import net from 'node:net';
import type tls from 'node:tls';
import { resolve as resolvePath } from 'node:path';
import { Config } from '../config/config.js';
import { Logger, type LogLevel } from '../server/log.js';
import { ERR_TLS_STARTUP, TlsState } from '../server/tls.js';
import { handleClientData, type SentinelClient, type SentinelUser } from './commands.js';
import { loadSentinelConfigText, rewriteSentinelConfig, SentinelConfigError, type ServerDirectives } from './config.js';
import { handleInstance, switchToPromotedSlave } from './failover.js';
import {
  type Addr,
  announce,
  announceConfig,
  DEFAULT_DOWN_AFTER,
  FailoverState,
  Instance,
  SRI_MASTER,
  SRI_SLAVE,
  addrName,
} from './instance.js';
import { Link } from './links.js';
import { ScriptQueue } from './scripts.js';
import { globMatch } from '../store/glob.js';
import { readFileSync } from 'node:fs';

/** Tunables of sentinel.c (SENTINEL DEBUG can change them), in ms. */
export interface Timing {
  infoPeriod: number;
  pingPeriod: number;
  askPeriod: number;
  publishPeriod: number;
  defaultDownAfter: number;
  tiltTrigger: number;
  tiltPeriod: number;
  slaveReconfTimeout: number;
  minLinkReconnectPeriod: number;
  electionTimeout: number;
  maxDesync: number;
  defaultFailoverTimeout: number;
}

/** Simulated failures (SENTINEL SIMULATE-FAILURE). */
export const SIMFAILURE_CRASH_AFTER_ELECTION = 1;
export const SIMFAILURE_CRASH_AFTER_PROMOTION = 2;

/** The Sentinel: state, listener, timer. */
export class Sentinel {
  myid = '';
  currentEpoch = 0;
  masters = new Map<string, Instance>();
  tilt = false;
  tiltStartTime = 0;
  previousTime = Date.now();
  announceIp = '';
  announcePort = 0;
  resolveHostnames = false;
  private _announceHostnames = false;
  get announceHostnames(): boolean {
    return this._announceHostnames;
  }
  set announceHostnames(v: boolean) {
    this._announceHostnames = v;
    announceConfig.hostnames = v;
  }
  denyScriptsReconfig = true;
  sentinelUser: string | null = null;
  sentinelPass: string | null = null;
  simfailureFlags = 0;
  /** ACL users for this Sentinel's clients (`requirepass` sets the default user's password). */
  readonly users = new Map<string, SentinelUser>([
    ['default', { enabled: true, nopass: true, passwords: new Set(), rules: ['~*', '&*', '+@all'] }],
  ]);
  port = 26379;
  bind: string[] = ['*'];
  configFile: string;
  readonly log = new Logger();
  /** notification-script / client-reconfig-script jobs (src/sentinel/scripts.ts). */
  readonly scripts = new ScriptQueue((level, type, msg) => this.event(level, type, null, msg));
  readonly timing: Timing = {
    infoPeriod: 10000,
    pingPeriod: 1000,
    askPeriod: 1000,
    publishPeriod: 2000,
    defaultDownAfter: DEFAULT_DOWN_AFTER,
    tiltTrigger: 2000,
    tiltPeriod: 30000,
    slaveReconfTimeout: 10000,
    minLinkReconnectPeriod: 15000,
    electionTimeout: 10000,
    maxDesync: 1000,
    defaultFailoverTimeout: 60 * 3 * 1000,
  };
  readonly startTime = Date.now();
  readonly runId = randomBytes(20).toString('hex');
  private servers: net.Server[] = [];
  /** TLS (tls-port, tls-replication and the certificates), null without any tls-* directive. */
  tls: TlsState | null = null;
  tlsPort = 0;
  tlsReplication = false;
  private timer: NodeJS.Timeout | null = null;
  readonly clients = new Set<SentinelClient>();
  nextClientId = 1;
  readonly channels = new Map<string, Set<SentinelClient>>();
  readonly patterns = new Map<string, Set<SentinelClient>>();
  totalConnections = 0;
  totalCommands = 0;
  /** Called by SHUTDOWN and fatal conditions (the CLI exits the process). */
  onExit: (code: number) => void = () => {};
  /** Called by crash() (SIMULATE-FAILURE): ends the process at once; embedded, it stops the sentinel. */
  onCrash: (code: number) => void = (code) => {
    void this.stop();
    this.onExit(code);
  };

  constructor(configFile: string) {
    this.configFile = resolvePath(configFile);
    this.log.role = 'X';
  }

  /**
   * Loads the config file (server directives + `sentinel` lines) and any extra config text (the
   * command line's `--directive value` options). @throws SentinelConfigError.
   */
  loadConfig(extraText = ''): ServerDirectives {
    const d: ServerDirectives = {
      port: null,
      bind: null,
      dir: null,
      logfile: null,
      loglevel: null,
      requirepass: null,
      pidfile: null,
      tls: [],
    };
    loadSentinelConfigText(this, readFileSync(this.configFile, 'latin1'), d);
    if (extraText !== '') loadSentinelConfigText(this, extraText, d);
    if (d.port !== null) this.port = d.port;
    if (d.bind !== null) this.bind = d.bind;
    if (d.dir !== null) process.chdir(d.dir);
    if (d.logfile !== null) this.log.file = d.logfile;
    if (d.loglevel !== null) this.log.level = d.loglevel as LogLevel;
    if (d.requirepass !== null) {
      const u = this.users.get('default') as SentinelUser;
      u.nopass = d.requirepass === '';
      u.passwords = new Set(d.requirepass === '' ? [] : [d.requirepass]);
    }
    if (d.pidfile !== null) writeFileSync(d.pidfile, `${process.pid}\n`);
    if (d.tls.length > 0) {
      // The tls-* directives with redis-server's validation (src/config), for src/server/tls.ts.
      const config = new Config();
      for (const [name, args] of d.tls) {
        try {
          config.set(name, args);
        } catch (e) {
          throw new SentinelConfigError(
            `\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n>>> '${name} ${args.join(' ')}'\n${(e as Error).message}`,
          );
        }
      }
      this.tlsPort = config.num('tls-port');
      this.tlsReplication = config.bool('tls-replication');
      this.tls = new TlsState(config, { warning: (m) => this.log.warning(m), verbose: (m) => this.log.verbose(m) });
    }
    return d;
  }

  /**
   * Starts listening and the timer (sentinelIsRunning): checks the config file is writable,
   * generates the id when missing and flushes the config once.
   * @throws Error "Sentinel config file ... is not writable" as Redis exits with.
   */
  async start(): Promise<void> {
    try {
      accessSync(this.configFile, constants.W_OK);
    } catch {
      throw new Error(`Sentinel config file ${this.configFile} is not writable: Permission denied. Exiting...`);
    }
    if (this.myid === '') {
      this.myid = randomBytes(20).toString('hex');
      this.flushConfig();
    }
    this.log.warning(`Sentinel ID is ${this.myid}`);
    for (const m of this.masters.values()) this.event('warning', '+monitor', m, `%@ quorum ${m.quorum}`);
    const hosts = this.bind.includes('*') || this.bind.length === 0 ? [undefined] : this.bind.map((h) => h.replace(/^-/, ''));
    for (const host of hosts) {
      const srv = net.createServer((sock) => handleClientData(this, sock));
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(this.port, host, () => resolve());
      });
      if (this.port === 0) this.port = (srv.address() as net.AddressInfo).port;
      this.servers.push(srv);
    }
    if (this.tls?.wanted && !this.tls.configure()) throw new Error(ERR_TLS_STARTUP);
    const tlsState = this.tls;
    if (tlsState !== null && this.tlsPort !== 0) {
      // The TLS port (Redis's listener on tls-port): the handshake, then the same client handling.
      for (const host of hosts) {
        const srv = net.createServer((sock) => tlsState.handshake(sock, (secure) => handleClientData(this, secure)));
        await new Promise<void>((resolve, reject) => {
          srv.once('error', reject);
          srv.listen(this.tlsPort, host, () => resolve());
        });
        this.servers.push(srv);
      }
    }
    this.scheduleTimer();
  }

  /** The client TLS context for links to instances (`tls-replication yes`), else null. */
  linkTlsContext(): tls.SecureContext | null {
    return this.tlsReplication && this.tls !== null ? this.tls.clientContext : null;
  }

  /** Stops the timer, the listener and every link. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const m of this.masters.values()) this.releaseMasterLinks(m, true);
    for (const c of this.clients) c.socket.destroy();
    await Promise.all(this.servers.map((s) => new Promise((r) => s.close(r))));
  }

  private scheduleTimer(): void {
    // Redis changes hz at every call (10..19) so that Sentinels stay desynchronised.
    const hz = 10 + Math.floor(Math.random() * 10);
    this.timer = setTimeout(() => {
      try {
        this.tick();
      } catch (e) {
        this.log.warning(`Sentinel timer error: ${(e as Error).stack}`);
      }
      if (this.timer !== null) this.scheduleTimer();
    }, 1000 / hz);
  }

  /** sentinelTimer: TILT check, then every instance; a failover at update_config switches last. */
  tick(): void {
    this.checkTilt();
    this.scripts.run();
    let switchTo: Instance | null = null;
    for (const m of [...this.masters.values()]) {
      handleInstance(this, m);
      for (const sl of [...m.slaves.values()]) handleInstance(this, sl);
      for (const se of [...m.sentinels.values()]) handleInstance(this, se);
      if (m.failoverState === FailoverState.UpdateConfig) switchTo = m;
    }
    if (switchTo !== null) switchToPromotedSlave(this, switchTo);
  }

  private checkTilt(): void {
    const now = Date.now();
    const delta = now - this.previousTime;
    if (delta < 0 || delta > this.timing.tiltTrigger) {
      this.tilt = true;
      this.tiltStartTime = now;
      this.event('warning', '+tilt', null, '#tilt mode entered');
    }
    this.previousTime = now;
    if (this.tilt && now - this.tiltStartTime > this.timing.tiltPeriod) {
      this.tilt = false;
      this.event('warning', '-tilt', null, '#tilt mode exited');
    }
  }

  /** Resolves the host as sentinel.c createSentinelAddr: an IP, or a name with resolve-hostnames. */
  makeAddr(host: string, port: number): Addr | string {
    if (!Number.isInteger(port) || port < 0 || port > 65535) return 'Invalid port number.';
    if (net.isIP(host) !== 0) return { host, ip: host, port };
    if (!this.resolveHostnames) return "Can't resolve instance hostname.";
    // resolve-hostnames: the IP is filled in by a lookup (localhost at once); until then the name is used.
    const addr: Addr = { host, ip: host.toLowerCase() === 'localhost' ? '127.0.0.1' : host, port };
    if (addr.ip === host) {
      dnsLookup(host, { family: 0 }, (err, ip) => {
        if (!err && ip) addr.ip = ip;
      });
    }
    return addr;
  }

  /** createSentinelRedisInstance for a master. @returns the instance or Redis's error text. */
  createMaster(name: string, host: string, port: number, quorum: number): Instance | string {
    if (this.masters.has(name)) return 'Duplicate master name.';
    const addr = this.makeAddr(host, port);
    if (typeof addr === 'string') return addr;
    const m = new Instance(name, SRI_MASTER, addr, quorum, null, this.timing.defaultDownAfter);
    m.failoverTimeout = this.timing.defaultFailoverTimeout;
    m.link = new Link();
    this.masters.set(name, m);
    return m;
  }

  /**
   * createSentinelRedisInstance for a replica (name = "ip:port") or a sentinel (name = run id)
   * of `master`. @returns the instance, or an error text (duplicate, bad address).
   */
  createInstance(runid: string | null, flags: number, host: string, port: number, master: Instance): Instance | string {
    const addr = this.makeAddr(host, port);
    if (typeof addr === 'string') return addr;
    const name = flags & SRI_SLAVE ? addrName(host, port) : (runid ?? addrName(host, port));
    const table = flags & SRI_SLAVE ? master.slaves : master.sentinels;
    if (table.has(name)) return flags & SRI_SLAVE ? 'Duplicate hostname and port for replica.' : 'Duplicate runid for sentinel.';
    const ri = new Instance(name, flags, addr, master.quorum, master, master.downAfterPeriod);
    ri.link = new Link();
    table.set(name, ri);
    return ri;
  }

  /** SENTINEL SET down-after-milliseconds: the master and all its instances (sentinelPropagateDownAfterPeriod). */
  setDownAfter(m: Instance, v: number): void {
    m.downAfterPeriod = v;
    for (const x of m.slaves.values()) x.downAfterPeriod = v;
    for (const x of m.sentinels.values()) x.downAfterPeriod = v;
  }

  /** sentinelGetCurrentMasterAddress: the promoted replica's address once the failover reached reconf_slaves. */
  currentMasterAddr(m: Instance): Addr {
    if (m.flags & 64 /* FAILOVER_IN_PROGRESS */ && m.promotedSlave !== null && m.failoverState >= FailoverState.ReconfSlaves)
      return m.promotedSlave.addr;
    return m.addr;
  }

  /** Closes the links of a master's instances (when removed or reset). */
  releaseMasterLinks(m: Instance, withSentinels: boolean): void {
    m.link.closeAll();
    for (const x of m.slaves.values()) x.link.closeAll();
    if (withSentinels) for (const x of m.sentinels.values()) x.link.closeAll();
  }

  /** sentinelFlushConfig: rewrites the config file, logging failures. @returns success. */
  flushConfig(): boolean {
    try {
      rewriteSentinelConfig(this);
      return true;
    } catch (e) {
      this.log.warning(`WARNING: Sentinel was not able to save the new configuration on disk!!!: ${(e as Error).message}`);
      return false;
    }
  }

  /**
   * sentinelEvent: logs and publishes `type` with the message; a `%@` prefix expands to the
   * instance description. Debug-level events are only logged.
   */
  event(level: 'debug' | 'verbose' | 'notice' | 'warning', type: string, ri: Instance | null, fmt: string): void {
    let msg = fmt;
    if (ri !== null && fmt.startsWith('%@')) msg = ri.describe() + fmt.slice(2);
    this.log[level](`${type} ${msg}`);
    if (level !== 'debug') this.publish(type, msg);
    if (level === 'warning' && ri !== null) {
      const m = ri.isMaster ? ri : ri.master;
      if (m?.notificationScript) this.scripts.schedule(m.notificationScript, [type, msg]);
    }
  }

  /**
   * sentinelCallClientReconfScript: runs the master's client-reconfig-script (if any) with
   * `<master-name> <leader|observer> start <from-ip> <from-port> <to-ip> <to-port>`.
   */
  clientReconfScript(m: Instance, role: 'leader' | 'observer', from: Addr, to: Addr): void {
    if (!m.clientReconfigScript) return;
    this.scripts.schedule(m.clientReconfigScript, [
      m.name,
      role,
      'start',
      announce(from),
      String(from.port),
      announce(to),
      String(to.port),
    ]);
  }

  /** Publishes to this Sentinel's own subscribers. @returns the number of receivers. */
  publish(channel: string, msg: string): number {
    let n = 0;
    const subs = this.channels.get(channel);
    if (subs) {
      for (const c of subs) {
        c.writeMessage(['message', channel, msg]);
        n++;
      }
    }
    for (const [pat, set] of this.patterns) {
      if (!globMatch(pat, channel)) continue;
      for (const c of set) {
        c.writeMessage(['pmessage', pat, channel, msg]);
        n++;
      }
    }
    return n;
  }

  /**
   * sentinelSimFailureCrash (sentinel.c): SENTINEL SIMULATE-FAILURE ends the process at the chosen
   * point with Redis's log line and exit code 99, at once (no config flush, nothing more sent):
   * `onCrash`, which the CLI sets to process.exit. The caller returns right after.
   */
  crash(): void {
    this.log.warning('Sentinel CRASH because of SENTINEL simulate-failure');
    this.onCrash(99);
  }

  /** The address this Sentinel announces: announce-ip or the link's local address. */
  announceAddr(localAddress: string): { ip: string; port: number } {
    // sentinelSendHello: the TLS port when the links are TLS (tls-replication with a tls-port).
    const port = this.announcePort !== 0 ? this.announcePort : this.tlsReplication && this.tlsPort !== 0 ? this.tlsPort : this.port;
    return { ip: this.announceIp !== '' ? this.announceIp : localAddress, port };
  }
}

/** checkForSentinelMode: `--sentinel` among the arguments or an executable named *-sentinel. */
export function isSentinelMode(argv: string[]): boolean {
  if (argv.slice(2).includes('--sentinel')) return true;
  return /(redis|keydra)-sentinel(\.js)?$/.test(argv[1] ?? '');
}

/**
 * Runs Sentinel mode for the CLI: `[sentinel.conf] [--directive value ...]`. Exits the process
 * with Redis's messages when the config file is missing, unreadable, invalid or not writable.
 */
export async function runSentinel(configFile: string | null, optionsText: string): Promise<Sentinel> {
  if (configFile === null) {
    process.stderr.write('Sentinel needs config file on disk to save state.  Exiting...\n');
    process.exit(1);
  }
  const s = new Sentinel(configFile);
  try {
    s.loadConfig(optionsText);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  }
  try {
    await s.start();
  } catch (e) {
    // As redis-server: listening errors go to the log (stderr only without a logfile).
    const err = e as NodeJS.ErrnoException;
    const lines =
      err.code === 'EADDRINUSE'
        ? [
            `Warning: Could not create server TCP listening socket *:${s.port}: bind: Address already in use`,
            `Failed listening on port ${s.port} (TCP), aborting.`,
          ]
        : [err.message];
    for (const l of lines) {
      if (s.log.file !== '') s.log.warning(l);
      else process.stderr.write(`${l}\n`);
    }
    process.exit(1);
  }
  s.log.notice(`Keydra Sentinel ready to accept connections on port ${s.port}`);
  s.onCrash = (code) => process.exit(code);
  s.onExit = (code) => {
    void s.stop().finally(() => process.exit(code));
    setTimeout(() => process.exit(code), 500).unref();
  };
  const stop = (sig: string) => {
    s.log.warning(`Received ${sig} scheduling shutdown...`);
    s.flushConfig();
    s.onExit(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return s;
}
