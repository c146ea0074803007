/**
 * `keydra-server [config-file] [--directive value ...]`: the command-line shell over startServer,
 * behaving like redis-server (same options, config syntax, signals and log lines).
 */
import { appendFileSync } from 'node:fs';
import { Config, strerror } from './config/config.js';
import { ConfigFileError, loadConfigFile, loadConfigText, parseCommandLine } from './config/load.js';
import { commandTable, KEYDRA_VERSION, REDIS_VERSION, StartupError, startServer } from './index.js';
import { Logger } from './server/log.js';
import { pauseClients, unpauseClients } from './server/pause.js';
import { getPersistence } from './persistence/index.js';
import { respawnForHeapLimit } from './evict/heap.js';
import { isSentinelMode, runSentinel } from './sentinel/index.js';
import { parseClusterLocal, runClusterLocal } from './clusterLocal.js';

const USAGE = `Usage: keydra-server [/path/to/redis.conf] [options] [-]
       keydra-server - (read config from stdin)
       keydra-server -v or --version
       keydra-server -h or --help

Examples:
       keydra-server (run the server with default config: 127.0.0.1:6379, data in ./data)
       keydra-server /etc/redis/6379.conf
       keydra-server --port 7777
       keydra-server --port 7777 --replicaof 127.0.0.1 8888
       keydra-server /etc/myredis.conf --loglevel verbose -
       keydra-server --maxmemory 100mb --maxmemory-policy allkeys-lru
       keydra-server --metrics-port 9121 (Prometheus /metrics and the dashboard on 127.0.0.1:9121)
       keydra-server --cluster-local 4 --port 7000 (a 4-node cluster on ports 7000-7003, any node serves any key)
`;

async function main(): Promise<void> {
  // A local cluster of N node processes (src/clusterLocal.ts).
  const local = parseClusterLocal(process.argv.slice(2));
  if (local !== null) {
    await runClusterLocal(local);
    return;
  }
  const cl = parseCommandLine(process.argv.slice(2));
  if (cl.version) {
    console.log(`Keydra server v=${KEYDRA_VERSION} redis_version=${REDIS_VERSION} node=${process.version}`);
    return;
  }
  if (cl.help) {
    process.stdout.write(USAGE);
    return;
  }
  // Sentinel mode (`--sentinel` or a *-sentinel executable, as redis-server's checkForSentinelMode).
  if (isSentinelMode(process.argv)) {
    await runSentinel(cl.configFile, cl.optionsText);
    return;
  }
  const config = new Config();
  config.renameCommand = (name, newName) => commandTable.rename(name, newName);
  try {
    if (cl.configFile !== null) loadConfigFile(config, cl.configFile);
    if (cl.stdin) loadConfigText(config, await readStdin(), '(stdin)');
    loadConfigText(config, cl.optionsText, '(command line)');
    checkLogFile(config);
  } catch (e) {
    if (e instanceof ConfigFileError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  // maxmemory: the V8 heap limit must leave room above it (src/evict/heap.ts).
  try {
    if (respawnForHeapLimit(config.num('maxmemory'), !cl.stdin)) return;
  } catch (e) {
    process.stderr.write(`# ${(e as Error).message}\n`);
    process.exit(1);
  }
  const srv = await startServer({ log: true, ownProcess: true }, config).catch((e: Error) => {
    // Redis logs fatal start-up errors (port busy, ACL file) to its log and exits 1.
    if (!(e instanceof StartupError)) {
      const log = new Logger();
      log.file = config.resolvePath(config.str('logfile'));
      log.warning(e.message);
    }
    process.exit(1);
  });
  const log = srv.server.log;
  const server = srv.server;
  // SIGTERM / SIGINT as Redis 7.0: the handler only logs and flags (shutdown_asap); the cron runs
  // the shutdown with the shutdown-on-sigterm/-sigint flags (save, nosave, force), so SHUTDOWN
  // ABORT can still cancel it; a failing final save keeps the server running unless forced; a
  // second SIGINT exits at once.
  const stop = (sig: 'SIGTERM' | 'SIGINT') => {
    if (server.shutdownAsap !== null && sig === 'SIGINT') {
      log.warning('You insist... exiting now.');
      getPersistence(server).abortShutdownSave();
      process.exit(1);
    }
    log.warning(
      server.loading ? 'Received shutdown signal during loading, scheduling shutdown.' : `Received ${sig} scheduling shutdown...`,
    );
    server.shutdownAsap = sig;
  };
  server.onShutdownSignal = (sig) => {
    const flags = config.list(sig === 'SIGTERM' ? 'shutdown-on-sigterm' : 'shutdown-on-sigint');
    // During loading nothing is saved (the dataset is partial).
    const save = server.loading || flags.includes('nosave') ? false : flags.includes('save') ? true : undefined;
    log.warning('User requested shutdown...');
    // The final save runs in slices with every client paused (Redis serves none while it saves), so
    // that a second SIGINT is still seen (stop above); then the other shutdown steps, without a save.
    const p = getPersistence(server);
    const saving = p.shutdownSaves(save);
    if (saving) pauseClients(server, Date.now() + 365 * 24 * 3600 * 1000, true, 'shutdown');
    (saving ? p.saveForShutdown() : Promise.resolve())
      .then(() => server.shutdown({ save: saving ? false : save }))
      .catch((e: Error) => {
        if (!flags.includes('force')) throw e;
        log.warning(`Errors trying to shut down the server: ${e.message}; exiting anyway (force)`);
        return server.close();
      })
      .then(() => {
        log.warning('Keydra is now ready to exit, bye bye...');
        process.exit(0);
      })
      .catch(() => {
        log.warning('Errors trying to shut down the server. Check the logs for more information.');
        if (saving) unpauseClients(server, 'shutdown');
        server.shutdownAsap = null;
        server.shutdownStarted = false;
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  srv.server.onExit = (code) => process.exit(code);
}

/**
 * Redis refuses to start when the log file cannot be opened (loadServerConfigFromString):
 * @throws ConfigFileError "Can't open the log file: <error>".
 */
function checkLogFile(config: Config): void {
  const file = config.resolvePath(config.str('logfile'));
  if (file === '') return;
  try {
    appendFileSync(file, '');
  } catch (e) {
    throw new ConfigFileError('', 0, '', `Can't open the log file: ${strerror((e as NodeJS.ErrnoException).code)}`);
  }
}

function readStdin(): Promise<string> {
  return new Promise((resolve) => {
    let s = '';
    process.stdin.setEncoding('latin1');
    process.stdin.on('data', (d) => (s += d));
    process.stdin.on('end', () => resolve(s));
  });
}

await main();
