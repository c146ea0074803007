/** Transactions against a real redis-server: MULTI/EXEC/DISCARD/WATCH replies compared byte for byte. */
import { after, before, describe, it } from 'node:test';
import { Differential } from '../helpers/differential.js';
import { NO_REDIS } from '../helpers/servers.js';

describe('transactions (differential)', () => {
  let d: Differential | null;
  before(async () => {
    d = await Differential.start();
  });
  after(async () => {
    await d?.close();
  });

  it('MULTI/EXEC queues and runs commands, errors in place', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(['MULTI'], ['SET', 'tx:a', '1'], ['INCR', 'tx:a'], ['GET', 'tx:a'], ['EXEC']);
    await d.same(['MULTI'], ['SET', 'tx:s', 'abc'], ['INCR', 'tx:s'], ['GET', 'tx:s'], ['EXEC']);
    await d.same(['MULTI'], ['EXEC']);
  });

  it('over maxmemory: commands queued in MULTI are refused (but DISCARD), EXEC aborts when a queued command needs memory', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const [r2, k2] = await d.connectBoth();
    const oom = (on: boolean) =>
      Promise.all([r2.call('CONFIG', 'SET', 'maxmemory', on ? '1' : '0'), k2.call('CONFIG', 'SET', 'maxmemory', on ? '1' : '0')]);
    try {
      await d.same(['SET', 'tx:m', 'value'], ['MULTI'], ['GET', 'tx:m'], ['PING']);
      await oom(true);
      await d.same(['EXEC']);
      await d.same(['MULTI'], ['SET', 'tx:m', '1'], ['DISCARD']);
      await oom(false);
      await d.same(['MULTI'], ['SET', 'tx:m', '1'], ['GET', 'tx:m']);
      await oom(true);
      await d.same(['EXEC'], ['PING']);
    } finally {
      await oom(false);
      r2.close();
      k2.close();
    }
  });

  it('a queue-time error aborts EXEC with EXECABORT', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(['MULTI'], ['SET', 'tx:b'], ['NOSUCHCMD', 'x'], ['SET', 'tx:b', '1'], ['EXEC'], ['GET', 'tx:b']);
  });

  it('nested MULTI, EXEC/DISCARD without MULTI, WATCH inside MULTI', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(['EXEC'], ['DISCARD'], ['MULTI'], ['MULTI'], ['WATCH', 'x'], ['SET', 'tx:c', '1'], ['DISCARD'], ['GET', 'tx:c']);
  });

  it('WATCH: a key changed by another client makes EXEC return nil', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const [r2, k2] = await d.connectBoth();
    await d.same(['SET', 'tx:w', '1'], ['WATCH', 'tx:w'], ['MULTI'], ['INCR', 'tx:w']);
    await Promise.all([r2.call('SET', 'tx:w', '10'), k2.call('SET', 'tx:w', '10')]);
    await d.same(['EXEC'], ['GET', 'tx:w']);
    // Unchanged watched key: EXEC runs.
    await d.same(['WATCH', 'tx:w'], ['MULTI'], ['INCR', 'tx:w'], ['EXEC']);
    // UNWATCH forgets.
    await d.same(['WATCH', 'tx:w'], ['UNWATCH']);
    await Promise.all([r2.call('SET', 'tx:w', '1'), k2.call('SET', 'tx:w', '1')]);
    await d.same(['MULTI'], ['INCR', 'tx:w'], ['EXEC']);
    // FLUSHALL and DEL touch watched keys.
    await d.same(['WATCH', 'tx:w'], ['DEL', 'tx:w'], ['MULTI'], ['PING'], ['EXEC']);
    r2.close();
    k2.close();
  });

  it('WATCH on a key that expires before EXEC aborts', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(['SET', 'tx:e', '1', 'PX', '50'], ['WATCH', 'tx:e'], ['MULTI'], ['GET', 'tx:e']);
    await new Promise((r) => setTimeout(r, 120));
    await d.same(['EXEC']);
  });

  it('RESP3 null for an aborted EXEC', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const [r2, k2] = await d.connectBoth();
    await Promise.all([d.r.call('HELLO', '3'), d.k.call('HELLO', '3')]);
    await d.same(['WATCH', 'tx:r3'], ['MULTI'], ['SET', 'tx:r3', 'a']);
    await Promise.all([r2.call('SET', 'tx:r3', 'b'), k2.call('SET', 'tx:r3', 'b')]);
    await d.same(['EXEC']);
    await Promise.all([d.r.call('HELLO', '2'), d.k.call('HELLO', '2')]);
    r2.close();
    k2.close();
  });
  it('over maxmemory: queued commands refused with OOM, EXEC of a denyoom queue aborts, reads and DISCARD still work', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const [r2, k2] = await d.connectBoth();
    const both = (...argv: string[]) => Promise.all([r2.call(...argv), k2.call(...argv)]);
    try {
      await d.same(['SET', 'tx:oom', 'v']);
      // Queued before the limit: read-only queue runs, a queue with a write aborts at EXEC.
      await d.same(['MULTI'], ['GET', 'tx:oom'], ['PING']);
      await both('CONFIG', 'SET', 'maxmemory', '1');
      await d.same(['EXEC']);
      await both('CONFIG', 'SET', 'maxmemory', '0');
      await d.same(['MULTI'], ['SET', 'tx:oom', '1'], ['GET', 'tx:oom']);
      await both('CONFIG', 'SET', 'maxmemory', '1');
      await d.same(['EXEC'], ['GET', 'tx:oom']);
      // Queued under the limit: any command is refused (even a read), DISCARD works, then EXECABORT.
      await d.same(['MULTI'], ['SET', 'tx:x', '1'], ['GET', 'tx:oom'], ['DISCARD']);
      await d.same(['MULTI'], ['LPUSH', 'tx:l', 'a']);
      await both('CONFIG', 'SET', 'maxmemory', '0');
      await d.same(['SET', 'tx:y', '2'], ['EXEC'], ['EXISTS', 'tx:l', 'tx:y']);
    } finally {
      await both('CONFIG', 'SET', 'maxmemory', '0');
      r2.close();
      k2.close();
    }
  });

  it('a rejected queued command wins over a touched WATCH: EXECABORT, not nil', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const [r2, k2] = await d.connectBoth();
    await d.same(['SET', 'tx:wa', '1'], ['WATCH', 'tx:wa'], ['MULTI'], ['NOSUCH']);
    await Promise.all([r2.call('SET', 'tx:wa', '2'), k2.call('SET', 'tx:wa', '2')]);
    await d.same(['EXEC'], ['GET', 'tx:wa']);
    r2.close();
    k2.close();
  });
});
