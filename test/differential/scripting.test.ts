/**
 * Lua scripting against a real redis-server 7.0: EVAL/EVALSHA/EVAL_RO/SCRIPT replies compared byte
 * for byte (conversions both ways, RESP3, errors of every kind, globals protection, cache, flags).
 */
import { after, before, describe, it } from 'node:test';
import { type Cmd, Differential } from '../helpers/differential.js';
import { rng } from '../helpers/random.js';
import { NO_REDIS } from '../helpers/servers.js';

/** EVAL script numkeys=0 [args...]. */
const ev = (script: string, ...args: (string | number)[]): Cmd => ['EVAL', script, 0, ...args];
/** EVAL script with keys: evk(script, [keys], ...args). */
const evk = (script: string, keys: string[], ...args: string[]): Cmd => ['EVAL', script, keys.length, ...keys, ...args];

describe('scripting (differential)', () => {
  let d: Differential | null;
  before(async () => {
    d = await Differential.start();
  });
  after(async () => {
    await d?.close();
  });

  it('Lua → reply: numbers truncated, strings, booleans, nil, nested tables, holes', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ev('return 1'),
      ev('return 3.99'),
      ev('return -3.5'),
      ev('return -0.5'),
      ev('return 1e15'),
      ev('return 2^53 + 10'),
      ev('return 1e30'),
      ev('return -1e30'),
      ev('return 0/0'),
      ev("return 'hello'"),
      ev("return ''"),
      ev('return true'),
      ev('return false'),
      ev('return nil'),
      ev('return'),
      ev('return {}'),
      ev('return {1, 2, 3.99, -3.5, nil, 4}'),
      ev("return {1, {2, {3, 'x'}, false}, true, 'y'}"),
      ev("return {1, 2, false, 'after false'}"),
      ev('return {a = 1, b = 2}'),
      ev("return {1, 2, a = 'x'}"),
      ev('return function() end'),
      ev('return 1, 2, 3'),
      ev("return {'a', function() end, 'c'}"),
    );
  });

  it('Lua → reply: {ok=}, {err=}, error_reply/status_reply', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ev("return {ok='fine'}"),
      ev("return {ok='two\\r\\nlines'}"),
      ev("return {err='MYERR custom'}"),
      ev("return {err='no code'}"),
      ev("return {err='ERR x', ok='y'}"),
      ev('return {ok=1}'),
      ev('return {err=1}'),
      ev("return redis.error_reply('x y')"),
      ev("return redis.error_reply('-x y')"),
      ev("return redis.error_reply('-x')"),
      ev("return redis.error_reply('My Error')"),
      ev('return redis.error_reply(1)'),
      ev("return redis.status_reply('PONG')"),
      ev("return redis.status_reply('a\\r\\nb')"),
      ev('return redis.status_reply(1)'),
      ev("return redis.status_reply('a', 'b')"),
      ev("local t = redis.error_reply('E1 m') return t['err']"),
      ev("local t = redis.status_reply('S') return t['ok']"),
    );
  });

  it('reply → Lua: integers, bulk, nil bulk as false, arrays, status, errors', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ['DEL', 'sc:k', 'sc:l', 'sc:h'],
      ev("redis.call('set', 'sc:k', '10') return redis.call('incr', 'sc:k')"),
      ev("return type(redis.call('incr', 'sc:k'))"),
      ev("return type(redis.call('get', 'sc:k'))"),
      ev("return redis.call('get', 'sc:nokey') == false"),
      ev("return type(redis.call('get', 'sc:nokey'))"),
      ev("redis.call('rpush', 'sc:l', 'a', 'b', 'c') return redis.call('lrange', 'sc:l', 0, -1)"),
      ev("return #redis.call('lrange', 'sc:l', 0, -1)"),
      ev("return redis.call('set', 'sc:k', 'v')"),
      ev("return redis.call('set', 'sc:k', 'v')['ok']"),
      ev("return redis.call('ping')"),
      ev("return redis.pcall('incr', 'sc:l')"),
      ev("return redis.pcall('incr', 'sc:l')['err']"),
      ev("return redis.call('blpop', 'sc:empty', 0)"),
      ev("return type(redis.call('blpop', 'sc:empty', 0))"),
      ev("return redis.call('bzpopmin', 'sc:emptyz', 0)"),
      ev("return redis.call('blmove', 'sc:empty', 'sc:empty2', 'LEFT', 'RIGHT', 0)"),
      ev("return redis.call('brpoplpush', 'sc:empty', 'sc:empty2', 0)"),
      ev("redis.call('hset', 'sc:h', 'f', 'v') return redis.call('hgetall', 'sc:h')"),
      ev("return redis.call('mget', 'sc:k', 'sc:nokey', 'sc:k')"),
      ev('return redis.call("exists", "sc:k", "sc:nokey")'),
    );
  });

  it('numbers passed to redis.call use %.17g', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ev("redis.call('set', 'sc:n', 1.5) return redis.call('get', 'sc:n')"),
      ev("redis.call('set', 'sc:n', 0.1) return redis.call('get', 'sc:n')"),
      ev("redis.call('set', 'sc:n', 100) return redis.call('get', 'sc:n')"),
      ev("redis.call('set', 'sc:n', 1e20) return redis.call('get', 'sc:n')"),
      ev("redis.call('set', 'sc:n', -1/3) return redis.call('get', 'sc:n')"),
      ev("return redis.call('get', 1.5)"),
    );
  });

  it('RESP3: HELLO 3 caller and redis.setresp(3) inside', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const [r3, k3] = await d.connectBoth();
    const same3 = async (...cmds: Cmd[]): Promise<void> => {
      for (const cmd of cmds) {
        const [a, b] = await Promise.all([r3.send(...cmd), k3.send(...cmd)]);
        if (a.raw.toString('latin1') !== b.raw.toString('latin1')) {
          throw new Error(
            `RESP3 reply to ${JSON.stringify(cmd.map(String))} differs: redis ${JSON.stringify(a.raw.toString('latin1'))} keydra ${JSON.stringify(b.raw.toString('latin1'))}`,
          );
        }
      }
    };
    try {
      // HELLO's reply holds the connection id, which differs: switch both without comparing.
      await Promise.all([r3.send('HELLO', '3'), k3.send('HELLO', '3')]);
      const cases: Cmd[] = [
        ['DEL', 'sc3:h', 'sc3:s', 'sc3:z'],
        ['HSET', 'sc3:h', 'a', '1'],
        ['SADD', 'sc3:s', 'm'],
        ['ZADD', 'sc3:z', '1.5', 'x'],
        ev('return true'),
        ev('return false'),
        ev('return nil'),
        ev("return {1, 'a', false}"),
        ev("redis.setresp(3) return redis.call('hgetall', 'sc3:h')"),
        ev("redis.setresp(3) return redis.call('smembers', 'sc3:s')"),
        ev("redis.setresp(3) return redis.call('zscore', 'sc3:z', 'x')"),
        ev("redis.setresp(3) return redis.call('get', 'sc3:nokey')"),
        ev("redis.setresp(3) return type(redis.call('get', 'sc3:nokey'))"),
        ev("redis.setresp(3) return redis.call('hgetall', 'sc3:h')['map']['a']"),
        ev("redis.setresp(3) return redis.call('zscore', 'sc3:z', 'x')['double']"),
        ev('redis.setresp(3) return true'),
        ev('redis.setresp(3) return false'),
        ev('return {map={a=1}}'),
        ev('return {set={a=true}}'),
        ev('return {double=3.14}'),
        ev('return {double=1/0}'),
        ev("return {big_number='123456789012345678901234567890'}"),
        ev("return {verbatim_string={format='txt', string='hello'}}"),
        ev('redis.setresp(4)'),
        ev('redis.setresp()'),
      ];
      await same3(...cases);
      // The same script replies under RESP2 on the main connection.
      await d.same(
        ['HSET', 'sc3:h2', 'a', '1'],
        ev('return {map={a=1}}'),
        ev('return {set={a=true}}'),
        ev('return {double=3.14}'),
        ev("return {big_number='123456789012345678901234567890'}"),
        ev("return {verbatim_string={format='txt', string='hello'}}"),
        ev("redis.setresp(3) return redis.call('hgetall', 'sc3:h2')"),
        ev('redis.setresp(3) return true'),
        ev('redis.setresp(3) return false'),
      );
    } finally {
      r3.close();
      k3.close();
    }
  });

  it('errors: compile, runtime, error(), redis.call failures, arity, unknown, noscript', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ev('return foo('),
      ev('return 1 +'),
      ev("error('x')"),
      ev("error('x', 0)"),
      ev('error(12)'),
      ev('error(nil)'),
      ev("error({err='MY x'})"),
      ev('error({err=1})'),
      ev('local a = nil; return a.b'),
      ev('return 1 + {}'),
      ev("local function f() error('deep') end\nlocal x = 1\nf()"),
      ev("\n\nreturn redis.call('nosuch')"),
      ev("return redis.call('set', 'a')"),
      ev("return redis.call('config')"),
      ev("return redis.call('config', 'nosuch')"),
      ev("return redis.call('eval', 'return 1', 0)"),
      ev("return redis.call('multi')"),
      ev("return redis.call('subscribe', 'x')"),
      ev('return redis.call()'),
      ev('return redis.call({})'),
      ev("return redis.call('get', {})"),
      ev("return redis.pcall('get', {})"),
      ev('return redis.pcall()'),
      ev("return redis.pcall('nosuch')"),
      ev("return redis.pcall('set', 'a')"),
      ev("redis.call('set', 'sc:e', 'x') return redis.call('incr', 'sc:e')"),
      ev("return redis.call('lpush', 'sc:e', 'x')"),
      ev('return coroutine.yield()'),
      ev('return redis.sha1hex()'),
      ev('redis.log()'),
      ev("redis.log('x', 'y')"),
      ev("redis.log(10, 'y')"),
      ev('redis.set_repl()'),
      ev('redis.set_repl(12)'),
    );
  });

  it('edge cases: newlines and NULs in errors and statuses, nested errors, deep tables', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ev("error('a\\nb')"),
      ev("error('a\\r\\nb\\n')"),
      ev("return {err='a\\r\\nb'}"),
      ev("return {err='trailing\\r\\n'}"),
      ev("return redis.error_reply('a\\nb')"),
      ev("return {ok='x\\0y'}"),
      ev("return {err='E x\\0y'}"),
      ev("return redis.status_reply('')"),
      ev("return {1, 2, {err='E nested'}, 3}"),
      ev("return {1, {ok='nested ok'}, 3}"),
      ev('return {map={a={1,2}}}'),
      ev('error(true)'),
      ev('return 9007199254740993'),
      ev('return -0'),
      ev('return 1e308 * 10'),
      ev("local t = {} local c = t for i = 1, 100 do c[1] = {} c = c[1] end c[1] = 'leaf' return t"),
      ev('local t = {} for i = 1, 1000 do t[i] = i end return t'),
      ev("return string.rep('x', 100000)"),
      ev("return redis.call('echo', string.rep('y', 100000))"),
    );
  });

  it('redis.pcall and pcall catch errors', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ev("return {pcall(function() error({err='x'}) end)}"),
      ev("return {pcall(function() error('x') end)}"),
      ev("return {pcall(function() redis.call('nosuch') end)}"),
      ev("local ok, e = pcall(redis.call, 'incr', 'sc:l2') return {ok, e}"),
      ev("redis.call('set', 'sc:p', 'str') local r = redis.pcall('incr', 'sc:p') return r"),
      ev("local r = redis.pcall('incr', 'sc:p') return type(r)"),
      ev("local r = redis.pcall('incr', 'sc:p') return r.ignore_error_stats_update"),
      ev('local ok, e = pcall(error) return {ok, e}'),
      ev("return {xpcall(function() error('q') end, function(e) return 'handled: ' .. e end)}"),
    );
  });

  it('globals protection and the sandbox', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ev('x = 1'),
      ev('return x'),
      ev('string.foo = 1'),
      ev('redis.call = nil'),
      ev('math = nil'),
      ev("rawset(_G, 'y', 1)"),
      ev('local t = {} setmetatable(_G, t)'),
      ev('return _G.abc'),
      ev('KEYS = {}'),
      ev('return {type(loadstring), type(load), type(gcinfo), type(xpcall), type(collectgarbage)}'),
      ev('return print'),
      ev('return type(os)'),
      ev('return loadfile'),
      ev('return dofile'),
      ev('return debug'),
      ev('return module'),
      ev('return require'),
      ev('return getfenv'),
      ev('return setfenv'),
      ev('return newproxy'),
      ev('return io'),
      ev('return package'),
      ev('return _VERSION'),
      ev('local t = {} for k in pairs(_G) do t[#t+1] = k end table.sort(t) return t'),
      ev('local t = {} for k in pairs(redis) do t[#t+1] = k end table.sort(t) return t'),
      ev('local t = {} for k in pairs(string) do t[#t+1] = k end table.sort(t) return t'),
      ev("return rawget(_G, 'redis') ~= nil"),
      ev('return type(string.nosuch)'),
      ev("local f = loadstring('return 40 + 2') return f()"),
      ev("local s = 'abc' return s:upper()"),
      ev('local t = {3, 1, 2} table.sort(t) return t'),
      ev("return string.format('%d-%s', 5, 'x')"),
      ev('return tostring(math.huge)'),
      ev('return redis.REDIS_VERSION'),
      ev('return redis.REDIS_VERSION_NUM'),
      ev('return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}'),
      ev('return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}'),
      ev('return redis.replicate_commands()'),
      ev('return redis.breakpoint()'),
      ev('return redis.debug("x")'),
      ev("redis.log(redis.LOG_WARNING, 'from a script') return 1"),
      ev('redis.set_repl(redis.REPL_ALL) return 1'),
      ev("return redis.acl_check_cmd('get', 'x')"),
      ev("return redis.acl_check_cmd('nosuch')"),
    );
  });

  it('KEYS/ARGV, numkeys errors, binary-safe args and returns', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const all = Buffer.alloc(256);
    for (let i = 0; i < 256; i++) all[i] = i;
    await d.same(
      evk('return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}', ['k1', 'k2'], 'a1', 'a2'),
      evk('return KEYS', ['a', 'b', 'c']),
      evk('return ARGV', [], 'x', 'y'),
      ['EVAL', 'return 1', 'abc'],
      ['EVAL', 'return 1', '-1'],
      ['EVAL', 'return 1', '2', 'a'],
      ['EVAL', 'return 1', '1.5'],
      ['EVAL', 'return 1', '99999999999999999999999'],
      ['EVAL', 'return 1'],
      ['EVALSHA', 'abc', '0'],
      ['EVAL', 'return ARGV[1]', '0', all],
      ['EVAL', 'return #ARGV[1]', '0', all],
      ['EVAL', "redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', KEYS[1])", '1', all, all],
      ['EVAL', "return 'a\\0b'", '0'],
      ['EVAL', 'return {ARGV[1], ARGV[1] .. ARGV[1]}', '0', Buffer.from([0, 255, 13, 10, 0])],
      ['EVAL', 'return redis.sha1hex(ARGV[1])', '0', all],
      ev("return redis.sha1hex('')"),
      ev('return redis.sha1hex(1)'),
      ev('return redis.sha1hex(nil)'),
    );
  });

  it('script cache: SCRIPT LOAD/EXISTS/FLUSH, EVALSHA, NOSCRIPT', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const sha = 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db'; // sha1("return 1")
    await d.same(
      ['SCRIPT', 'FLUSH'],
      ['SCRIPT', 'EXISTS', sha, 'abc'],
      ['EVALSHA', sha, '0'],
      ['SCRIPT', 'LOAD', 'return 1'],
      ['SCRIPT', 'EXISTS', sha, sha.toUpperCase(), 'abc'],
      ['EVALSHA', sha, '0'],
      ['EVALSHA', sha.toUpperCase(), '0'],
      ['EVALSHA_RO', sha, '0'],
      ['SCRIPT', 'LOAD', 'return foo('],
      ['SCRIPT', 'FLUSH', 'SYNC'],
      ['EVALSHA', sha, '0'],
      ['EVAL', 'return 1', '0'],
      ['SCRIPT', 'EXISTS', sha],
      ['SCRIPT', 'FLUSH', 'ASYNC'],
      ['SCRIPT', 'EXISTS', sha],
      ['SCRIPT', 'FLUSH', 'foo'],
      ['SCRIPT', 'FLUSH', 'sync', 'x'],
      ['SCRIPT', 'EXISTS'],
      ['SCRIPT', 'LOAD'],
      ['SCRIPT', 'KILL'],
      ['SCRIPT', 'NOSUCH'],
      ['SCRIPT', 'HELP'],
      ['SCRIPT', 'DEBUG', 'foo'],
      ['SCRIPT', 'DEBUG', 'NO'],
      ['SCRIPT', 'LOAD', '#!lua flags=no-writes\nreturn 2'],
      ['SCRIPT', 'LOAD', '#!lua flags=bad\nreturn 2'],
    );
  });

  it('EVAL_RO and shebang flags', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ['EVAL_RO', "return redis.call('set', 'sc:ro', '1')", '0'],
      ['EVAL_RO', "return redis.call('get', 'sc:ro')", '0'],
      ['EVAL_RO', "return redis.pcall('set', 'sc:ro', '1')", '0'],
      ['EVAL_RO', "return redis.call('publish', 'c', 'm')", '0'],
      ['EVAL_RO', "return redis.call('spublish', 'c', 'm')", '0'],
      ['EVAL_RO', "#!lua\nreturn redis.call('set', 'sc:ro', '1')", '0'],
      ['EVAL_RO', "#!lua flags=no-writes\nreturn redis.call('get', 'sc:ro')", '0'],
      ev("#!lua flags=no-writes\nreturn redis.call('set', 'sc:ro', '1')"),
      ev("#!lua\nreturn redis.call('set', 'sc:ro', '2')"),
      ev('#!lua flags=no-writes,allow-oom,allow-stale,no-cluster,allow-cross-slot-keys\nreturn 1'),
      ev('#!lua flags=\nreturn 1'),
      ev('#!lua flags=foo\nreturn 1'),
      ev('#!lua flags=no-writes,,allow-oom\nreturn 1'),
      ev('#!lua x\nreturn 1'),
      ev('#!luax\nreturn 1'),
      ev('#!lua'),
      ev('#!lua\n\nerror("line three")'),
      ev('#!lua\nreturn foo('),
    );
  });

  it('maxmemory: OOM before the first write, allow-oom and no-writes flags', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(['SET', 'sc:oom', '1'], ['CONFIG', 'SET', 'maxmemory', '1']);
    try {
      await d.same(
        ev("return redis.call('set', 'sc:oom', '1')"),
        ev("return redis.pcall('set', 'sc:oom', '1')"),
        ev("return redis.call('get', 'sc:oom')"),
        ev("redis.call('del', 'sc:oom') return redis.call('set', 'sc:oom', '2')"),
        ev("#!lua flags=allow-oom\nreturn redis.call('set', 'sc:oom', '3')"),
        ev("#!lua\nreturn redis.call('set', 'sc:oom', '4')"),
        ev('#!lua\nreturn 1'),
        ev("#!lua flags=no-writes\nreturn redis.call('get', 'sc:oom')"),
        ['EVAL_RO', "return redis.call('get', 'sc:oom')", '0'],
      );
    } finally {
      await d.same(['CONFIG', 'SET', 'maxmemory', '0'], ['GET', 'sc:oom']);
    }
  });

  it('INFO errorstats: errors from redis.call are counted once', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(['SET', 'sc:str', 'x'], ['CONFIG', 'RESETSTAT']);
    await d.same(
      ev("redis.call('nosuch')"),
      ev("return redis.pcall('nosuch')"),
      ev("return {err='MY x'}"),
      ev("error('x')"),
      ev("return redis.call('incr', 'sc:str')"),
      ev("return redis.pcall('incr', 'sc:str')"),
      ev("local e = redis.pcall('incr', 'sc:str') return 1"),
      ev("return redis.error_reply('OWN e')"),
      ['EVAL_RO', "return redis.call('set', 'sc:str', 'y')", '0'],
      ev('return foo('),
    );
    const errorstats = (r: unknown): string => String(r).replace(/\r\n$/, '');
    await d.sameAfter(['INFO', 'errorstats'], errorstats);
    const totals = (r: unknown): string => /total_error_replies:\d+/.exec(String(r))?.[0] ?? '';
    await d.sameAfter(['INFO', 'stats'], totals);
  });

  it('random nested Lua values convert as in Redis (RESP2 and RESP3, setresp 2 and 3)', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const rand = rng(20261121);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
    const scalar = (): string =>
      pick([
        () => String(Math.floor(rand() * 2000) - 1000),
        () => (rand() * 200 - 100).toFixed(3),
        () => `'s${Math.floor(rand() * 100)}'`,
        () => 'true',
        () => 'false',
        () => 'nil',
        () => "''",
        () => "{ok='fine'}",
        () => "{err='E bad'}",
        () => `{double=${(rand() * 10).toFixed(2)}}`,
        () => "{big_number='12345678901234567890'}",
        () => `{map={k${Math.floor(rand() * 5)}=${Math.floor(rand() * 9)}}}`,
        () => '{set={a=true}}',
      ])();
    const value = (depth: number): string => {
      if (depth <= 0 || rand() < 0.4) return scalar();
      const n = Math.floor(rand() * 5);
      const items: string[] = [];
      for (let i = 0; i < n; i++) items.push(value(depth - 1));
      return `{${items.join(', ')}}`;
    };
    const [r3, k3] = await d.connectBoth();
    try {
      await Promise.all([r3.send('HELLO', '3'), k3.send('HELLO', '3')]);
      for (let i = 0; i < 150; i++) {
        const v = value(3);
        const script = i % 2 === 0 ? `return ${v}` : `redis.setresp(3) return ${v}`;
        await d.same(ev(script));
        const [a, b] = await Promise.all([r3.send(...ev(script)), k3.send(...ev(script))]);
        if (a.raw.toString('latin1') !== b.raw.toString('latin1')) {
          throw new Error(
            `RESP3 reply to ${script} differs: redis ${JSON.stringify(a.raw.toString('latin1'))} keydra ${JSON.stringify(b.raw.toString('latin1'))}`,
          );
        }
      }
    } finally {
      r3.close();
      k3.close();
    }
  });

  it('math.random: the same PRNG sequence as Redis (not reseeded per EVAL), redis.sha1hex', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ev('return math.random() * 1000000'),
      ev('return {math.random(10), math.random(5, 7), math.random(1000000)}'),
      ev('local t = {} for i = 1, 20 do t[i] = math.random(100) end return t'),
      ev('math.randomseed(1) return {math.random(100), math.random(100)}'),
      ev('math.randomseed(123456789) return math.random(2147483647)'),
      ev('return math.random(0)'),
      ev('return math.random(3, 1)'),
      ev('return math.random(1, 2, 3)'),
      ev("return math.random('x')"),
      ev("return redis.sha1hex('Pizza & Mandolino')"),
    );
  });

  it('scripts inside MULTI, SELECT inside a script, writes visible after', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ['DEL', 'sc:m'],
      ['MULTI'],
      ev("return redis.call('incr', 'sc:m')"),
      ['INCR', 'sc:m'],
      ev("return redis.call('get', 'sc:m')"),
      ['EXEC'],
      ev("redis.call('select', 9) redis.call('set', 'sc:db9', 'x') return redis.call('get', 'sc:db9')"),
      ['GET', 'sc:db9'],
      ['SELECT', '9'],
      ['GET', 'sc:db9'],
      ['DEL', 'sc:db9'],
      ['SELECT', '0'],
      ['MULTI'],
      ['EVAL', 'return 1'],
      ['EXEC'],
    );
  });

  it('KEYS and ARGV are fresh each run, whatever the previous run did to them', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    // Each script changes KEYS/ARGV in its own way, then reports what it was given (length, every
    // pair in order of key, metatable): the next run must see exactly its own keys and args, as
    // Redis builds new tables every time (Keydra refills the previous ones when it can).
    const show = `local function dump(t)
      local ks = {}
      for k in pairs(t) do ks[#ks + 1] = tostring(k) end
      table.sort(ks)
      local out = {#t, tostring(getmetatable(t))}
      for _, k in ipairs(ks) do out[#out + 1] = k .. '=' .. tostring(t[tonumber(k) or k]) end
      return table.concat(out, ',')
    end
    local r = {dump(KEYS), dump(ARGV)}`;
    const changes = [
      '',
      "KEYS[1] = 'changed'",
      "KEYS[3] = 'extra'",
      'KEYS.name = 1',
      'KEYS[1] = nil',
      "table.insert(ARGV, 'more')",
      'table.remove(ARGV)',
      'ARGV[1] = nil ARGV[2] = nil',
      'setmetatable(KEYS, {__index = function() return 0 end})',
      "for i = 1, 40 do KEYS['k' .. i] = i end for i = 1, 40 do KEYS['k' .. i] = nil end",
      "rawset(ARGV, 5, 'five')",
    ];
    const cmds: Cmd[] = [];
    for (const change of changes) {
      const script = `${show} ${change} return r`;
      for (const [keys, args] of [
        [['k1', 'k2'], ['a1', 'a2']],
        [['k1', 'k2'], ['a1', 'a2']],
        [['x'], []],
        [[], ['only']],
        [['k1', 'k2', 'k3'], ['a1', 'a2', 'a3']],
        [['k1', 'k2'], ['a1', 'a2']],
      ] as [string[], string[]][])
        cmds.push(evk(script, keys, ...args));
    }
    await d.same(...cmds);
  });

  it('INFO and commandstats count scripts', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.sameAfter(['INFO', 'memory'], (r) => /number_of_cached_scripts:\d+/.exec(String(r)) !== null);
  });
});
