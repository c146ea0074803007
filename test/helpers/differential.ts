/**
 * Differential testing: run the same commands against a real redis-server and Keydra and compare
 * the raw reply bytes.
 *
 *   const d = await Differential.start();          // null when redis-server is absent
 *   await d.same(['SET', 'k', 'v'], ['GET', 'k']); // asserts byte-identical replies, in order
 *   await d.close();
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import type { StartOptions } from '../../src/index.js';
import { type Peer, startKeydra, startRedis } from './servers.js';

export type Cmd = (string | Buffer | number)[];

export class Differential {
  private constructor(
    readonly redis: Peer,
    readonly keydra: Peer,
    readonly r: RawClient,
    readonly k: RawClient,
  ) {}

  /**
   * Starts both servers with the same extra directives. @returns null when redis-server is not
   * installed (the caller skips with NO_REDIS).
   */
  static async start(opts: { redisArgs?: string[]; keydra?: StartOptions } = {}): Promise<Differential | null> {
    const redis = await startRedis(opts.redisArgs ?? []);
    if (redis === null) return null;
    const keydra = await startKeydra(opts.keydra ?? {});
    return new Differential(redis, keydra, await RawClient.connect(redis.port), await RawClient.connect(keydra.port));
  }

  /** New connections to both servers (for multi-client scenarios). */
  async connectBoth(): Promise<[RawClient, RawClient]> {
    return [await RawClient.connect(this.redis.port), await RawClient.connect(this.keydra.port)];
  }

  /** Sends each command to both servers and asserts identical raw replies; returns Redis's replies. */
  async same(...cmds: Cmd[]): Promise<Buffer[]> {
    const out: Buffer[] = [];
    for (const cmd of cmds) {
      const [a, b] = await Promise.all([this.r.send(...cmd), this.k.send(...cmd)]);
      assert.equal(
        b.raw.toString('latin1'),
        a.raw.toString('latin1'),
        `reply to ${JSON.stringify(cmd.map(String)).slice(0, 300)} differs (actual: keydra, expected: redis)`,
      );
      out.push(a.raw);
    }
    return out;
  }

  /**
   * Sends a command to both and compares after `normalize` (for replies with nondeterministic parts,
   * e.g. sort sets' members, SPOP picks). Normalize gets the decoded reply.
   */
  async sameAfter(cmd: Cmd, normalize: (reply: unknown) => unknown): Promise<void> {
    const [a, b] = await Promise.all([this.r.call(...cmd), this.k.call(...cmd)]);
    assert.deepEqual(normalize(b), normalize(a), `reply to ${JSON.stringify(cmd.map(String)).slice(0, 300)} differs`);
  }

  async close(): Promise<void> {
    this.r.close();
    this.k.close();
    await Promise.all([this.redis.close(), this.keydra.close()]);
  }
}

/**
 * The per-file setup of a differential test: starts a Differential pair before the file's tests
 * and closes it after them, handing it to `onStart` (null when redis-server is not installed: the
 * tests then skip with NO_REDIS). @returns `same(...cmds)` on that pair (asserts identical raw
 * replies, returns Redis's).
 */
export function useDifferential(
  onStart: (d: Differential | null) => void,
  opts: { redisArgs?: string[]; keydra?: StartOptions } = {},
): (...cmds: Cmd[]) => Promise<Buffer[]> {
  let cur: Differential | null = null;
  before(async () => {
    cur = await Differential.start(opts);
    onStart(cur);
  });
  after(async () => {
    await cur?.close();
  });
  return (...cmds: Cmd[]) => (cur as Differential).same(...cmds);
}
