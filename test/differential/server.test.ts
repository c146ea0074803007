/**
 * Connection and server commands against a real redis-server 7.0: COMMAND INFO/DOCS/GETKEYS for
 * every implemented command, CONFIG GET/SET, errors of AUTH, SELECT, SWAPDB, FLUSHALL, CLIENT,
 * SHUTDOWN, and help texts, compared byte for byte (or after filtering subcommands to the
 * implemented ones).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { commands, lookupByFullName } from '../../src/commands/table.js';
import { DIRECTIVES } from '../../src/config/config.js';
import type { RespNode } from '../../src/protocol/decoder.js';
import type { RawClient } from '../../src/client/rawClient.js';
import { Differential } from '../helpers/differential.js';
import { NO_REDIS } from '../helpers/servers.js';

/** Redis's COMMAND INFO entry with its subcommand list limited to the ones Keydra implements. */
function filterSubcommands(entry: RespNode): RespNode {
  const e = entry as RespNode[];
  const subs = (e[9] as RespNode[]).filter((s) => lookupByFullName((s as RespNode[])[0] as string) !== undefined);
  return [...e.slice(0, 9), sortByName(subs)];
}

/** Redis lists subcommands in its dict's (randomly seeded) order: compare them sorted. */
function sortByName(subs: RespNode[]): RespNode[] {
  return [...subs].sort((x, y) => String((x as RespNode[])[0]).localeCompare(String((y as RespNode[])[0])));
}

describe('server and connection commands (differential)', () => {
  let d: Differential | null;
  before(async () => {
    d = await Differential.start();
  });
  after(async () => {
    await d?.close();
  });

  it('COMMAND INFO of every implemented command equals Redis', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    for (const cmd of commands) {
      if (cmd.subcommands === null) {
        await d.same(['COMMAND', 'INFO', cmd.fullName]);
        continue;
      }
      const [a, b]: RespNode[] = await Promise.all([d.r.call('COMMAND', 'INFO', cmd.fullName), d.k.call('COMMAND', 'INFO', cmd.fullName)]);
      const mine = (b as RespNode[])[0] as RespNode[];
      assert.deepEqual(
        [[...mine.slice(0, 9), sortByName(mine[9] as RespNode[])]],
        [filterSubcommands((a as RespNode[])[0])],
        `COMMAND INFO ${cmd.fullName}`,
      );
      for (const sub of cmd.subcommands.values()) await d.same(['COMMAND', 'INFO', sub.fullName]);
    }
    await d.same(['COMMAND', 'INFO', 'nosuchcommand', 'get']);
    await d.same(['COMMAND', 'INFO', 'GET', 'config|get']);
    await d.same(['COMMAND', 'INFO', 'get|key'], ['COMMAND', 'INFO', 'config|get|key'], ['COMMAND', 'INFO', 'config|nosuch']);
  });

  it('COMMAND DOCS of plain commands equals Redis (RESP2 and RESP3)', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    for (const cmd of commands) if (cmd.subcommands === null) await d.same(['COMMAND', 'DOCS', cmd.fullName]);
    await d.same(['COMMAND', 'DOCS', 'nosuch'], ['COMMAND', 'DOCS', 'get', 'nosuch', 'set']);
    await Promise.all([d.r.call('HELLO', '3'), d.k.call('HELLO', '3')]);
    await d.same(['COMMAND', 'DOCS', 'zadd'], ['COMMAND', 'INFO', 'zadd', 'xx']);
    await Promise.all([d.r.call('HELLO', '2'), d.k.call('HELLO', '2')]);
  });

  it('COMMAND GETKEYS / GETKEYSANDFLAGS and their errors', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ['COMMAND', 'GETKEYS', 'get', 'a'],
      ['COMMAND', 'GETKEYS', 'mset', 'a', '1', 'b', '2'],
      ['COMMAND', 'GETKEYS', 'del', 'a', 'b', 'c'],
      ['COMMAND', 'GETKEYS', 'lmove', 'a', 'b', 'left', 'right'],
      ['COMMAND', 'GETKEYS', 'zunionstore', 'dst', '2', 'a', 'b', 'weights', '1', '2'],
      ['COMMAND', 'GETKEYS', 'blpop', 'a', 'b', '0'],
      ['COMMAND', 'GETKEYS', 'nosuch', 'a'],
      ['COMMAND', 'GETKEYS', 'ping'],
      ['COMMAND', 'GETKEYS', 'get'],
      ['COMMAND', 'GETKEYS', 'get', 'a', 'b'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'lmove', 'a', 'b', 'left', 'right'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'del', 'a', 'b'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'get', 'a'],
      // Specs with variable flags or unknown positions: the native key finders (db.c *GetKeys).
      ['COMMAND', 'GETKEYSANDFLAGS', 'set', 'k1', 'v1'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'set', 'k1', 'v1', 'GET'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'mset', 'k1', 'v1', 'k2', 'v2'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'bitfield', 'k', 'GET', 'u8', '0'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'bitfield', 'k', 'GET', 'u8', '0', 'SET', 'u8', '0', '1'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'bitfield', 'k', 'OVERFLOW'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'bitfield_ro', 'k', 'GET', 'u8', '0'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'sort', 'k1', 'store', 'k2'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'sort_ro', 'k1'],
      ['COMMAND', 'GETKEYS', 'sort', 'abc', 'store', 'def'],
      ['COMMAND', 'GETKEYS', 'sort', 'abc', 'store', 'invalid', 'store', 'stillbad', 'store', 'def'],
      ['COMMAND', 'GETKEYS', 'sort', 'abc', 'LIMIT', '0', '1', 'BY', 'store', 'GET', 'x'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'georadius', 'k', '0', '0', '1', 'km', 'STORE', 'd'],
    );
  });

  it("MEMORY STATS has Redis 7.0's fields, in its order, with the same reply types (RESP2 and RESP3)", async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(['FLUSHALL'], ['SET', 'ms:a', '1'], ['SELECT', '3'], ['SET', 'ms:b', '2'], ['EXPIRE', 'ms:b', '100'], ['SELECT', '0']);
    // Values differ (allocators); the shape must not: names, and `:` integer / `,` double / map per db.
    const shape = (raw: Buffer): string =>
      raw
        .toString('latin1')
        .split('\r\n')
        .map((l) => (/^[:,]/.test(l) ? l[0] : /^\$\d/.test(l) ? '$' : /^[+-]?[0-9.e+-]+$/.test(l) ? 'num' : l))
        .join(' ');
    for (const proto of ['2', '3']) {
      await Promise.all([d.r.call('HELLO', proto), d.k.call('HELLO', proto)]);
      const rr = await d.r.send('MEMORY', 'STATS');
      const kr = await d.k.send('MEMORY', 'STATS');
      assert.equal(shape(kr.raw), shape(rr.raw), `RESP${proto}`);
    }
    await Promise.all([d.r.call('HELLO', '2'), d.k.call('HELLO', '2')]);
    await d.same(['FLUSHALL']);
    // INFO stats has MIGRATE's connection cache size (dump.tcl): none here.
    await d.sameAfter(['INFO', 'stats'], (r) => String(r).match(/migrate_cached_sockets:\d+/)?.[0]);
  });

  it('COMMAND HELP, LIST filters and errors', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(['COMMAND', 'HELP'], ['COMMAND', 'LIST', 'FILTERBY', 'MODULE', 'x'], ['COMMAND', 'LIST', 'FOO']);
    await d.same(['COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'nosuch*'], ['COMMAND', 'COUNT', 'x'], ['COMMAND', 'FOO']);
    const mine = (await d.k.call('COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'config*')) as string[];
    assert.deepEqual(mine.sort(), ['config', 'config|get', 'config|help', 'config|resetstat', 'config|rewrite', 'config|set']);
    const cat = (await d.k.call('COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', 'string')) as string[];
    assert.ok(cat.includes('get') && !cat.includes('lpush'));
  });

  it('CONFIG GET of directives with the same defaults, and CONFIG SET errors', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    // Differ by design in tests: port, dir, bind, save (set per server), unixsocket/pidfile/logfile paths;
    // Keydra's own directives (metrics-port) do not exist in Redis.
    const skip = new Set(['port', 'dir', 'bind', 'save', 'appendonly', 'logfile', 'pidfile', 'unixsocket', 'dbfilename']);
    for (const dir of DIRECTIVES) if (!skip.has(dir.name) && !dir.keydra) await d.same(['CONFIG', 'GET', dir.name]);
    await d.same(
      ['CONFIG', 'GET', 'nosuch'],
      ['CONFIG', 'SET', 'maxmemory', '10mb'],
      ['CONFIG', 'GET', 'maxmemory'],
      ['CONFIG', 'SET', 'maxmemory', '0', 'hz', '20'],
      ['CONFIG', 'GET', 'hz'],
      ['CONFIG', 'SET', 'hz', '10'],
      ['CONFIG', 'SET', 'maxmemory', 'foo'],
      ['CONFIG', 'SET', 'nosuch', 'x'],
      ['CONFIG', 'SET', 'maxmemory', '1', 'maxmemory', '2'],
      ['CONFIG', 'SET', 'hz', '5', 'maxmemory'],
      ['CONFIG', 'SET', 'daemonize', 'yes'],
      ['CONFIG', 'SET', 'appendfsync', 'sometimes'],
      ['CONFIG', 'SET', 'protected-mode', 'maybe'],
      ['CONFIG', 'SET', 'maxmemory-policy', 'ALLKEYS-LRU'],
      ['CONFIG', 'GET', 'maxmemory-policy'],
      ['CONFIG', 'SET', 'maxmemory-policy', 'noeviction'],
      ['CONFIG', 'SET', 'hz', '5', 'timeout', 'x'],
      ['CONFIG', 'GET', 'hz'],
      ['CONFIG', 'REWRITE'],
      ['CONFIG', 'RESETSTAT'],
      ['CONFIG', 'HELP'],
      ['CONFIG', 'FOO'],
      ['CONFIG'],
    );
  });

  it('AUTH, SELECT, SWAPDB, FLUSHALL, DBSIZE', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ['AUTH', 'x'],
      ['AUTH', 'default', 'x'],
      ['AUTH', 'bob', 'x'],
      ['AUTH', 'a', 'b', 'c'],
      ['SELECT', '16'],
      ['SELECT', '-1'],
      ['SELECT', 'x'],
      ['SET', 'srv:k', 'v'],
      ['SWAPDB', '0', '1'],
      ['DBSIZE'],
      ['SELECT', '1'],
      ['GET', 'srv:k'],
      ['SWAPDB', '1', '0'],
      ['SELECT', '0'],
      ['GET', 'srv:k'],
      ['SWAPDB', 'a', '1'],
      ['SWAPDB', '1', 'b'],
      ['SWAPDB', '0', '16'],
      ['SWAPDB', '0', '0'],
      ['FLUSHALL', 'foo'],
      ['FLUSHALL', 'SYNC', 'x'],
      ['FLUSHDB', 'ASYNC'],
      ['DBSIZE'],
      ['FLUSHALL', 'async'],
      ['ECHO', 'hi'],
      ['PING', 'x'],
      ['PING', 'a', 'b'],
    );
  });

  it('CLIENT errors, SETNAME/GETNAME, HELP and SHUTDOWN errors', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ['CLIENT', 'GETNAME'],
      ['CLIENT', 'SETNAME', 'a b'],
      ['CLIENT', 'SETNAME', 'conn1'],
      ['CLIENT', 'GETNAME'],
      ['CLIENT', 'SETNAME', ''],
      ['CLIENT', 'GETNAME'],
      ['CLIENT', 'KILL', '1.2.3.4:5'],
      ['CLIENT', 'KILL', 'ID', '0'],
      ['CLIENT', 'KILL', 'ID', 'x'],
      ['CLIENT', 'KILL', 'TYPE', 'foo'],
      ['CLIENT', 'KILL', 'USER', 'foo'],
      ['CLIENT', 'KILL', 'SKIPME', 'maybe'],
      ['CLIENT', 'KILL', 'ID', '99999'],
      ['CLIENT', 'KILL', 'ID'],
      ['CLIENT', 'KILL', 'ADDR', '1.2.3.4:5', 'TYPE'],
      ['CLIENT', 'UNBLOCK', '99999'],
      ['CLIENT', 'UNBLOCK', 'x'],
      ['CLIENT', 'UNBLOCK', '1', 'foo'],
      ['CLIENT', 'LIST', 'TYPE', 'foo'],
      ['CLIENT', 'LIST', 'ID', 'x'],
      ['CLIENT', 'LIST', 'foo'],
      ['CLIENT', 'LIST', 'ID', '99999'],
      ['CLIENT', 'NO-EVICT', 'maybe'],
      ['CLIENT', 'NO-EVICT', 'on'],
      ['CLIENT', 'NO-EVICT', 'off'],
      ['CLIENT', 'HELP'],
      ['CLIENT', 'FOO'],
      ['SHUTDOWN', 'ABORT'],
      ['SHUTDOWN', 'FOO'],
      ['SHUTDOWN', 'NOSAVE', 'SAVE'],
      ['SHUTDOWN', 'ABORT', 'NOW'],
      ['TIME', 'x'],
      ['INFO', 'a', 'b', 'c', 'nosuchsection'],
    );
  });

  it('CLIENT UNBLOCK (TIMEOUT and ERROR) and CLIENT LIST fields', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    for (const how of ['TIMEOUT', 'ERROR']) {
      const [r2, k2]: RawClient[] = await d.connectBoth();
      const [rid, kid]: RespNode[] = await Promise.all([r2.call('CLIENT', 'ID'), k2.call('CLIENT', 'ID')]);
      const pr: Promise<{ raw: Buffer }> = r2.send('BLPOP', 'srv:nolist', '0');
      const pk: Promise<{ raw: Buffer }> = k2.send('BLPOP', 'srv:nolist', '0');
      await new Promise((r) => setTimeout(r, 50));
      const [a, b]: { raw: Buffer }[] = await Promise.all([
        d.r.send('CLIENT', 'UNBLOCK', String(rid), how),
        d.k.send('CLIENT', 'UNBLOCK', String(kid), how),
      ]);
      assert.equal(b.raw.toString(), a.raw.toString());
      const [ra, kb]: { raw: Buffer }[] = await Promise.all([pr, pk]);
      assert.equal(kb.raw.toString(), ra.raw.toString());
      r2.close();
      k2.close();
    }
    const fieldsOf = (s: string) =>
      s
        .trim()
        .split(' ')
        .map((f) => f.split('=')[0]);
    const [a, b] = await Promise.all([d.r.call('CLIENT', 'INFO'), d.k.call('CLIENT', 'INFO')]);
    assert.deepEqual(fieldsOf(b as string), fieldsOf(a as string));
    assert.match(b as string, / flags=N db=0 .* cmd=client\|info user=default redir=-1 resp=2\n$/);
  });

  it('INFO sections and field names', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(['SET', 'srv:i', '1'], ['GET', 'srv:i'], ['GET', 'srv:nosuch'], ['INCR', 'srv:nosuch:x', 'y']);
    const [a, b] = await Promise.all([d.r.call('INFO', 'keyspace'), d.k.call('INFO', 'keyspace')]);
    assert.equal(b, a);
    const [ea, eb] = await Promise.all([d.r.call('INFO', 'errorstats'), d.k.call('INFO', 'errorstats')]);
    assert.match(eb as string, /^# Errorstats\r\nerrorstat_ERR:count=\d+\r\n/);
    assert.match(ea as string, /^# Errorstats\r\n/);
    const headers = (s: string) => s.split('\r\n').filter((l) => l.startsWith('# '));
    const [da, db] = await Promise.all([d.r.call('INFO'), d.k.call('INFO')]);
    assert.deepEqual(headers(db as string), headers(da as string));
    const [xa, xb] = await Promise.all([d.r.call('INFO', 'everything'), d.k.call('INFO', 'everything')]);
    assert.deepEqual(headers(xb as string), headers(xa as string));
    // INFO latencystats: the same per-command percentile lines (latency-tracking is on by default).
    const lat = (s: string) => s.split('\r\n').filter((l) => l.startsWith('latency_percentiles_usec_get:'));
    assert.equal(lat(xb as string).length, 1);
    assert.match(lat(xb as string)[0], /^latency_percentiles_usec_get:p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}$/);
    assert.match(lat(xa as string)[0], /^latency_percentiles_usec_get:p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}$/);
    assert.match(xb as string, /\r\ncmdstat_get:calls=\d+,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0\r\n/);
    // Every field of these sections that Keydra reports exists in Redis under the same name.
    const fields = (s: string) =>
      new Set(
        s
          .split('\r\n')
          .filter((l) => l.includes(':'))
          .map((l) => l.split(':')[0]),
      );
    for (const sec of ['clients', 'stats', 'cpu', 'memory', 'persistence', 'replication']) {
      const [ra, kb] = await Promise.all([d.r.call('INFO', sec), d.k.call('INFO', sec)]);
      const rf = fields(ra as string);
      for (const f of fields(kb as string)) if (f !== 'free_system_memory') assert.ok(rf.has(f), `INFO ${sec}: ${f} unknown to Redis`);
    }
  });

  it('HELLO, RESET and CLIENT ID/SETNAME through HELLO', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const [r2, k2]: RawClient[] = await d.connectBoth();
    for (const cmd of [
      ['HELLO', '4'],
      ['HELLO', 'x'],
      ['HELLO', '3', 'SETNAME', 'bad name'],
      ['HELLO', '3', 'AUTH', 'default', 'anything', 'SETNAME', 'n1'],
      ['CLIENT', 'GETNAME'],
      ['SELECT', '3'],
      ['MULTI'],
      ['RESET'],
      ['CLIENT', 'GETNAME'],
      ['SET', 'srv:r', '1'],
      ['EXEC'],
      ['DBSIZE'],
      ['HELLO', '2', 'AUTH', 'bob', 'x'],
    ]) {
      const [a, b] = await Promise.all([r2.send(...cmd), k2.send(...cmd)]);
      const norm = (s: string) => s.replace(/id\r\n:\d+/, 'id\r\n:N').replace(/version\r\n\$\d+\r\n[^\r]*/, 'version');
      assert.equal(norm(b.raw.toString('latin1')), norm(a.raw.toString('latin1')), JSON.stringify(cmd));
    }
    r2.close();
    k2.close();
  });
  it('INFO memory, stats, replication, clients, persistence and cpu: the same fields in the same order as Redis', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    // Keydra's own fields (not in Redis), listed so that any other difference fails.
    const keydraOnly = new Set(['free_system_memory']);
    for (const section of ['memory', 'stats', 'replication', 'clients', 'persistence', 'cpu']) {
      await d.sameAfter(['INFO', section], (r) =>
        String(r)
          .split('\r\n')
          .filter((l) => l !== '' && !l.startsWith('#'))
          .map((l) => l.slice(0, l.indexOf(':')))
          .filter((f) => !keydraOnly.has(f)),
      );
    }
  });
});
