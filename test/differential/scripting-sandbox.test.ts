/**
 * The Lua sandbox against a real redis-server 7.0: every table Redis makes read-only (globals and
 * their metatable, the string metatable, the library tables) refuses changes with Redis's errors,
 * bytecode never loads (loadstring, load, EVAL, FUNCTION LOAD), and after each attempt the
 * environment other scripts see is unchanged. Replies compared byte for byte.
 */
import { describe, it } from 'node:test';
import { type Cmd, type Differential, useDifferential } from '../helpers/differential.js';
import { NO_REDIS } from '../helpers/servers.js';

const ev = (script: string, ...args: (string | number)[]): Cmd => ['EVAL', script, 0, ...args];

/** A script that checks the environment is intact (what a later script of any user sees). */
const INTACT = ev(
  "return {type(string.upper), ('abc'):upper(), getmetatable('').__index == string, type(getmetatable(_G).__index), type(redis.call), type(table.insert), type(cjson.encode), type(bit.band), tostring(getmetatable(string)), tostring(rawget(_G, 'x'))}",
);

describe('scripting sandbox (differential)', () => {
  let d: Differential | null = null;
  const same = useDifferential((x) => {
    d = x;
  });

  it('metatables of _G and of strings are read-only; the environment stays intact', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await same(
      ev('getmetatable(_G).__index = {}'),
      INTACT,
      ev("getmetatable('').__index = function() return 'pwned' end"),
      INTACT,
      ev("getmetatable('').__index.upper = function() return 'pwned' end"),
      ev('local mt = getmetatable(_G) mt.__index = nil'),
      ev('local t = getmetatable(_G); t.x = 1'),
      ev("local mt = getmetatable('') ; rawset(mt, '__index', 1)"),
      ev("setmetatable(getmetatable(''), {})"),
      ev('setmetatable(_G, {})'),
      ev('return getmetatable(getmetatable(_G))'),
      ev("return type(getmetatable(''))"),
      ev("return rawequal(getmetatable('').__index, string)"),
      ev("return {next(getmetatable(''))}"),
      ev('return tostring(getmetatable(string))'),
      ev('return getmetatable()'),
      INTACT,
    );
  });

  it('globals and library tables are read-only', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await same(
      ev('a = 5'),
      ev('_G.a = 5'),
      ev('return a'),
      ev("rawset(_G, 'x', 1)"),
      ev('string = 1'),
      ev('string.x = 1'),
      ev('table.insert = nil'),
      ev('bit.band = nil'),
      ev('cjson.encode = nil'),
      ev('cmsgpack.pack = nil'),
      ev('struct.pack = nil'),
      ev('math.floor = nil'),
      ev('redis.call = nil'),
      ev('coroutine.create = nil'),
      ev('table.insert(_G, 1)'),
      ev('table.insert(string, 1)'),
      ev('table.insert(string, 1, 2)'),
      ev('table.remove(string)'),
      ev('table.sort(string)'),
      ev('return #string'),
      ev("local f = loadstring('x = 1') f()"),
      ev("return rawget(_G, 'nothing')"),
      ev('table.insert()'),
      ev("table.insert({}, 'x', 2)"),
      ev('table.insert({}, 1, 2, 3)'),
      ev("local t = {} table.insert(t, 'a') table.insert(t, 1, 'b') table.insert(t, 5, 'c') return t"),
      INTACT,
    );
  });

  it('print, loadfile, dofile, os, io, debug, setfenv are absent', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    for (const g of [
      'print',
      'loadfile',
      'dofile',
      'os',
      'io',
      'debug',
      'package',
      'require',
      'module',
      'setfenv',
      'getfenv',
      'newproxy',
    ]) {
      await same(ev(`return type(${g})`));
    }
    for (const g of [
      'load',
      'loadstring',
      'gcinfo',
      'unpack',
      'xpcall',
      'collectgarbage',
      'coroutine',
      '_VERSION',
      '__redis__err__handler',
    ]) {
      await same(ev(`return type(${g})`));
    }
  });

  it('bytecode never loads: loadstring, load, EVAL, FUNCTION LOAD', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await same(
      ev('local f, e = loadstring(string.dump(function() return 1 end)) return e'),
      ev("local f, e = loadstring(string.dump(function() return 1 end), 'name') return {tostring(f), e}"),
      ev('local s = string.dump(function() return 1 end) local f, e = load(function() local r = s; s = nil; return r end) return e'),
      // Mutated bytecode: every byte of a dump in turn.
      ev(
        'local s = string.dump(function(a) return a + 1 end) local out = {} for i = 1, #s do local m = s:sub(1, i - 1) .. string.char((s:byte(i) + 1) % 256) .. s:sub(i + 1) local f, e = loadstring(m) if f then out[#out + 1] = i end end return #out',
      ),
      ev('\x1bLuaQ\x00\x01\x04'),
      ev('return loadstring()'),
      ['FUNCTION', 'LOAD', '#!lua name=bc\n\x1bLuaQ'],
      INTACT,
    );
  });

  it('FUNCTION libraries cannot change what other libraries and scripts see', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await same(
      ['FUNCTION', 'FLUSH'],
      ['FUNCTION', 'LOAD', "#!lua name=l1\nredis.register_function('f1', function() getmetatable('').__index = {} end)"],
      ['FUNCTION', 'LOAD', "#!lua name=l2\nredis.register_function('f2', function() getmetatable(_G).__index = {} end)"],
      ['FUNCTION', 'LOAD', "#!lua name=l3\nredis.log = nil\nredis.register_function('f3', function() return 1 end)"],
      [
        'FUNCTION',
        'LOAD',
        "#!lua name=l4\nredis.register_function('f4', function() return {type(redis.call), ('x'):upper(), tostring(rawget(_G, 'y'))} end)",
      ],
      ['FCALL', 'f1', 0],
      ['FCALL', 'f2', 0],
      ['FCALL', 'f4', 0],
      ['FUNCTION', 'LOAD', "#!lua name=l5\nredis.register_function('f5', function() return type(redis.log) end)"],
      ['FCALL', 'f5', 0],
      ['FUNCTION', 'FLUSH'],
      INTACT,
    );
  });
});

describe('scripting flags and stats (differential)', () => {
  let d: Differential | null = null;
  const same = useDifferential((x) => {
    d = x;
  });

  it("Redis's pcall (a Lua wrapper of the native one): results, error tables, no argument", async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await same(
      ev('return {pcall()}'),
      ev('return {pcall(error)}'),
      ev("return {pcall(function() error({err='X y'}) end)}"),
      ev('return {pcall(function() error({err=5}) end)}'),
      ev('local ok, e = pcall(function() error({x=1}) end) return type(e)'),
      ev("return {pcall(redis.call, 'nope')}"),
      ev('return {pcall(1)}'),
      ev("return {pcall(function(...) return select('#', ...) end, 1, nil, 3)}"),
      ev("return {xpcall(function() error('x') end, function(e) return 'h:' .. e end)}"),
      ev(
        'local co = coroutine.create(function() coroutine.yield(1) return 2 end) local a, b = coroutine.resume(co) local c, d = coroutine.resume(co) return {tostring(a), b, tostring(c), d}',
      ),
      ev('coroutine.yield()'),
    );
  });

  it('SORT BY <constant> on a set is sorted inside scripts', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await same(
      ['DEL', 'myset'],
      [
        'SADD',
        'myset',
        'a',
        'b',
        'c',
        'd',
        'e',
        'f',
        'g',
        'h',
        'i',
        'l',
        'm',
        'n',
        'o',
        'p',
        'q',
        'r',
        's',
        't',
        'u',
        'v',
        'z',
        'aa',
        'aaa',
        'azz',
      ],
      ['EVAL', "return redis.call('sort', KEYS[1], 'by', '_')", 1, 'myset'],
      ['EVAL', "return redis.call('sort', KEYS[1], 'by', '_', 'get', '#', 'get', '_:*')", 1, 'myset'],
    );
  });

  it('failed_calls of EVAL: errors a redis.call/pcall already counted are not counted again', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const stats = ['INFO', 'commandstats'];
    const norm = (r: unknown): string =>
      String(r)
        .split('\r\n')
        .filter((l) => /^cmdstat_(eval|select|set)/.test(l))
        .map((l) => l.replace(/usec=\d+,usec_per_call=[\d.]+,/, ''))
        .sort()
        .join('\n');
    for (const script of [
      "return redis.call('select', 99)",
      "local t = redis.pcall('select', 99) return 1",
      "return redis.pcall('select', 99)",
      "return {err = 'MY own'}",
    ]) {
      await same(['CONFIG', 'RESETSTAT'], ['EVAL', script, 0]);
      await d.sameAfter(stats, norm);
    }
  });

  it('NOREPLICAS with min-replicas-to-write and no replicas (when the directive is supported)', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const [, k] = await d.connectBoth();
    const ok = (await k.send('CONFIG', 'SET', 'min-replicas-to-write', '1')).raw.toString('latin1');
    k.close();
    if (!ok.startsWith('+')) return t.skip('min-replicas-to-write not configurable in this build');
    await same(
      ['CONFIG', 'SET', 'min-replicas-to-write', '1'],
      ['FUNCTION', 'FLUSH'],
      ['EVAL', "#!lua flags=no-writes\nreturn redis.call('get', 'x')", 1, 'x'],
      ['EVAL', "return redis.call('get', 'x')", 1, 'x'],
      ['EVAL', "#!lua\nreturn redis.call('get', 'x')", 1, 'x'],
      ['EVAL', "return redis.call('set', 'x', 1)", 1, 'x'],
      ['EVAL', "return redis.pcall('set', 'x', 1)", 1, 'x'],
      ['CONFIG', 'SET', 'min-replicas-to-write', '0'],
    );
  });
});
