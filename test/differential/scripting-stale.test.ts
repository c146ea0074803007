/**
 * Scripts on a stale replica (REPLICAOF an unreachable primary, replica-serve-stale-data no) and
 * after a write, against redis-server 7.0: EVAL without shebang and scripts/functions without
 * allow-stale get MASTERDOWN, allow-stale ones run but their non-stale commands fail ("Can not
 * execute the command on a stale replica"), stale-flagged commands (INFO, ECHO) work (script.c
 * scriptPrepareForRun, scriptVerifyAllowStale). Replies compared as raw nodes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import { keydraAndRedis, NO_REDIS } from '../helpers/servers.js';

const LIB = [
  '#!lua name=stalelib',
  "redis.register_function{function_name='f1', callback=function() return 'hello' end, flags={'no-writes'}}",
  "redis.register_function{function_name='f2', callback=function() return 'hello' end, flags={'allow-stale', 'no-writes'}}",
  "redis.register_function{function_name='f3', callback=function() return redis.call('get', 'x') end, flags={'allow-stale', 'no-writes'}}",
  "redis.register_function{function_name='f4', callback=function() return redis.call('echo', 'e') end, flags={'allow-stale', 'no-writes'}}",
].join('\n');

/** The replies of the scenario on one server (the replica state is undone at the end). */
async function scenario(port: number): Promise<unknown[]> {
  const c = await RawClient.connect(port);
  const out: unknown[] = [];
  try {
    await c.call('FUNCTION', 'LOAD', 'REPLACE', LIB);
    await c.call('CONFIG', 'SET', 'replica-serve-stale-data', 'no');
    await c.call('REPLICAOF', '127.0.0.1', '1');
    for (const argv of [
      ['EVAL', "return redis.call('get','x')", '1', 'x'],
      ['EVAL', '#!lua flags=no-writes\nreturn 1', '0'],
      ['EVAL', '#!lua flags=allow-stale,no-writes\nreturn 1', '0'],
      ['EVAL', "#!lua flags=allow-stale,no-writes\nreturn redis.call('get','x')", '1', 'x'],
      ['EVAL', "#!lua flags=allow-stale,no-writes\nreturn redis.call('echo','foobar')", '0'],
      ['FCALL', 'f1', '0'],
      ['FCALL', 'f2', '0'],
      ['FCALL', 'f3', '0'],
      ['FCALL', 'f4', '0'],
    ]) {
      out.push(await c.call(...argv));
    }
  } finally {
    await c.call('REPLICAOF', 'NO', 'ONE');
    await c.call('CONFIG', 'SET', 'replica-serve-stale-data', 'yes');
    await c.call('FUNCTION', 'DELETE', 'stalelib');
    c.close();
  }
  return out;
}

describe('scripts on a stale replica, against redis-server', () => {
  const servers = keydraAndRedis();

  it('MASTERDOWN, allow-stale, and the stale error of commands', async (t) => {
    const { k, r } = servers;
    if (r === null) return t.skip(NO_REDIS);
    const got = await scenario(k.port);
    assert.deepEqual(got, await scenario(r.port));
    assert.match(JSON.stringify(got[0]), /MASTERDOWN/);
    assert.match(JSON.stringify(got[3]), /Can not execute the command on a stale replica/);
  });
});
