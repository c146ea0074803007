/**
 * Differential tests of ACL against redis-server 7.0: ACL SETUSER rules and errors, LIST/GETUSER
 * descriptions (best-fit categories, selectors, key/channel patterns, passwords), CAT, DRYRUN,
 * DELUSER, AUTH/HELLO with users, NOPERM errors at top level, in MULTI/EXEC and in scripts,
 * redis.acl_check_cmd, ACL LOG entries, requirepass and the default user, LOAD/SAVE with aclfile.
 *
 * Redis walks its command table in hash order (random seed per process), so rules naming several
 * single commands, and ACL CAT <category>, are compared after sorting; ACL LOG's age and client
 * details (addresses, buffer sizes) are masked.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { RawClient } from '../../src/client/rawClient.js';
import type { RespNode } from '../../src/protocol/decoder.js';
import { type Cmd, Differential } from '../helpers/differential.js';
import { NO_REDIS } from '../helpers/servers.js';

let d: Differential | null = null;
let dir = '';
const rFile = (): string => join(dir, 'redis.acl');
const kFile = (): string => join(dir, 'keydra.acl');

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keydra-acl-'));
  writeFileSync(rFile(), 'user default on nopass ~* &* +@all\n');
  writeFileSync(kFile(), 'user default on nopass ~* &* +@all\n');
  d = await Differential.start({ redisArgs: ['--aclfile', rFile()], keydra: { aclfile: kFile() } });
});
after(async () => {
  await d?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Each command on both servers' connections (one per server), raw replies compared. */
async function samePair(pair: [RawClient, RawClient], ...cmds: Cmd[]): Promise<void> {
  for (const cmd of cmds) {
    const [a, b] = await Promise.all([pair[0].send(...cmd), pair[1].send(...cmd)]);
    assert.equal(b.raw.toString('latin1'), a.raw.toString('latin1'), `reply to ${JSON.stringify(cmd.map(String))} differs`);
  }
}

/** Deletes every user but default and empties the log on both servers. */
async function resetUsers(): Promise<void> {
  const dd = d as Differential;
  for (const c of [dd.r, dd.k]) {
    const users = (await c.call('ACL', 'USERS')) as unknown as RespNode[];
    const names = (Array.isArray(users) ? users : ((users as { v: RespNode[] }).v ?? [])).map(String);
    for (const n of names) if (n !== 'default') await c.call('ACL', 'DELUSER', n);
    await c.call('ACL', 'SETUSER', 'default', 'reset', 'on', 'nopass', '~*', '&*', '+@all');
    await c.call('ACL', 'LOG', 'RESET');
  }
}

/** Words of each ACL LIST line sorted after the first three, for rules Redis emits in hash order. */
function sortedRules(reply: unknown): unknown {
  const lines = (reply as RespNode[]).map(String);
  return lines.map((l) => {
    const w = l.split(' ');
    return [...w.slice(0, 3), ...w.slice(3).sort()].join(' ');
  });
}

test('ACL SETUSER / LIST / GETUSER / USERS: flags, passwords, patterns, categories, selectors', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await resetUsers();
  await d.same(
    ['ACL', 'SETUSER', 'u1'],
    ['ACL', 'LIST'],
    ['ACL', 'SETUSER', 'u1', 'reset'],
    ['ACL', 'GETUSER', 'u1'],
    ['ACL', 'SETUSER', 'u2', 'on', '>p1', '~k*', '%R~r*', '%W~w*', '&ch*', '+get', '(+hget ~h*)'],
    ['ACL', 'GETUSER', 'u2'],
    ['ACL', 'SETUSER', 'u3', '-@all', '+@string'],
    ['ACL', 'SETUSER', 'u4', '+@all', '-@dangerous', '-flushall'],
    ['ACL', 'SETUSER', 'u5', '-@all', '+select|0', '+select|1'],
    ['ACL', 'SETUSER', 'u7', '-@all', '+config|get'],
    ['ACL', 'SETUSER', 'u8', '-@all', '+client'],
    ['ACL', 'SETUSER', 'u9', '+@all', '-@keyspace', '+del'],
    ['ACL', 'SETUSER', 'u11', '+@all', '-config', '+config|get'],
    ['ACL', 'SETUSER', 'u12', '-@all', '+@all', '-@write', '+set', '~a', '~b', '%RW~c', '%R~a'],
    ['ACL', 'SETUSER', 'u13', 'allcommands', 'nocommands', 'allkeys', 'resetkeys', 'allchannels', 'resetchannels'],
    ['ACL', 'SETUSER', 'u14', 'on', 'nopass', `#${'f6'.repeat(32)}`, '>x', '>x', '<x'],
    ['ACL', 'SETUSER', 'u15', '(+get ~x)', '(+set', '~y)', 'clearselectors', '(-@all +@hash %R~z)'],
    ['ACL', 'SETUSER', 'u16', 'skip-sanitize-payload', 'on', 'off'],
    ['ACL', 'SETUSER', 'u17', '-@all', '+@hash', '+@list', '-lpush', '+@geo'],
    ['ACL', 'LIST'],
    ['ACL', 'USERS'],
    ['ACL', 'GETUSER', 'u15'],
    ['ACL', 'GETUSER', 'u12'],
    ['ACL', 'GETUSER', 'default'],
    ['ACL', 'GETUSER', 'nobody'],
    ['ACL', 'SETUSER', 'u2', 'resetkeys', 'resetpass', '&x'],
    ['ACL', 'GETUSER', 'u2'],
  );
  // Several single commands: Redis lists them in its hash table's order.
  await d.sameAfter(['ACL', 'SETUSER', 'u18', '-@all', '+get', '+set', '+hget', '+config|get', '+client|list'], (r) => r);
  await d.sameAfter(['ACL', 'LIST'], sortedRules);
  await d.same(['ACL', 'DELUSER', 'u18']);
  const r3 = await d.connectBoth();
  await Promise.all(r3.map((c) => c.send('HELLO', '3')));
  await samePair(r3, ['ACL', 'GETUSER', 'u2'], ['ACL', 'GETUSER', 'u15'], ['ACL', 'GETUSER', 'nobody']);
  for (const c of r3) c.close();
});

test('ACL SETUSER errors leave the user unchanged', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await resetUsers();
  await d.same(
    ['ACL', 'SETUSER', 'v', 'on', '+get'],
    ['ACL', 'SETUSER', 'v', '(+get'],
    ['ACL', 'SETUSER', 'v', '+set', '(+get', '~x'],
    ['ACL', 'SETUSER', 'v', '+get (~x', 'y'],
    ['ACL', 'SETUSER', 'a b'],
    ['ACL', 'SETUSER', 'a\fb'],
    ['ACL', 'SETUSER', Buffer.from('a\xa0b', 'latin1'), Buffer.from('~\xa0x', 'latin1')],
    ['ACL', 'SETUSER', 'v', '~x*', '~*', '~y'],
    ['ACL', 'SETUSER', 'v', '&*', '&y'],
    ['ACL', 'SETUSER', 'v', '<nope'],
    ['ACL', 'SETUSER', 'v', '!nope'],
    ['ACL', 'SETUSER', 'v', '#abc'],
    ['ACL', 'SETUSER', 'v', `#${'A'.repeat(64)}`],
    ['ACL', 'SETUSER', 'v', '+get|x|y'],
    ['ACL', 'SETUSER', 'v', '+config|get|x'],
    ['ACL', 'SETUSER', 'v', '+config|nosuch'],
    ['ACL', 'SETUSER', 'v', '-select|0'],
    ['ACL', 'SETUSER', 'v', '+nosuch'],
    ['ACL', 'SETUSER', 'v', '+@nosuch'],
    ['ACL', 'SETUSER', 'v', 'bogus'],
    ['ACL', 'SETUSER', 'v', '%X~a'],
    ['ACL', 'SETUSER', 'v', '%RR~a'],
    ['ACL', 'SETUSER', 'v', '~a b'],
    ['ACL', 'SETUSER', 'v', '+select|'],
    ['ACL', 'SETUSER', 'v', '(~a +get)', '(bogus)'],
    ['ACL', 'SETUSER', 'v', '+'],
    ['ACL', 'SETUSER', 'v', ''],
    ['ACL', 'LIST'],
    ['ACL', 'SETUSER'],
    ['ACL', 'DELUSER', 'default'],
    ['ACL', 'DELUSER', 'v', 'nosuch', 'v'],
    ['ACL', 'USERS'],
  );
});

test('ACL CAT and DRYRUN', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await resetUsers();
  await d.same(['ACL', 'CAT'], ['ACL', 'CAT', 'nosuch']);
  const sorted = (r: unknown): unknown => (r as RespNode[]).map(String).sort();
  for (const cat of ['string', 'Pubsub', 'admin', 'dangerous', 'keyspace', 'slow', 'scripting'])
    await d.sameAfter(['ACL', 'CAT', cat], sorted);
  await d.same(
    ['ACL', 'SETUSER', 'u2', 'on', '>p1', '~k*', '%R~r*', '%W~w*', '&ch*', '+get', '(+hget ~h*)'],
    ['ACL', 'DRYRUN', 'u2', 'get', 'k1'],
    ['ACL', 'DRYRUN', 'u2', 'get', 'x'],
    ['ACL', 'DRYRUN', 'u2', 'hget', 'h1', 'f'],
    ['ACL', 'DRYRUN', 'u2', 'del', 'k'],
    ['ACL', 'DRYRUN', 'u2', 'publish', 'ch1', 'x'],
    ['ACL', 'SETUSER', 'u6', 'on', 'nopass', '%W~w*', '%R~r*', '+@all', '&a*'],
    ['ACL', 'DRYRUN', 'u6', 'set', 'w1', 'v'],
    ['ACL', 'DRYRUN', 'u6', 'set', 'w1', 'v', 'get'],
    ['ACL', 'DRYRUN', 'u6', 'get', 'r1'],
    ['ACL', 'DRYRUN', 'u6', 'copy', 'r1', 'w1'],
    ['ACL', 'DRYRUN', 'u6', 'lmove', 'r1', 'w1', 'left', 'left'],
    ['ACL', 'DRYRUN', 'u6', 'zunionstore', 'w1', '1', 'r1'],
    ['ACL', 'DRYRUN', 'u6', 'eval', '', '1', 'r1'],
    ['ACL', 'DRYRUN', 'u6', 'getex', 'r1'],
    ['ACL', 'DRYRUN', 'u6', 'bitfield', 'r1', 'get', 'u8', '0'],
    ['ACL', 'DRYRUN', 'u6', 'bitfield', 'r1', 'set', 'u8', '0', '1'],
    ['ACL', 'DRYRUN', 'u6', 'mset', 'w1', 'a', 'x', 'b'],
    ['ACL', 'DRYRUN', 'u6', 'exists', 'x'],
    ['ACL', 'DRYRUN', 'u6', 'publish', 'b', 'x'],
    ['ACL', 'DRYRUN', 'u6', 'subscribe', 'a1', 'b'],
    ['ACL', 'DRYRUN', 'u6', 'psubscribe', 'a*'],
    ['ACL', 'DRYRUN', 'u6', 'psubscribe', 'a1'],
    ['ACL', 'DRYRUN', 'u6', 'sort', 'r1', 'store', 'r9'],
    ['ACL', 'DRYRUN', 'u6', 'sort', 'r1', 'store', 'w9', 'limit', '0', '1', 'store', 'r2'],
    ['ACL', 'DRYRUN', 'u6', 'sort', 'r1', 'by', 'store', 'store', 'w9'],
    ['ACL', 'DRYRUN', 'u6', 'sort', 'w1'],
    ['ACL', 'DRYRUN', 'u6', 'xread', 'streams', 'r1', 'w1', '0', '0'],
    ['ACL', 'DRYRUN', 'u6', 'georadius', 'r1', '0', '0', '1', 'km', 'store', 'r2'],
    ['ACL', 'DRYRUN', 'u6', 'blmove', 'r1', 'w1', 'left', 'right', '0'],
    ['ACL', 'DRYRUN', 'u6', 'spublish', 'a1', 'x'],
    ['ACL', 'DRYRUN', 'u6', 'spublish', 'd1', 'x'],
    ['ACL', 'DRYRUN', 'u6', 'ssubscribe', 'a1', 'd1'],
    ['ACL', 'DRYRUN', 'u6', 'get'],
    ['ACL', 'DRYRUN', 'u6', 'nosuch'],
    ['ACL', 'DRYRUN', 'nouser', 'get'],
    ['ACL', 'DRYRUN', 'u6', 'config', 'foo'],
    ['ACL', 'DRYRUN', 'u6', 'config'],
    ['ACL', 'DRYRUN', 'u6', 'client', 'list'],
    ['ACL', 'SETUSER', 'u5', '-@all', '+select|0'],
    ['ACL', 'DRYRUN', 'u5', 'select', '0'],
    ['ACL', 'DRYRUN', 'u5', 'select', '1'],
  );
});

/** ACL LOG with the age and the client details masked (user=, cmd=, flags= and db= kept). */
function maskLog(reply: unknown): unknown {
  const entries = reply as RespNode[];
  return entries.map((e) => {
    const v = ((e as { v?: RespNode[] }).v ?? e) as RespNode[];
    const out: string[] = [];
    for (let i = 0; i < v.length; i += 2) {
      const k = String(v[i]);
      let val = String(v[i + 1]);
      if (k === 'age-seconds') val = '*';
      if (k === 'client-info')
        val = val
          .split(' ')
          .filter((f) => f.startsWith('user=') || f.startsWith('flags=') || f.startsWith('db=') || f.startsWith('cmd='))
          .join(' ');
      out.push(`${k}=${val}`);
    }
    return out;
  });
}

test('NOPERM at top level, in MULTI/EXEC and in scripts; AUTH/HELLO with users; ACL LOG', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await resetUsers();
  const pair = await d.connectBoth();
  await samePair(
    pair,
    [
      'ACL',
      'SETUSER',
      't',
      'on',
      '>pw',
      '~k*',
      '&ch',
      '-@all',
      '+get',
      '+set',
      '+multi',
      '+exec',
      '+eval',
      '+publish',
      '+subscribe',
      '+psubscribe',
    ],
    ['AUTH', 't', 'wrong'],
    ['AUTH', 'nouser', 'pw'],
    ['HELLO', '2', 'AUTH', 't', 'nope'],
    ['AUTH', 't', 'pw'],
    ['GET', 'k1'],
    ['GET', 'x'],
    ['DEL', 'k1'],
    ['ACL', 'WHOAMI'],
    ['PUBLISH', 'zz', 'm'],
    ['PUBLISH', 'ch', 'm'],
    ['MULTI'],
    ['GET', 'x'],
    ['DEL', 'k'],
    ['EXEC'],
    ['MULTI'],
    ['GET', 'k1'],
    ['SET', 'k2', 'v'],
    ['EXEC'],
    ['EVAL', "return redis.call('get','x')", '0'],
    ['EVAL', "return redis.call('del','k')", '0'],
    ['EVAL', "return redis.call('publish','zz','a')", '0'],
    ['EVAL', "return redis.pcall('get','x')", '0'],
    ['EVAL', "return redis.call('set','k3','v')", '0'],
    ['EVAL', "return redis.acl_check_cmd('get','x')", '0'],
    ['EVAL', "return redis.acl_check_cmd('get','k1')", '0'],
    ['EVAL', "return redis.acl_check_cmd('del','k1')", '0'],
    ['EVAL', "return redis.acl_check_cmd('nosuch')", '0'],
    ['PSUBSCRIBE', 'ch*'],
    ['SUBSCRIBE', 'ch', 'x'],
  );
  const other = await d.connectBoth();
  await samePair(other, ['GET', 'x']);
  const log = (c: RawClient): Promise<RespNode> => c.call('ACL', 'LOG', '100');
  const [lr, lk] = await Promise.all([log(other[0]), log(other[1])]);
  assert.deepEqual(maskLog(lk), maskLog(lr));
  const [l1r, l1k] = await Promise.all([other[0].call('ACL', 'LOG', '1'), other[1].call('ACL', 'LOG', '1')]);
  assert.deepEqual(maskLog(l1k), maskLog(l1r));
  await samePair(other, ['ACL', 'LOG', '-1'], ['ACL', 'LOG', 'x']);
  // A denied command inside MULTI flags the transaction; EXEC re-checks changed rules.
  const m = await d.connectBoth();
  await samePair(
    m,
    ['ACL', 'SETUSER', 'm', 'on', 'nopass', '~*', '&*', '+@all'],
    ['AUTH', 'm', 'x'],
    ['MULTI'],
    ['SET', 'a', '1'],
    ['GET', 'a'],
  );
  await samePair(other, ['ACL', 'SETUSER', 'm', '-get']);
  await samePair(m, ['EXEC'], ['GET', 'a']);
  await samePair(other, ['ACL', 'SETUSER', 'm', 'resetkeys', '~a']);
  await samePair(m, ['MULTI'], ['SET', 'a', '2'], ['SET', 'b', '2']);
  await samePair(other, ['ACL', 'SETUSER', 'm', 'resetkeys', '~b']);
  await samePair(m, ['EXEC']);
  await samePair(other, ['ACL', 'LOG', 'RESET'], ['ACL', 'LOG']);
  for (const c of [...pair, ...other, ...m]) c.close();
});

test('requirepass and the default user; AUTH forms; CLIENT KILL USER; DELUSER disconnects', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await resetUsers();
  const pair = await d.connectBoth();
  await samePair(
    pair,
    ['AUTH', 'x'],
    ['AUTH', 'default', 'anything'],
    ['ACL', 'SETUSER', 'a', 'on', '>pa', '~*', '&*', '+@all'],
    ['ACL', 'SETUSER', 'b', 'on', 'nopass', '~*', '+@all'],
    ['CONFIG', 'SET', 'requirepass', 'secret'],
    ['ACL', 'LIST'],
    ['AUTH', 'secret'],
    ['AUTH', 'wrong'],
    ['AUTH', 'default', 'secret'],
    ['AUTH', 'a', 'b', 'c'],
    ['ACL', 'SETUSER', 'default', 'resetpass', '>other'],
    ['CONFIG', 'GET', 'requirepass'],
    ['AUTH', 'other'],
    ['AUTH', 'secret'],
  );
  // A new connection must authenticate; default off refuses AUTH.
  const fresh = await d.connectBoth();
  await samePair(
    fresh,
    ['GET', 'x'],
    ['HELLO', '3'],
    ['HELLO', '3', 'AUTH', 'default', 'bad'],
    ['HELLO', '3', 'SETNAME', 'a b', 'AUTH', 'default', 'bad'],
    ['HELLO', '3', 'AUTH', 'default', 'other', 'SETNAME', 'a b'],
    ['GET', 'x'],
    ['AUTH', 'a', 'pa'],
    ['ACL', 'WHOAMI'],
  );
  await samePair(pair, ['ACL', 'SETUSER', 'default', 'off']);
  const fresh2 = await d.connectBoth();
  await samePair(fresh2, ['AUTH', 'other'], ['AUTH', 'a', 'pa'], ['CLIENT', 'KILL', 'USER', 'nosuch'], ['CLIENT', 'KILL', 'USER', 'b']);
  await samePair(pair, ['ACL', 'SETUSER', 'default', 'on', 'nopass'], ['CONFIG', 'SET', 'requirepass', '']);
  const fresh3 = await d.connectBoth();
  await samePair(fresh3, ['GET', 'x'], ['ACL', 'WHOAMI'], ['AUTH', 'x']);
  // CLIENT KILL USER a closes the two connections authenticated as `a`.
  await samePair(fresh3, ['CLIENT', 'KILL', 'USER', 'a']);
  for (const [i, c] of fresh.entries()) await assert.rejects(c.send('PING'), `fresh[${i}] closed`);
  // DELUSER closes the deleted user's connections.
  const g = await d.connectBoth();
  await samePair(g, ['AUTH', 'b', 'x'], ['ACL', 'WHOAMI']);
  await samePair(fresh3, ['ACL', 'DELUSER', 'a', 'b']);
  for (const c of g) await assert.rejects(c.send('PING'));
  await samePair(fresh3, ['ACL', 'USERS'], ['ACL', 'LOG', 'RESET']);
  for (const c of [...pair, ...fresh, ...fresh2, ...fresh3, ...g]) c.close();
});

test('ACL SAVE / LOAD with aclfile; acl-pubsub-default', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await resetUsers();
  await d.same(
    ['ACL', 'SETUSER', 'bob', 'on', 'nopass', '+@all', '-debug', '(+get ~x)'],
    ['ACL', 'SETUSER', 'alice', 'on', '>a', '~a*', '+get'],
    ['ACL', 'SAVE'],
  );
  assert.equal(readFileSync(kFile(), 'latin1'), readFileSync(rFile(), 'latin1'));
  await d.same(['ACL', 'SETUSER', 'carol'], ['ACL', 'LOAD'], ['ACL', 'LIST']);
  const bad = 'user alice on >a ~a* +get\nbogus line\nuser x +nosuch ~y\nuser alice on\nuser "a b"\nuser z (+get\n';
  writeFileSync(rFile(), bad);
  writeFileSync(kFile(), bad);
  const [a, b] = await Promise.all([d.r.send('ACL', 'LOAD'), d.k.send('ACL', 'LOAD')]);
  assert.equal(b.raw.toString('latin1').replaceAll(kFile(), 'F'), a.raw.toString('latin1').replaceAll(rFile(), 'F'));
  await d.same(['ACL', 'LIST']);
  writeFileSync(rFile(), 'user default on nopass ~* &* +@all\n\nuser dan  on nopass  +@all\n');
  writeFileSync(kFile(), 'user default on nopass ~* &* +@all\n\nuser dan  on nopass  +@all\n');
  await d.same(
    ['ACL', 'LOAD'],
    ['ACL', 'LIST'],
    ['CONFIG', 'GET', 'acl-pubsub-default'],
    ['CONFIG', 'SET', 'acl-pubsub-default', 'allchannels'],
    ['ACL', 'SETUSER', 'eve'],
    ['ACL', 'SETUSER', 'eve2', 'reset'],
    ['ACL', 'SETUSER', 'eve3', '(+get)'],
    ['ACL', 'LIST'],
    ['CONFIG', 'SET', 'acl-pubsub-default', 'resetchannels'],
    ['CONFIG', 'GET', 'acllog-max-len'],
    ['CONFIG', 'SET', 'acllog-max-len', '2'],
  );
});

test('SORT BY/GET patterns need read access to every key (sort.c); GEORADIUS STORE keys; scripts check the keys they touch', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await resetUsers();
  const pair = await d.connectBoth();
  await samePair(
    pair,
    ['RPUSH', 'k', '3', '1', '2'],
    ['MSET', 'w_1', '3', 'w_2', '2', 'w_3', '1', 'kw_1', 'a'],
    ['GEOADD', 'g', '13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania'],
    ['ACL', 'SETUSER', 'full', 'on', 'nopass', '~*', '+@all'],
    ['ACL', 'SETUSER', 'part', 'on', 'nopass', '~k*', '~g*', '+@all'],
    ['ACL', 'SETUSER', 'readall', 'on', 'nopass', '%R~*', '%W~k*', '+@all'],
    ['ACL', 'SETUSER', 'writeall', 'on', 'nopass', '%W~*', '~k*', '+@all'],
    ['ACL', 'SETUSER', 'sel', 'on', 'nopass', '~k*', '+@all', '(+sort ~*)'],
    ['ACL', 'SETUSER', 'selno', 'on', 'nopass', '~k*', '+@all', '(-sort ~*)'],
    ['AUTH', 'full', 'x'],
    ['SORT', 'k', 'BY', 'w_*'],
    ['SORT', 'k', 'BY', 'w_*', 'GET', 'w_*', 'GET', '#'],
    ['AUTH', 'part', 'x'],
    ['SORT', 'k'],
    ['SORT', 'k', 'LIMIT', '0', '2'],
    ['SORT', 'k', 'BY', 'nosort'],
    ['SORT', 'k', 'BY', 'w_*'],
    ['SORT', 'k', 'BY', 'kw_*'],
    ['SORT', 'k', 'GET', '#'],
    ['SORT', 'k', 'BY', 'nosort', 'GET', 'w_*'],
    ['SORT_RO', 'k', 'BY', 'w_*'],
    ['SORT_RO', 'k', 'GET', 'kw_*'],
    ['SORT', 'k', 'GET', '#', 'BY', 'w_*'],
    ['SORT', 'k', 'BY', 'w_*', 'BADOPT'],
    ['SORT', 'k', 'STORE', 'x'],
    ['SORT', 'k', 'STORE', 'kd'],
    ['EVAL', "return redis.call('sort','k','by','w_*')", '0'],
    ['EVAL', "return redis.pcall('sort','k','get','#')", '0'],
    ['EVAL', "return redis.call('sort_ro','k','by','nosort')", '0'],
    ['EVAL', "return redis.call('get','w_1')", '0'],
    ['EVAL', "return redis.call('get','kw_1')", '0'],
    ['GEORADIUS', 'g', '15', '37', '200', 'km', 'STORE', 'x'],
    ['GEORADIUS', 'g', '15', '37', '200', 'km', 'STOREDIST', 'x'],
    ['GEORADIUS', 'g', '15', '37', '200', 'km', 'STORE', 'gs'],
    ['GEORADIUSBYMEMBER', 'g', 'Palermo', '200', 'km', 'STORE', 'x'],
    ['GEORADIUSBYMEMBER', 'g', 'Palermo', '200', 'km', 'STOREDIST', 'gd'],
    ['GEOSEARCHSTORE', 'x', 'g', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '200', 'km', 'ASC'],
    ['GEORADIUS_RO', 'g', '15', '37', '200', 'km'],
    ['EVAL', "return redis.call('georadius','g','15','37','200','km','store','x')", '0'],
    ['AUTH', 'readall', 'x'],
    ['SORT', 'k', 'BY', 'w_*', 'GET', 'w_*'],
    ['SORT', 'k', 'BY', 'w_*', 'STORE', 'kd2'],
    ['SORT', 'k', 'BY', 'w_*', 'STORE', 'x'],
    ['AUTH', 'writeall', 'x'],
    ['SORT', 'k', 'BY', 'w_*'],
    ['SORT', 'k', 'GET', '#'],
    ['AUTH', 'sel', 'x'],
    ['SORT', 'k', 'BY', 'w_*', 'GET', 'w_*'],
    ['AUTH', 'selno', 'x'],
    ['SORT', 'k', 'BY', 'w_*'],
    ['GET', 'k'],
    ['AUTH', 'full', 'x'],
    ['LRANGE', 'kd', '0', '-1'],
    ['LRANGE', 'kd2', '0', '-1'],
    ['ZRANGE', 'gs', '0', '-1'],
    ['ZRANGE', 'gd', '0', '-1', 'WITHSCORES'],
    ['EXISTS', 'x'],
  );
  const log = (c: RawClient): Promise<RespNode> => c.call('ACL', 'LOG', '100');
  const [lr, lk] = await Promise.all([log(pair[0]), log(pair[1])]);
  assert.deepEqual(maskLog(lk), maskLog(lr));
  for (const c of pair) c.close();
});
