/**
 * Redis 7.0 Functions (FUNCTION LOAD/LIST/DELETE/FLUSH/DUMP/RESTORE/STATS/KILL/HELP, FCALL,
 * FCALL_RO) against a real redis-server: raw replies compared byte for byte. Redis lists libraries
 * (and a library's functions) in hash order, so listings compare one library / one function at a time.
 */
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { type Cmd, type Differential, useDifferential } from '../helpers/differential.js';
import { NO_REDIS } from '../helpers/servers.js';

let d: Differential | null = null;
useDifferential((x) => {
  d = x;
});
beforeEach(async () => {
  await d?.same(['FUNCTION', 'FLUSH'], ['FLUSHALL']);
});

const lib = (name: string, body: string) => `#!lua name=${name}\n${body}`;
const load = (code: string, replace = false): Cmd => (replace ? ['FUNCTION', 'LOAD', 'REPLACE', code] : ['FUNCTION', 'LOAD', code]);

test('FUNCTION LOAD: metadata errors', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await d.same(
    load('return 1'),
    load('#!lua name=x'),
    load('#!lua\nredis.register_function("f", function() end)'),
    load('#!lua name=a-b\n'),
    load('#!foo name=x\n'),
    load('#!LUA NAME=ok1\nredis.register_function("okf", function() return 1 end)'),
    load('#!lua name=x foo=bar\n'),
    load('#!lua name=a name=b\n'),
    load('#!lua name="quoted lib"\n'),
    load('#!lua name="unbalanced\n'),
    load('#!lua name=x\nsyntax error here'),
    load('#!lua name=x\n'),
    load('#!lua name=\n'),
    ['FUNCTION', 'LOAD', 'foo', lib('x', '')],
    ['FUNCTION', 'LOAD', 'REPLACE'],
    ['FUNCTION', 'LOAD'],
  );
});

test('FUNCTION LOAD: the load-time environment and register_function errors', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  const bodies = [
    "redis.call('set','x','y')",
    "return string.len('x')",
    'local x = cjson.encode({1})',
    "error('boom')",
    'local a = nil + 1',
    'x = 1',
    'redis.setresp(3)',
    "redis.sha1hex('')",
    "redis.log(redis.LOG_WARNING, 'loading') local v = redis.REDIS_VERSION .. redis.REDIS_VERSION_NUM",
    "redis.register_function('a')",
    "redis.register_function('a', 1)",
    'redis.register_function({}, function() end)',
    'redis.register_function(true, function() end)',
    'redis.register_function()',
    "redis.register_function('a', function() end, 3)",
    "redis.register_function{function_name='a'}",
    'redis.register_function{callback=function() end}',
    "redis.register_function{function_name='a', callback=function() end, flags={'bad'}}",
    "redis.register_function{function_name='a', callback=function() end, flags='no-writes'}",
    "redis.register_function{function_name='a', callback=function() end, flags={1}}",
    "redis.register_function{function_name='a', callback=function() end, foo=1}",
    "redis.register_function{function_name='a', callback=1}",
    'redis.register_function{function_name={}, callback=function() end}',
    "redis.register_function{function_name='a', callback=function() end, description={}}",
    "redis.register_function{[1]='a', callback=function() end}",
    "redis.register_function{function_name='', callback=function() end}",
    "redis.register_function('f-1', function() end)",
    "redis.register_function('ff', function() end) redis.register_function('ff', function() end)",
    'while true do end',
  ];
  for (const b of bodies) await d.same(load(lib('lib1', b)));
});

test('FUNCTION LOAD / REPLACE / name collisions, FUNCTION LIST of one library', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  const code = lib(
    'mylib',
    "redis.register_function{function_name='getk', description='reads a key', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes', 'allow-stale'}}",
  );
  await d.same(
    load(code),
    load(code),
    load(lib('other', "redis.register_function('GETK', function() return 1 end)")),
    load(lib('other', "redis.register_function('mine', function() return 1 end)")),
    ['FUNCTION', 'LIST', 'LIBRARYNAME', 'mylib'],
    ['FUNCTION', 'LIST', 'LIBRARYNAME', 'my*', 'WITHCODE'],
    ['FUNCTION', 'LIST', 'WITHCODE', 'LIBRARYNAME', 'oth?r'],
    ['FUNCTION', 'LIST', 'LIBRARYNAME', 'nomatch*'],
    load(lib('mylib', "redis.register_function('mine', function() return 2 end)"), true),
    load(lib('mylib', "redis.register_function('newf', function() return 2 end)"), true),
    ['FUNCTION', 'LIST', 'LIBRARYNAME', 'mylib', 'WITHCODE'],
    ['FCALL', 'getk', '0'],
    ['FCALL', 'NEWF', '0'],
    ['FUNCTION', 'STATS'],
    ['FUNCTION', 'LIST', 'foo'],
    ['FUNCTION', 'LIST', 'LIBRARYNAME'],
    ['FUNCTION', 'LIST', 'WITHCODE', 'WITHCODE'],
    ['FUNCTION', 'LIST', 'LIBRARYNAME', 'a', 'LIBRARYNAME', 'b'],
    ['FUNCTION', 'DELETE', 'other'],
    ['FUNCTION', 'DELETE', 'other'],
    ['FUNCTION', 'DELETE', 'MYLIB'],
    ['FUNCTION', 'DELETE', 'mylib'],
    ['FUNCTION', 'LIST'],
    ['FUNCTION', 'STATS'],
  );
  await d.same(
    load(
      lib(
        'flags',
        "redis.register_function{function_name='a', callback=function() end, flags={'NO-WRITES', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'}}",
      ),
    ),
    ['FUNCTION', 'LIST'],
  );
  // RESP3 shapes (maps, sets, null description).
  await Promise.all([d.r.send('HELLO', '3'), d.k.send('HELLO', '3')]);
  await d.same(['FUNCTION', 'LIST', 'WITHCODE'], ['FUNCTION', 'STATS']);
  await Promise.all([d.r.send('HELLO', '2'), d.k.send('HELLO', '2')]);
});

test('FCALL and FCALL_RO: arguments, flags, errors, redis.call from functions', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await d.same(
    load(
      lib(
        'calls',
        [
          "redis.register_function('setk', function(keys, args) return redis.call('set', keys[1], args[1]) end)",
          "redis.register_function{function_name='getk', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}",
          "redis.register_function{function_name='sneaky', callback=function(keys) return redis.call('set', keys[1], 'x') end, flags={'no-writes'}}",
          "redis.register_function('echo', function(k, a) return {#k, #a, k[1] or false, a[1] or false, a[2] or false} end)",
          "redis.register_function('boom', function() error('kaboom') end)",
          "redis.register_function('errt', function() return redis.error_reply('MY custom') end)",
          "redis.register_function('glob', function() x = 1 end)",
          "redis.register_function('noglob', function() return y end)",
          "redis.register_function('pc', function() return redis.pcall('incr', 'str') end)",
          "redis.register_function('types', function() return {1, 2.9, 'x', true, false, {ok='fine'}, cjson.encode({a=1})} end)",
          "redis.register_function('reg', function() return redis.register_function('c', function() end) end)",
          "redis.register_function('fcall_inside', function() return redis.call('fcall', 'echo', 0) end)",
          "redis.register_function('resp3', function() redis.setresp(3) return redis.call('hgetall', 'h') end)",
        ].join('\n'),
      ),
    ),
    ['SET', 'str', 'abc'],
    ['HSET', 'h', 'f', 'v'],
    ['FCALL', 'setk', '1', 'k1', 'v1'],
    ['FCALL', 'getk', '1', 'k1'],
    ['FCALL_RO', 'getk', '1', 'k1'],
    ['FCALL_RO', 'setk', '1', 'k1', 'v2'],
    ['FCALL', 'sneaky', '1', 'k1'],
    ['FCALL', 'echo', '0'],
    ['FCALL', 'echo', '2', 'a', 'b', 'c', 'd'],
    ['FCALL', 'ECHO', '1', 'only'],
    ['FCALL', 'echo', 'x'],
    ['FCALL', 'echo', '3', 'a'],
    ['FCALL', 'echo', '-1'],
    ['FCALL', 'echo', '01'],
    ['FCALL', 'nope', '0'],
    ['FCALL', 'nope', 'x'],
    ['FCALL', 'boom', '0'],
    ['FCALL', 'errt', '0'],
    ['FCALL', 'glob', '0'],
    ['FCALL', 'noglob', '0'],
    ['FCALL', 'pc', '0'],
    ['FCALL', 'types', '0'],
    ['FCALL', 'reg', '0'],
    ['FCALL', 'fcall_inside', '0'],
    ['FCALL', 'resp3', '0'],
    ['GET', 'k1'],
  );
});

test('FCALL over maxmemory: the function flags decide (deny-oom unless allow-oom or no-writes)', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await d.same(
    ['SET', 'big', 'x'.repeat(100)],
    load(
      lib(
        'oom',
        [
          "redis.register_function('w', function() return redis.call('set','a','b') end)",
          "redis.register_function{function_name='r', callback=function() return redis.call('get','a') end, flags={'no-writes'}}",
          "redis.register_function{function_name='o', callback=function() return redis.call('set','a','c') end, flags={'allow-oom'}}",
          "redis.register_function{function_name='o2', callback=function() return redis.call('get','a') end, flags={'allow-oom'}}",
        ].join('\n'),
      ),
    ),
    ['CONFIG', 'SET', 'maxmemory', '1'],
    ['FCALL', 'w', '0'],
    ['FCALL', 'w', 'notanumber'],
    ['FCALL', 'r', '0'],
    ['FCALL', 'o', '0'],
    ['FCALL', 'o2', '0'],
    ['FCALL', 'nosuch', '0'],
    ['CONFIG', 'SET', 'maxmemory', '0'],
    ['FCALL', 'w', '0'],
  );
});

test('FUNCTION DUMP / RESTORE: payload bytes, policies, errors, cross-server restore', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  const code = lib('dumped', "redis.register_function('df', function() return 'dumped' end)");
  // A long repetitive body: the payload string is LZF-compressed.
  const long = lib(
    'longlib',
    `${"local s = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'\n".repeat(10)}redis.register_function('lf', function() return s end)`,
  );
  const [dump1] = await d.same(['FUNCTION', 'DUMP'], load(code), ['FUNCTION', 'DUMP']).then((r) => r.slice(2));
  const payload = bulkOf(dump1);
  await d.same(['FUNCTION', 'FLUSH'], load(long), ['FUNCTION', 'DUMP']);
  const [longDump] = await d.same(['FUNCTION', 'DUMP']);
  const longPayload = bulkOf(longDump);
  assert.equal(longPayload[0], 0xf5);
  await d.same(
    ['FUNCTION', 'RESTORE', payload],
    ['FCALL', 'df', '0'],
    ['FUNCTION', 'RESTORE', payload],
    ['FUNCTION', 'RESTORE', payload, 'APPEND'],
    ['FUNCTION', 'RESTORE', payload, 'REPLACE'],
    ['FUNCTION', 'RESTORE', payload, 'FLUSH'],
    ['FUNCTION', 'LIST'],
    ['FCALL', 'lf', '0'],
    ['FUNCTION', 'RESTORE', longPayload],
    ['FCALL', 'lf', '0'],
    ['FUNCTION', 'RESTORE', payload, 'bad'],
    ['FUNCTION', 'RESTORE', payload, 'FLUSH', 'x'],
    ['FUNCTION', 'RESTORE', 'garbage'],
    ['FUNCTION', 'RESTORE', Buffer.concat([payload.subarray(0, 5), payload.subarray(6)])],
    ['FUNCTION', 'RESTORE', Buffer.from([0x0a, 0x00, 0x29, 0x4f, 0x0c, 0xd9, 0x2c, 0x4f, 0x35, 0xa7])],
  );
  // A function-name collision from another library.
  await d.same(['FUNCTION', 'FLUSH'], load(lib('clash', "redis.register_function('df', function() return 0 end)")));
  await d.same(['FUNCTION', 'RESTORE', payload], ['FUNCTION', 'RESTORE', payload, 'REPLACE'], ['FCALL', 'df', '0']);
  // Keydra restores what redis dumped and redis what Keydra dumped (the same bytes here).
  const kdump = bulkOf((await d.k.send('FUNCTION', 'DUMP')).raw);
  await d.same(['FUNCTION', 'FLUSH'], ['FUNCTION', 'RESTORE', kdump], ['FCALL', 'df', '0']);
});

test('FUNCTION FLUSH / KILL / STATS / HELP and arity errors', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await d.same(
    load(lib('l', "redis.register_function('f', function() return 1 end)")),
    ['FUNCTION', 'FLUSH', 'SYNC'],
    ['FCALL', 'f', '0'],
    ['FUNCTION', 'FLUSH', 'ASYNC'],
    ['FUNCTION', 'FLUSH', 'foo'],
    ['FUNCTION', 'FLUSH', 'a', 'b'],
    ['FUNCTION', 'KILL'],
    ['FUNCTION', 'STATS'],
    ['FUNCTION', 'STATS', 'x'],
    ['FUNCTION', 'HELP'],
    ['FUNCTION', 'nosuch'],
    ['FUNCTION'],
    ['FCALL'],
    ['FCALL', 'f'],
    ['FCALL_RO', 'f'],
    ['FUNCTION', 'DELETE'],
    ['FUNCTION', 'DUMP', 'x'],
  );
});

test('functions inside MULTI and scripts', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await d.same(
    ['MULTI'],
    load(lib('tx', "redis.register_function('txf', function(k) return redis.call('incr', k[1]) end)")),
    ['FCALL', 'txf', '1', 'n'],
    ['FCALL', 'txf', '1', 'n'],
    ['EXEC'],
    ['EVAL', "return redis.call('fcall', 'txf', 1, 'n')", '0'],
    ['EVAL', "return redis.call('function', 'list')", '0'],
    ['GET', 'n'],
  );
});

/** The payload of a raw RESP bulk string reply. */
function bulkOf(raw: Buffer): Buffer {
  const nl = raw.indexOf('\r\n');
  const n = Number(raw.toString('latin1', 1, nl));
  return raw.subarray(nl + 2, nl + 2 + n);
}
