/**
 * `keydra-server [config-file] [--directive value ...]`: the command-line shell over startServer,
 * behaving like redis-server (same options, config syntax, signals and log lines).
 */
import { Config } from './config/config.js';
import { ConfigFileError, loadConfigFile, loadConfigText, parseCommandLine } from './config/load.js';
import { KEYDRA_VERSION, REDIS_VERSION, startServer } from './index.js';
import { respawnForHeapLimit } from './evict/heap.js';

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
`;

async function main(): Promise<void> {
  const cl = parseCommandLine(process.argv.slice(2));
  if (cl.version) {
    console.log(`Keydra server v=${KEYDRA_VERSION} redis_version=${REDIS_VERSION} node=${process.version}`);
    return;
  }
  if (cl.help) {
    process.stdout.write(USAGE);
    return;
  }
  const config = new Config();
  try {
    if (cl.configFile === '-') loadConfigText(config, await readStdin(), '(stdin)');
    else if (cl.configFile !== null) loadConfigFile(config, cl.configFile);
    loadConfigText(config, cl.optionsText, '(command line)');
  } catch (e) {
    if (e instanceof ConfigFileError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  // maxmemory: the V8 heap limit must leave room above it (src/evict/heap.ts).
  try {
    if (respawnForHeapLimit(config.num('maxmemory'), cl.configFile !== '-')) return;
  } catch (e) {
    process.stderr.write(`# ${(e as Error).message}\n`);
    process.exit(1);
  }
  const srv = await startServer({ log: true }, config).catch((e: Error) => {
    process.stderr.write(`# ${e.message}\n`);
    process.exit(1);
  });
  const log = srv.server.log;
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.warning(`Received ${sig} scheduling shutdown...`);
    srv
      .close()
      .then(() => {
        log.warning('Keydra is now ready to exit, bye bye...');
        process.exit(0);
      })
      .catch((e: Error) => {
        log.warning(`Errors trying to shut down the server: ${e.message}`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  srv.server.onExit = (code) => process.exit(code);
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
