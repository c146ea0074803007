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
import { mkdirSync } from 'node:fs';
import { Config, type ConfigValue, formatValue, findDirective } from './config/config.js';
import { KEYDRA_VERSION, KeydraServer, REDIS_VERSION } from './server/server.js';
import { setupPersistence } from './persistence/index.js';
import { heapLimitMb } from './evict/heap.js';

export { KeydraServer, KEYDRA_VERSION, REDIS_VERSION } from './server/server.js';
export { Config } from './config/config.js';

/** Options for startServer: any directive by its redis.conf name, plus `log`. */
export interface StartOptions {
  /** TCP port; 0 chooses a free one (reported in the result). Default 6379. */
  port?: number;
  /** Print Redis-format log lines (default: false embedded, true from the CLI). */
  log?: boolean;
  /** Any other directive by name, e.g. `{ 'maxmemory': '100mb', appendonly: true }`. */
  [directive: string]: ConfigValue | undefined;
}

/** A running server: the port it listens on, and close(). */
export interface RunningServer {
  port: number;
  server: KeydraServer;
  /** Stops accepting, closes clients (and runs shutdown persistence as configured). */
  close(): Promise<void>;
}

/**
 * Starts a server with the given directives applied over the defaults (or over `config`).
 * @throws ConfigError for an unknown directive or bad value; an Error if the port cannot be bound.
 */
export async function startServer(options: StartOptions = {}, config = new Config()): Promise<RunningServer> {
  for (const [name, value] of Object.entries(options)) {
    if (name === 'log' || value === undefined) continue;
    const d = findDirective(name);
    const text = typeof value === 'string' ? value : d ? formatValue(d, value) : String(value);
    config.set(name, text === '' ? [''] : text.split(' '));
  }
  const server = new KeydraServer(config);
  server.log.enabled = options.log ?? false;
  // Redis 7.0 main(): the start-up banner lines, in its order.
  server.log.notice('oO0OoO0OoO0Oo Keydra is starting oO0OoO0OoO0Oo');
  server.log.notice(`Keydra version=${KEYDRA_VERSION} (Redis ${REDIS_VERSION} compatible), bits=64, pid=${process.pid}, just started`);
  server.log.notice('Configuration loaded');
  mkdirSync(config.str('dir'), { recursive: true });
  const persistence = setupPersistence(server);
  // -LOADING from the first accepted connection: with several bind addresses the first listener
  // accepts (and clients send commands) while the next one is still being opened.
  server.loading = true;
  await server.start();
  server.log.notice(`Running mode=standalone, port=${server.port}.`);
  server.log.notice(`V8 heap limit ${heapLimitMb()} MB (maxmemory ${config.num('maxmemory')} bytes)`);
  server.log.notice('Server initialized');
  try {
    // The listener is open: clients get -LOADING until the dataset is in memory.
    await persistence.loadAtStartup();
  } catch (e) {
    await server.close();
    throw e;
  }
  server.logReady();
  return { port: server.port, server, close: () => server.shutdown({ save: undefined }) };
}
