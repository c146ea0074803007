/**
 * WATCH of keys that are already expired but not yet deleted ("stale", active expiry off), against
 * a real redis-server 7.0: their lazy deletion, FLUSHDB and SWAPDB with stale keys on either side
 * are no change (Redis multi.c watchedKey.expired, touchWatchedKey, touchAllWatchedKeysInDb);
 * a live key that expires after WATCH still fails EXEC.
 */
import { describe, it } from 'node:test';
import { type Differential, useDifferential } from '../helpers/differential.js';
import { NO_REDIS } from '../helpers/servers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('WATCH and stale keys (differential)', () => {
  let d: Differential | null = null;
  const same = useDifferential(
    (x) => {
      d = x;
    },
    { redisArgs: ['--enable-debug-command', 'yes'], keydra: { 'enable-debug-command': 'yes' } },
  );

  it('lazy deletion, FLUSHDB and SWAPDB of stale watched keys do not fail EXEC', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await same(['DEBUG', 'SET-ACTIVE-EXPIRE', '0'], ['FLUSHALL']);
    // Watched while stale, then lazily deleted by EXISTS.
    await same(['SET', 'w:x', 'foo', 'PX', '1']);
    await sleep(5);
    await same(['WATCH', 'w:x'], ['EXISTS', 'w:x'], ['MULTI'], ['PING'], ['EXEC']);
    // Watched while stale, then FLUSHDB.
    await same(['SET', 'w:x', 'foo', 'PX', '1']);
    await sleep(5);
    await same(['WATCH', 'w:x'], ['FLUSHDB'], ['MULTI'], ['PING'], ['EXEC']);
    // SWAPDB: stale key swapped with nothing; nothing swapped with a stale key; stale with stale.
    await same(['SELECT', '0'], ['SET', 'w:s', 'a', 'PX', '1'], ['SELECT', '1'], ['SET', 'w:s', 'b', 'PX', '1']);
    await sleep(5);
    await same(['SELECT', '0'], ['WATCH', 'w:s'], ['SWAPDB', '0', '1'], ['MULTI'], ['PING'], ['EXEC']);
    await same(['FLUSHALL'], ['SELECT', '1'], ['SET', 'w:n', 'b', 'PX', '1']);
    await sleep(5);
    await same(['SELECT', '0'], ['WATCH', 'w:n'], ['SWAPDB', '0', '1'], ['MULTI'], ['PING'], ['EXEC']);
    // A live key replaced by SWAPDB, and a live key with a TTL that expires after WATCH: EXEC fails.
    await same(['FLUSHALL'], ['SELECT', '0'], ['SET', 'w:l', '1'], ['WATCH', 'w:l'], ['SWAPDB', '0', '1'], ['MULTI'], ['PING'], ['EXEC']);
    await same(['SET', 'w:t', '1', 'PX', '30'], ['WATCH', 'w:t']);
    await sleep(60);
    await same(['MULTI'], ['PING'], ['EXEC'], ['DEBUG', 'SET-ACTIVE-EXPIRE', '1'], ['SELECT', '0']);
  });
});
