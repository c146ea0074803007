/**
 * Keydra's embedded API: run a real Redis-compatible server inside a Node process.
 *
 *   import { startServer } from 'keydra';
 *   const srv = await startServer({ port: 0 });   // 0 picks a free port
 *   // ... connect ioredis / node-redis to 127.0.0.1:srv.port ...
 *   await srv.close();
 *
 * The CLI (`keydra-server`) is a thin shell over the same function.
 */
import { existsSync, mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Config, formatValue, findDirective, strerror } from './config/config.js';
import type { DirectiveOptions } from './config/directiveOptions.js';
import { keydraLogo } from './server/log.js';
import { KEYDRA_VERSION, KeydraServer, REDIS_VERSION } from './server/server.js';
import { setupPersistence } from './persistence/index.js';
import { commandTable } from './commands/table.js';
import { loadLuaVM, luaReady } from './scripting/engine.js';
import { heapLimitMb, launcherPid } from './evict/heap.js';
import { clusterSupport, loadClusterSupport } from './server/lazyCluster.js';

export { KeydraServer, KEYDRA_VERSION, REDIS_VERSION } from './server/server.js';
export { Config } from './config/config.js';
export type { DirectiveOptions } from './config/directiveOptions.js';
export { commandTable } from './commands/table.js';
export { loadClusterSupport } from './server/lazyCluster.js';

/**
 * The optional parts this process has loaded so far: 'cluster' (cluster bus, nodes.conf and
 * forwarding: loaded by startServer for cluster-enabled yes) and 'lua' (the Lua VM: loaded on the
 * first EVAL, FUNCTION or SCRIPT command, a replica link or an AOF holding them). An embedded server
 * that never needed them loads neither (bench scenario 9 reports this).
 */
export function loadedParts(): string[] {
  const parts: string[] = [];
  try {
    clusterSupport();
    parts.push('cluster');
  } catch {}
  if (luaReady()) parts.push('lua');
  return parts;
}

/**
 * Options for startServer: every directive by its redis.conf name or its camelCase name, typed
 * (DirectiveOptions, generated from the config table), plus `log` and `ownProcess`.
 */
export interface StartOptions extends DirectiveOptions {
  /** TCP port; 0 chooses a free one (reported in the result). Default 6379. */
  port?: number;
  /**
   * Port of the Prometheus `/metrics` endpoint and the live dashboard (`metrics-port`; 0 or
   * absent: off). Served on `metricsBind` (`metrics-bind`), by default the addresses of `bind`.
   */
  metricsPort?: number;
  metricsBind?: string;
  /** Print Redis-format log lines (default: false embedded, true from the CLI). */
  log?: boolean;
  /**
   * The server owns the process, as redis-server does (the CLI): it changes the working
   * directory to `dir` (and follows CONFIG SET dir), and writes/removes `pidfile`. Embedded
   * servers (default false) leave the process alone and resolve relative paths against `dir`.
   */
  ownProcess?: boolean;
  /** One ACL user, as the `user` directive's line: `'alice on >secret ~app:* +@read'` (src/server/acl.ts). */
  user?: string;
}

/** A running server: the port it listens on, and close(). */
export interface RunningServer {
  port: number;
  /**
   * `redis://127.0.0.1:<port>` (`rediss://` when only TLS listens), for clients that take a URL;
   * the host is the first `bind` address (127.0.0.1 for a wildcard).
   */
  url: string;
  /** Port of /metrics and the dashboard (src/metrics), 0 when `metrics-port` is off. */
  metricsPort: number;
  server: KeydraServer;
  /** Stops accepting, closes clients (and runs shutdown persistence as configured). */
  close(): Promise<void>;
}

/** An error of startServer that the server has already written to its log. */
export class StartupError extends Error {
  readonly logged = true;
}

/**
 * Starts a server with the given directives applied over the defaults (or over `config`), in the
 * order of Redis 7.0's main(): banner lines, listeners (initServer), pidfile, logo or "Running
 * mode" line, "Server initialized", dataset loading (clients get -LOADING meanwhile), "Ready to
 * accept connections".
 * @throws ConfigError for an unknown directive or bad value; StartupError (already logged) when
 * the listeners cannot be opened ("Failed listening on port <p> (TCP), aborting.").
 */
export async function startServer(options: StartOptions = {}, config = new Config()): Promise<RunningServer> {
  for (const [name, value] of Object.entries(options)) {
    if (name === 'log' || name === 'ownProcess' || value === undefined) continue;
    // camelCase options name their directive (`metricsPort` → `metrics-port`); a directive's own
    // name is taken in any case, as in a config file.
    const directive = findDirective(name) === undefined ? name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`) : name;
    const d = findDirective(directive);
    const text = typeof value === 'string' ? value : d ? formatValue(d, value) : String(value);
    config.set(directive, text === '' ? [''] : text.split(' '));
  }
  const own = options.ownProcess === true;
  // The pid the caller knows (the launcher when the CLI re-spawned node for a bigger heap).
  const pid = own ? launcherPid() : process.pid;
  mkdirSync(config.str('dir'), { recursive: true });
  if (own) {
    // Like redis-server, which chdir()s to `dir`: relative paths of the process follow it.
    process.chdir(config.str('dir'));
    config.onChange('dir', (v) => process.chdir(v as string));
  }
  config.renameCommand ??= (name, newName) => commandTable.rename(name, newName);
  // Cluster support loads only for a cluster node (src/server/lazyCluster.ts).
  if (config.bool('cluster-enabled')) await loadClusterSupport();
  const server = new KeydraServer(commandTable, config);
  // A replica's link connects once the Lua VM (loaded on first use) is there: the primary's RDB
  // and stream may carry functions (REPLICAOF, CLUSTER REPLICATE, failovers).
  server.replication.loadPrerequisite = () => (luaReady() ? null : loadLuaVM());
  server.log.enabled = options.log ?? false;
  const log = server.log;
  // Redis 7.0 main(): the start-up banner lines, in its order and at its levels.
  log.warning('oO0OoO0OoO0Oo Keydra is starting oO0OoO0OoO0Oo');
  log.warning(`Keydra version=${KEYDRA_VERSION} (Redis ${REDIS_VERSION} compatible), bits=64, pid=${process.pid}, just started`);
  log.warning('Configuration loaded');
  for (const w of config.takeStubWarnings()) log.warning(w);
  for (const w of config.ignored) log.warning(w);
  const persistence = setupPersistence(server);
  // -LOADING from the first accepted connection: with several bind addresses the first listener
  // accepts (and clients send commands) while the next one is still being opened.
  server.loading = true;
  try {
    // The Lua VM (wasm, compiled once per process) loads on first use (src/scripting/engine.ts
    // withLua), but before anything that may run Lua without a client that can wait: a dataset
    // to load at start-up (functions in the RDB/AOF) and a primary to follow (its RDB and stream).
    if (needsLuaAtStartup(config)) await loadLuaVM();
    await server.start();
  } catch (e) {
    throw new StartupError((e as Error).message);
  }
  // The metrics port opens with the server's listeners, before loading (the dashboard shows its
  // progress), and closes with the server. Its module loads only when the port is set.
  let metricsPort = 0;
  if (config.num('metrics-port') !== 0) {
    const { startMetricsServer } = await import('./metrics/metricsServer.js');
    try {
      const metrics = await startMetricsServer(server);
      if (metrics !== null) {
        server.closeHooks.push(() => metrics.close());
        metricsPort = metrics.port;
        log.notice(`Metrics and dashboard on ${metrics.url}/ (Prometheus: ${metrics.url}/metrics)`);
      }
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const msg = `Failed listening on metrics port ${config.num('metrics-port')} (HTTP): ${err.code ?? err.message}, aborting.`;
      log.warning(msg);
      await server.close();
      throw new StartupError(msg);
    }
  }
  const pidfile = config.resolvePath(config.str('pidfile'));
  if (own && pidfile !== '') writePidFile(server, pidfile, pid);
  const logoWanted = config.bool('always-show-logo') || (config.str('logfile') === '' && process.stdout.isTTY === true);
  const mode = server.cluster !== null ? 'cluster' : 'standalone';
  if (logoWanted) log.raw(keydraLogo(KEYDRA_VERSION, REDIS_VERSION, mode, server.port, pid));
  else log.notice(`Running mode=${mode}, port=${server.port}.`);
  log.notice(`V8 heap limit ${heapLimitMb()} MB (maxmemory ${config.num('maxmemory')} bytes)`);
  log.warning('Server initialized');
  try {
    // The listener is open: clients get -LOADING until the dataset is in memory.
    await persistence.loadAtStartup();
  } catch (e) {
    await server.close();
    throw e;
  }
  if (server.cluster !== null && !server.cluster.verifyConfigWithData()) {
    const msg = "You can't have keys in a DB different than DB 0 when in Cluster mode. Exiting.";
    log.warning(msg);
    await server.close();
    throw new StartupError(msg);
  }
  server.logReady();
  // `replicaof host port` in the config: follow that primary once the local dataset is loaded.
  const primaryOf = config.list('replicaof');
  if (primaryOf.length === 2 && server.cluster === null) server.replication.replicaOf(primaryOf[0], Number(primaryOf[1]));
  const host = (config.list('bind')[0] ?? '127.0.0.1').replace(/^-/, '');
  const urlHost =
    host === '*' || host === '0.0.0.0' ? '127.0.0.1' : host === '::*' || host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  const scheme = server.tlsPort !== 0 && server.port === server.tlsPort ? 'rediss' : 'redis';
  return {
    port: server.port,
    url: `${scheme}://${urlHost}:${server.port}`,
    metricsPort,
    server,
    close: () => server.shutdown({ save: undefined }),
  };
}

/** True when start-up may run Lua: an RDB or AOF to load, or `replicaof` configured. */
function needsLuaAtStartup(config: Config): boolean {
  const dir = config.str('dir');
  if (config.list('replicaof').length === 2) return true;
  if (existsSync(join(dir, config.str('dbfilename')))) return true;
  return (
    config.bool('appendonly') && (existsSync(join(dir, config.str('appenddirname'))) || existsSync(join(dir, config.str('appendfilename'))))
  );
}

/**
 * Writes the process id to `path` (Redis createPidFile) and removes it at shutdown, after the
 * final save succeeded ("Removing the pid file."). A file that cannot be written is logged.
 */
function writePidFile(server: KeydraServer, path: string, pid: number): void {
  try {
    writeFileSync(path, `${pid}\n`);
  } catch (e) {
    server.log.warning(`Failed to write PID file: ${strerror((e as NodeJS.ErrnoException).code)}`);
    return;
  }
  server.shutdownHooks.push(() => {
    server.log.notice('Removing the pid file.');
    try {
      unlinkSync(path);
    } catch {
      // Already gone.
    }
  });
}
