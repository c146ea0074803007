/**
 * List commands against a real redis-server 7.0: replies compared byte for byte, errors included,
 * plus a randomised sequence (fixed seed) over long lists. Blocking commands are compared here
 * only for their immediate paths (non-empty keys, argument errors, MULTI); see
 * test/integration/blocking.test.ts for waits.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Cmd, Differential } from '../helpers/differential.js';
import { NO_REDIS } from '../helpers/servers.js';
import { rng } from '../helpers/random.js';

describe('lists (differential)', () => {
  let d: Differential | null;
  before(async () => {
    d = await Differential.start();
  });
  after(async () => {
    await d?.close();
  });

  it('push, pop, length, range, index', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ['RPUSH', 'l', 'a', 'b', 'c'],
      ['LPUSH', 'l', 'z', 'y'],
      ['LRANGE', 'l', '0', '-1'],
      ['LLEN', 'l'],
      ['LLEN', 'nolist'],
      ['LPUSHX', 'nolist', 'a'],
      ['RPUSHX', 'nolist', 'a'],
      ['EXISTS', 'nolist'],
      ['LPUSHX', 'l', 'x1', 'x2'],
      ['RPUSHX', 'l', 'y1'],
      ['LRANGE', 'l', '0', '-1'],
      ['LRANGE', 'l', '-3', '-1'],
      ['LRANGE', 'l', '-100', '2'],
      ['LRANGE', 'l', '5', '2'],
      ['LRANGE', 'l', '100', '200'],
      ['LRANGE', 'l', '2', '100'],
      ['LRANGE', 'l', 'x', '1'],
      ['LRANGE', 'l', '0', '1.5'],
      ['LRANGE', 'nolist', '0', '-1'],
      ['LRANGE', 'nolist', 'a', '-1'],
      ['LINDEX', 'l', '0'],
      ['LINDEX', 'l', '-1'],
      ['LINDEX', 'l', '-100'],
      ['LINDEX', 'l', '100'],
      ['LINDEX', 'l', 'abc'],
      ['LINDEX', 'nolist', 'abc'],
      ['LINDEX', 'nolist', '0'],
      ['LPOP', 'l'],
      ['RPOP', 'l'],
      ['LPOP', 'l', '2'],
      ['RPOP', 'l', '0'],
      ['LPOP', 'l', '-1'],
      ['LPOP', 'l', 'abc'],
      ['LPOP', 'l', '1', '2'],
      ['LPOP', 'nolist'],
      ['LPOP', 'nolist', '0'],
      ['LPOP', 'nolist', '3'],
      ['RPOP', 'l', '100'],
      ['EXISTS', 'l'],
      ['RPUSH', 'l'],
      ['SET', 's', 'v'],
      ['LPUSH', 's', 'a'],
      ['RPUSHX', 's', 'a'],
      ['LPOP', 's'],
      ['LLEN', 's'],
      ['LRANGE', 's', '0', '1'],
      ['LINDEX', 's', '0'],
      ['RPUSH', 'bin', '\x00\xff\r\n', ''],
      ['LRANGE', 'bin', '0', '-1'],
      ['OBJECT', 'ENCODING', 'bin'],
    );
  });

  it('LSET, LINSERT, LREM, LTRIM', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ['RPUSH', 'e', 'a', 'b', 'a', 'c', 'a', 'b'],
      ['LSET', 'e', '0', 'A'],
      ['LSET', 'e', '-1', 'B'],
      ['LSET', 'e', '6', 'x'],
      ['LSET', 'e', '-7', 'x'],
      ['LSET', 'e', 'x', 'x'],
      ['LSET', 'nokey', '0', 'x'],
      ['LSET', 'nokey', 'bad', 'x'],
      ['SET', 's', 'v'],
      ['LSET', 's', '0', 'x'],
      ['LRANGE', 'e', '0', '-1'],
      ['LINSERT', 'e', 'BEFORE', 'a', 'P'],
      ['LINSERT', 'e', 'after', 'c', 'Q'],
      ['LINSERT', 'e', 'after', 'B', 'T'],
      ['LINSERT', 'e', 'before', 'A', 'H'],
      ['LINSERT', 'e', 'before', 'zz', 'Q'],
      ['LINSERT', 'e', 'middle', 'a', 'Q'],
      ['LINSERT', 'nokey', 'before', 'a', 'Q'],
      ['LINSERT', 'nokey', 'bad', 'a', 'Q'],
      ['LINSERT', 's', 'before', 'a', 'Q'],
      ['LRANGE', 'e', '0', '-1'],
      ['RPUSH', 'e', 'a', 'a', 'x', 'a'],
      ['LREM', 'e', '1', 'a'],
      ['LREM', 'e', '-2', 'a'],
      ['LRANGE', 'e', '0', '-1'],
      ['LREM', 'e', '0', 'a'],
      ['LREM', 'e', '0', 'nothere'],
      ['LREM', 'e', 'x', 'a'],
      ['LREM', 'nokey', 'x', 'a'],
      ['LREM', 'nokey', '1', 'a'],
      ['LREM', 's', '1', 'a'],
      ['LRANGE', 'e', '0', '-1'],
      ['LTRIM', 'e', '1', '-2'],
      ['LRANGE', 'e', '0', '-1'],
      ['LTRIM', 'e', '-100', '100'],
      ['LTRIM', 'e', 'a', '1'],
      ['LTRIM', 'nokey', '0', '1'],
      ['LTRIM', 's', '0', '1'],
      ['LTRIM', 'e', '5', '1'],
      ['EXISTS', 'e'],
      ['RPUSH', 'one', 'x'],
      ['LREM', 'one', '0', 'x'],
      ['EXISTS', 'one'],
    );
  });

  it('LPOS', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ['RPUSH', 'p', 'a', 'b', 'c', 'a', 'b', 'c', 'a', 'a'],
      ['LPOS', 'p', 'a'],
      ['LPOS', 'p', 'c'],
      ['LPOS', 'p', 'zz'],
      ['LPOS', 'p', 'a', 'RANK', '2'],
      ['LPOS', 'p', 'a', 'RANK', '-1'],
      ['LPOS', 'p', 'a', 'RANK', '-3'],
      ['LPOS', 'p', 'a', 'RANK', '10'],
      ['LPOS', 'p', 'a', 'COUNT', '0'],
      ['LPOS', 'p', 'a', 'COUNT', '2'],
      ['LPOS', 'p', 'a', 'COUNT', '2', 'RANK', '-1'],
      ['LPOS', 'p', 'a', 'COUNT', '0', 'RANK', '2'],
      ['LPOS', 'p', 'a', 'COUNT', '0', 'MAXLEN', '4'],
      ['LPOS', 'p', 'a', 'COUNT', '0', 'MAXLEN', '2', 'RANK', '-1'],
      ['LPOS', 'p', 'c', 'MAXLEN', '2'],
      ['LPOS', 'p', 'zz', 'COUNT', '3'],
      ['LPOS', 'p', 'a', 'RANK', '0'],
      ['LPOS', 'p', 'a', 'RANK', 'x'],
      ['LPOS', 'p', 'a', 'COUNT', '-1'],
      ['LPOS', 'p', 'a', 'COUNT', 'x'],
      ['LPOS', 'p', 'a', 'MAXLEN', '-1'],
      ['LPOS', 'p', 'a', 'MAXLEN', 'x'],
      ['LPOS', 'p', 'a', 'RANK'],
      ['LPOS', 'p', 'a', 'FOO', '1'],
      ['LPOS', 'nokey', 'a'],
      ['LPOS', 'nokey', 'a', 'COUNT', '1'],
      ['LPOS', 'nokey', 'a', 'RANK', '0'],
      ['SET', 's', 'v'],
      ['LPOS', 's', 'a'],
      ['LPOS', 'p', 'a', 'rank', '1', 'count', '1', 'maxlen', '0'],
    );
  });

  it('LMOVE, RPOPLPUSH, LMPOP', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ['RPUSH', 'src', '1', '2', '3', '4'],
      ['LMOVE', 'src', 'dst', 'LEFT', 'RIGHT'],
      ['LMOVE', 'src', 'dst', 'right', 'left'],
      ['LMOVE', 'src', 'src', 'LEFT', 'RIGHT'],
      ['LRANGE', 'src', '0', '-1'],
      ['LRANGE', 'dst', '0', '-1'],
      ['RPOPLPUSH', 'src', 'dst'],
      ['RPOPLPUSH', 'src', 'dst'],
      ['EXISTS', 'src'],
      ['RPOPLPUSH', 'src', 'dst'],
      ['LMOVE', 'src', 'dst', 'LEFT', 'RIGHT'],
      ['LMOVE', 'dst', 'dst', 'up', 'RIGHT'],
      ['LMOVE', 'dst', 'dst', 'LEFT', 'down'],
      ['SET', 's', 'v'],
      ['LMOVE', 'dst', 's', 'LEFT', 'RIGHT'],
      ['LMOVE', 's', 'dst', 'LEFT', 'RIGHT'],
      ['RPOPLPUSH', 'dst', 's'],
      ['LRANGE', 'dst', '0', '-1'],
      ['RPUSH', 'one', 'x'],
      ['LMOVE', 'one', 'one', 'LEFT', 'LEFT'],
      ['LRANGE', 'one', '0', '-1'],
      ['LMPOP', '2', 'nokey', 'dst', 'LEFT'],
      ['LMPOP', '2', 'nokey', 'dst', 'RIGHT', 'COUNT', '2'],
      ['LMPOP', '1', 'nokey', 'LEFT'],
      ['LMPOP', '1', 'dst', 'LEFT', 'COUNT', '100'],
      ['EXISTS', 'dst'],
      ['LMPOP', '0', 'dst', 'LEFT'],
      ['LMPOP', '-1', 'dst', 'LEFT'],
      ['LMPOP', 'x', 'dst', 'LEFT'],
      ['LMPOP', '2', 'dst', 'LEFT'],
      ['LMPOP', '1', 'dst', 'MIDDLE'],
      ['LMPOP', '1', 'dst', 'LEFT', 'COUNT', '0'],
      ['LMPOP', '1', 'dst', 'LEFT', 'COUNT', 'x'],
      ['LMPOP', '1', 'dst', 'LEFT', 'COUNT', '1', 'COUNT', '1'],
      ['LMPOP', '1', 'dst', 'LEFT', 'COUNT'],
      ['LMPOP', '1', 'dst', 'LEFT', 'FOO'],
      ['LMPOP', '1', 's', 'LEFT'],
      ['LMPOP', '2', 'nokey', 's', 'LEFT'],
    );
  });

  it('blocking commands: immediate paths and argument errors', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(
      ['RPUSH', 'b1', 'a', 'b', 'c'],
      ['BLPOP', 'nokey', 'b1', '0'],
      ['BRPOP', 'nokey', 'b1', '1.5'],
      ['BLMPOP', '0', '2', 'nokey', 'b1', 'LEFT'],
      ['RPUSH', 'b1', 'a', 'b', 'c', 'd'],
      ['BLMPOP', '0', '1', 'b1', 'RIGHT', 'COUNT', '2'],
      ['BLMOVE', 'b1', 'b2', 'LEFT', 'RIGHT', '0'],
      ['BRPOPLPUSH', 'b1', 'b2', '0'],
      ['LRANGE', 'b2', '0', '-1'],
      ['BLPOP', 'b1', '-1'],
      ['BLPOP', 'b1', 'abc'],
      ['BLPOP', 'b1', ''],
      ['BLPOP', 'b1', 'inf'],
      ['BLPOP', 'b1', '1e30'],
      ['BLMPOP', '-1', '0', 'b1', 'LEFT'],
      ['BLMPOP', 'x', '1', 'b1', 'LEFT'],
      ['BLMPOP', '0', '0', 'b1', 'LEFT'],
      ['BLMPOP', '0', '1', 'b1', 'UP'],
      ['BLMPOP', '0', '1', 'b1', 'LEFT', 'COUNT', '0'],
      ['BLMOVE', 'b1', 'b2', 'LEFT', 'UP', '0'],
      ['BLMOVE', 'b1', 'b2', 'LEFT', 'RIGHT', '-1'],
      ['BLMOVE', 'b1', 'b2', 'LEFT', 'RIGHT', 'x'],
      ['BRPOPLPUSH', 'b1', 'b2', 'x'],
      ['SET', 's', 'v'],
      ['BLPOP', 'nokey', 's', '0'],
      ['BLMOVE', 's', 'b2', 'LEFT', 'RIGHT', '0'],
      ['BRPOPLPUSH', 'b2', 's', '0'],
      ['MULTI'],
      ['BLPOP', 'nokey', '0'],
      ['BRPOP', 'nokey', '0'],
      ['BLMPOP', '0', '1', 'nokey', 'LEFT'],
      ['BLMOVE', 'nokey', 'b2', 'LEFT', 'RIGHT', '0'],
      ['BRPOPLPUSH', 'nokey', 'b2', '0'],
      ['BLPOP', 'b2', '0'],
      ['EXEC'],
    );
  });

  it('keyspace notifications match Redis', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const [sr, sk] = await d.connectBoth();
    try {
      await d.same(['CONFIG', 'SET', 'notify-keyspace-events', 'KEA']);
      await Promise.all([sr.send('PSUBSCRIBE', '__keyevent@0__:*'), sk.send('PSUBSCRIBE', '__keyevent@0__:*')]);
      const cmds: Cmd[] = [
        ['RPUSH', 'n1', 'a', 'b', 'c'],
        ['LPUSH', 'n1', 'z'],
        ['LPUSHX', 'n1', 'y'],
        ['RPUSHX', 'nokey', 'y'],
        ['LINSERT', 'n1', 'BEFORE', 'a', 'p'],
        ['LINSERT', 'n1', 'BEFORE', 'zz', 'p'],
        ['LSET', 'n1', '0', 'q'],
        ['LREM', 'n1', '0', 'nothing'],
        ['LREM', 'n1', '0', 'p'],
        ['LTRIM', 'n1', '0', '-1'],
        ['LTRIM', 'n1', '1', '-1'],
        ['LMOVE', 'n1', 'n2', 'LEFT', 'RIGHT'],
        ['RPOPLPUSH', 'n1', 'n2'],
        ['LPOP', 'n1'],
        ['RPOP', 'n1', '5'],
        ['LMPOP', '1', 'n2', 'LEFT', 'COUNT', '1'],
        ['BLPOP', 'n2', '0'],
        ['RPUSH', 'n3', 'x'],
        ['BLMOVE', 'n3', 'n4', 'RIGHT', 'LEFT', '0'],
        ['LTRIM', 'n4', '1', '0'],
        ['SET', 'done', '1'],
      ];
      await d.same(...cmds);
      const collect = async (c: typeof sr): Promise<string[]> => {
        const out: string[] = [];
        for (;;) {
          const m = (await c.readReply()).node as unknown as string[];
          out.push(`${String(m[2])} ${String(m[3])}`);
          if (String(m[3]) === 'done') return out;
        }
      };
      const [er, ek] = await Promise.all([collect(sr), collect(sk)]);
      assert.ok(er.length > 20, `events seen: ${er.length}`);
      assert.deepEqual(ek, er);
    } finally {
      sr.close();
      sk.close();
      await d.same(['CONFIG', 'SET', 'notify-keyspace-events', '']);
    }
  });

  it('randomised operations on long lists (seeded)', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const rand = rng(12345);
    const pick = (n: number): number => Math.floor(rand() * n);
    const vals = ['a', 'b', 'c', 'dd', '', '\x00x', '12345'];
    const big: Cmd = ['RPUSH', 'r'];
    for (let i = 0; i < 2000; i++) big.push(vals[pick(vals.length)] + (i % 7 === 0 ? String(i) : ''));
    await d.same(big, ['LPUSH', 'r2', ...big.slice(2, 600)]);
    const cmds: Cmd[] = [];
    for (let i = 0; i < 600; i++) {
      const key = rand() < 0.8 ? 'r' : 'r2';
      const v = vals[pick(vals.length)];
      const idx = String(pick(2400) - 1200);
      const idx2 = String(pick(2400) - 1200);
      switch (pick(14)) {
        case 0:
          cmds.push(['LPUSH', key, v, v + v]);
          break;
        case 1:
          cmds.push(['RPUSH', key, v]);
          break;
        case 2:
          cmds.push(['LPOP', key, String(pick(4))]);
          break;
        case 3:
          cmds.push(['RPOP', key]);
          break;
        case 4:
          cmds.push(['LINDEX', key, idx]);
          break;
        case 5:
          cmds.push(['LRANGE', key, idx, idx2]);
          break;
        case 6:
          cmds.push(['LSET', key, idx, v]);
          break;
        case 7:
          cmds.push(['LINSERT', key, rand() < 0.5 ? 'BEFORE' : 'AFTER', v, 'ins']);
          break;
        case 8:
          cmds.push(['LREM', key, String(pick(7) - 3), v]);
          break;
        case 9:
          cmds.push(['LPOS', key, v, 'RANK', String(pick(5) + 1) as string, 'COUNT', String(pick(4))]);
          break;
        case 10:
          cmds.push(['LMOVE', key, key === 'r' ? 'r2' : 'r', rand() < 0.5 ? 'LEFT' : 'RIGHT', 'LEFT']);
          break;
        case 11:
          cmds.push(['LLEN', key]);
          break;
        case 12:
          cmds.push(['LMPOP', '2', key, 'r3', rand() < 0.5 ? 'LEFT' : 'RIGHT', 'COUNT', String(pick(5) + 1)]);
          break;
        default:
          if (rand() < 0.1) cmds.push(['LTRIM', key, String(pick(50)), String(-pick(50) - 1)]);
          else cmds.push(['LPOS', key, v, 'RANK', String(-pick(3) - 1)]);
      }
    }
    await d.same(...cmds);
    await d.same(['LRANGE', 'r', '0', '-1'], ['LRANGE', 'r2', '0', '-1']);
  });
});
