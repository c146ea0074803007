/**
 * Copy-on-write coverage of background snapshots, one write command at a time: the key `zz` is
 * created last (after 20,000 filler keys), so BGSAVE has not reached it when the command sent
 * in the same pipeline modifies it; the saved file must hold `zz` exactly as it was before the
 * command (same DUMP payload, same expire time). Every family's in-place writes must reach
 * Keyspace.beforeWrite (through lookupWrite, setKey, deleteKey, setExpire, removeExpire).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import { type RunningServer, startServer } from '../../src/index.js';
import { decodeRdb, dumpPayload } from '../../src/persistence/rdb/rdb.js';
import { Keyspace, type KeyspaceHooks } from '../../src/store/db.js';

const hooks = new Proxy({}, { get: () => () => {} }) as KeyspaceHooks;

/** How to build `zz` of each type (after DEL zz). */
const SETUP: Record<string, string[][]> = {
  string: [['SET', 'zz', '12345']],
  str: [['SET', 'zz', 'hello world']],
  list: [['RPUSH', 'zz', 'a', 'b', 'c', 'b', 'd']],
  hash: [['HSET', 'zz', 'f1', 'v1', 'f2', '10', 'f3', '1.5']],
  set: [['SADD', 'zz', 'a', 'b', 'c', '1']],
  zset: [['ZADD', 'zz', '1', 'a', '2', 'b', '3', 'c']],
  ttl: [
    ['SET', 'zz', 'v'],
    ['PEXPIRE', 'zz', '100000000'],
  ],
};

const CASES: [string, string, string[]][] = [
  ['string', 'SET', ['SET', 'zz', 'other']],
  ['string', 'INCR', ['INCR', 'zz']],
  ['string', 'INCRBYFLOAT', ['INCRBYFLOAT', 'zz', '1.5']],
  ['str', 'APPEND', ['APPEND', 'zz', '!!']],
  ['str', 'SETRANGE', ['SETRANGE', 'zz', '2', 'XY']],
  ['str', 'GETSET', ['GETSET', 'zz', 'x']],
  ['str', 'GETDEL', ['GETDEL', 'zz']],
  ['str', 'MSET', ['MSET', 'zz', 'm', 'other', 'o']],
  ['list', 'RPUSH', ['RPUSH', 'zz', 'e']],
  ['list', 'LPOP', ['LPOP', 'zz']],
  ['list', 'RPOP', ['RPOP', 'zz', '2']],
  ['list', 'LSET', ['LSET', 'zz', '1', 'B']],
  ['list', 'LINSERT', ['LINSERT', 'zz', 'BEFORE', 'c', 'x']],
  ['list', 'LREM', ['LREM', 'zz', '0', 'b']],
  ['list', 'LTRIM', ['LTRIM', 'zz', '1', '2']],
  ['list', 'LMOVE', ['LMOVE', 'zz', 'zz', 'LEFT', 'RIGHT']],
  ['list', 'BLPOP', ['BLPOP', 'zz', '1']],
  ['list', 'LMPOP', ['LMPOP', '1', 'zz', 'RIGHT']],
  ['hash', 'HSET', ['HSET', 'zz', 'f1', 'changed']],
  ['hash', 'HDEL', ['HDEL', 'zz', 'f2']],
  ['hash', 'HINCRBY', ['HINCRBY', 'zz', 'f2', '5']],
  ['hash', 'HINCRBYFLOAT', ['HINCRBYFLOAT', 'zz', 'f3', '1']],
  ['set', 'SADD', ['SADD', 'zz', 'new']],
  ['set', 'SREM', ['SREM', 'zz', 'a']],
  ['set', 'SPOP', ['SPOP', 'zz']],
  ['set', 'SMOVE', ['SMOVE', 'zz', 'other', 'a']],
  ['set', 'SINTERSTORE', ['SINTERSTORE', 'zz', 'nothing']],
  ['zset', 'ZADD', ['ZADD', 'zz', '5', 'a']],
  ['zset', 'ZINCRBY', ['ZINCRBY', 'zz', '2', 'b']],
  ['zset', 'ZREM', ['ZREM', 'zz', 'c']],
  ['zset', 'ZPOPMIN', ['ZPOPMIN', 'zz']],
  ['zset', 'ZREMRANGEBYSCORE', ['ZREMRANGEBYSCORE', 'zz', '2', '3']],
  ['zset', 'ZMPOP', ['ZMPOP', '1', 'zz', 'MAX']],
  ['zset', 'ZUNIONSTORE', ['ZUNIONSTORE', 'zz', '1', 'nothing']],
  ['ttl', 'PERSIST', ['PERSIST', 'zz']],
  ['ttl', 'EXPIRE', ['EXPIRE', 'zz', '5']],
  ['ttl', 'PEXPIRE now', ['PEXPIRE', 'zz', '0']],
  ['ttl', 'GETEX PERSIST', ['GETEX', 'zz', 'PERSIST']],
  ['ttl', 'SET KEEPTTL', ['SET', 'zz', 'w', 'KEEPTTL']],
  ['ttl', 'DEL', ['DEL', 'zz']],
  ['ttl', 'UNLINK', ['UNLINK', 'zz']],
  ['ttl', 'RENAME', ['RENAME', 'zz', 'renamed']],
  ['ttl', 'MOVE', ['MOVE', 'zz', '1']],
  ['list', 'COPY REPLACE (destination)', ['COPY', 'src', 'zz', 'REPLACE']],
  ['list', 'SORT STORE', ['SORT', 'zz', 'ALPHA', 'STORE', 'zz']],
  ['string', 'RESTORE REPLACE', ['RESTORE', 'zz', '0', '<DUMP of src>', 'REPLACE']],
  ['hash', 'FLUSHDB', ['FLUSHDB']],
  // FLUSHALL stops a running BGSAVE instead (Redis kills the child): persistence-flushall.test.ts.
  ['zset', 'SWAPDB', ['SWAPDB', '0', '1']],
];

describe('BGSAVE copy-on-write covers every write path', () => {
  let srv: RunningServer;
  let c: RawClient;
  let dir: string;
  before(async () => {
    dir = fs.mkdtempSync(join(tmpdir(), 'keydra-cow-'));
    srv = await startServer({ port: 0, dir, save: '' });
    c = await RawClient.connect(srv.port);
  });
  after(async () => {
    c.close();
    await srv.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const [type, name, cmd] of CASES) {
    it(name, async () => {
      await c.send('FLUSHALL');
      const fill: Promise<unknown>[] = [];
      for (let i = 0; i < 20_000; i += 500) {
        const args: string[] = [];
        for (let j = i; j < i + 500; j++) args.push(`filler:${j}`, 'x');
        fill.push(c.send('MSET', ...args));
      }
      await Promise.all(fill);
      await c.send('RPUSH', 'src', 'copied');
      for (const s of SETUP[type]) await c.send(...s);
      const expected = (await c.send('DUMP', 'zz')).raw;
      const ttl = Number((await c.send('PEXPIRETIME', 'zz')).raw.toString().slice(1, -2));
      const argv: (string | Buffer)[] = [...cmd];
      if (cmd[0] === 'RESTORE') {
        const raw = (await c.send('DUMP', 'src')).raw;
        argv[3] = raw.subarray(raw.indexOf('\r\n') + 2, raw.length - 2);
      }
      // BGSAVE and the write in one pipeline: the write runs before the snapshot reaches zz.
      const [bg, w] = await Promise.all([c.send('BGSAVE'), c.send(...argv)]);
      assert.equal(bg.raw.toString(), '+Background saving started\r\n');
      assert.doesNotMatch(w.raw.toString(), /^-/, `${cmd.join(' ')}: ${w.raw.toString()}`);
      for (let i = 0; i < 400 && (await c.send('INFO', 'persistence')).raw.toString().includes('rdb_bgsave_in_progress:1'); i++)
        await new Promise((r) => setTimeout(r, 10));
      const ks = new Keyspace(16, hooks);
      decodeRdb(fs.readFileSync(join(dir, 'dump.rdb')), ks, 0);
      const o = ks.dbs[0].table.get('zz');
      assert.ok(o, 'zz is in the snapshot');
      const payload = dumpPayload(o).toString();
      // DUMP's bulk reply: $<len>\r\n<payload>\r\n
      assert.equal(`$${payload.length}\r\n${payload}\r\n`, expected.toString('latin1'));
      assert.equal(ks.dbs[0].getExpire('zz'), ttl, 'expire time');
      assert.equal(ks.dbs[0].size, 20_002);
    });
  }
});
