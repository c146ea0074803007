/**
 * What persistence needs of the server, as an interface, so that src/persistence depends on the
 * config and store layers only, never on src/server or src/commands (KeydraServer implements it).
 * AOF loading replays commands through a CommandReplayer the server hands out: the one way a
 * trusted, socketless client runs stored commands (Redis's fake AOF client, loadSingleAppendOnlyFile).
 */
import type { Config } from '../config/config.js';
import type { Keyspace } from '../store/db.js';

/** Runs commands read from a file as a trusted client without a socket. */
export interface CommandReplayer {
  /**
   * The command `argv` names, a container's subcommand resolved (Redis lookupCommand(argv, argc)):
   * its full name (`config|set`) and arity (negative: at least), or undefined when unknown.
   */
  lookup(argv: string[]): { fullName: string; arity: number } | undefined;
  /** Runs `argv` (no auth, ACL or OOM gates; MULTI/EXEC as a client would) and drops its reply. */
  run(argv: string[]): void;
  /**
   * After `run`: a promise that resolves when the script the command started has ended (it was
   * suspended past busy-reply-threshold; only with `newReplayer({ scriptsMayYield: true })`), else null.
   */
  wait(): Promise<void> | null;
}

/** The server as persistence sees it (src/server/server.ts KeydraServer). */
export interface PersistenceHost {
  readonly config: Config;
  readonly log: { notice(msg: string): void; warning(msg: string): void; verbose(msg: string): void };
  readonly keyspace: Keyspace;
  /** Writes since the last save (rdb_changes_since_last_save). */
  dirty: number;
  /** True while the dataset loads (commands without the `loading` flag get -LOADING). */
  loading: boolean;
  /** The -MISCONF error write commands get after a failed save, or null. */
  diskError: string | null;
  /** Run by the server cron with the time in ms. */
  readonly cronHooks: ((now: number) => void)[];
  /** Run on SHUTDOWN / signals; `save` is the SAVE/NOSAVE choice (undefined: the config's). */
  readonly shutdownHooks: ((opts: { save: boolean | undefined }) => void)[];
  /** Run before replies are written (the AOF write and fsync). */
  readonly beforeFlushHooks: (() => unknown)[];
  /**
   * Writes the replies queued in this event-loop turn now instead of after the next setImmediate
   * callbacks: a background snapshot calls it before each slice of work, so a reply never waits
   * behind a slice queued ahead of the flush (Redis's fork child never delays them).
   */
  flushReplies(): void;
  /**
   * Puts this server's encoding thresholds (hash-max-listpack-*, set-max-intset-entries,
   * zset-max-listpack-*) into the store's limits: a load in slices calls it before each slice,
   * since another embedded server's commands may have run in between (KeydraServer).
   */
  applyEncodingLimits(): void;
  /**
   * Receives every propagated write unit while `wanted()`, of the targets in `target`
   * (1: AOF, 2: replication stream; default both).
   */
  addPropagationListener(l: (dbId: number, argv: string[]) => void, wanted?: () => boolean, target?: number): void;
  /**
   * A new replayer for loading an AOF; `scriptsMayYield`: a slow script is suspended (other
   * clients are served meanwhile) and `wait()` tells when it ends, for a load in slices.
   */
  newReplayer(opts?: { scriptsMayYield?: boolean }): CommandReplayer;
}
