/**
 * Lists spanning many packed nodes (src/store/quicklist.ts) against a real redis-server 7.0:
 * elements of every length class (empty, short, 254/255/256 bytes where the node's length field
 * widens, larger than an 8 KB node) and binary bytes, tens of thousands of elements, a seeded
 * sequence of every list command, then DEBUG RELOAD and DUMP/RESTORE in both directions (the RDB
 * quicklist of listpacks written by one server read by the other) with the contents compared.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Cmd, Differential } from '../helpers/differential.js';
import { rng } from '../helpers/random.js';
import { NO_REDIS } from '../helpers/servers.js';

describe('lists across many nodes (differential)', () => {
  let d: Differential | null;
  before(async () => {
    d = await Differential.start({ redisArgs: ['--enable-debug-command', 'yes'], keydra: { 'enable-debug-command': 'yes' } });
  });
  after(async () => {
    await d?.close();
  });

  it('random operations on 20k-element lists, then RDB round trips', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const rand = rng(2026);
    const pick = (n: number): number => Math.floor(rand() * n);
    const vals = ['a', 'b', '', '\x00\xff', 'x'.repeat(254), 'y'.repeat(255), 'z'.repeat(256), '12345', '-7'];
    const value = (): string => {
      const r = rand();
      if (r < 0.01) return 'L'.repeat(9000 + pick(3000));
      if (r < 0.6) return vals[pick(vals.length)];
      let s = '';
      const n = pick(60);
      for (let j = 0; j < n; j++) s += String.fromCharCode(pick(256));
      return s;
    };
    for (const key of ['r', 'q']) {
      for (let b = 0; b < 40; b++) {
        const cmd: Cmd = [b % 2 === 0 ? 'RPUSH' : 'LPUSH', key];
        for (let i = 0; i < 500; i++) cmd.push(value());
        await d.same(cmd);
      }
    }
    await d.same(['LLEN', 'r'], ['LRANGE', 'r', '0', '-1'], ['LRANGE', 'q', '-20000', '-1']);
    const cmds: Cmd[] = [];
    const idx = (): string => String(pick(44000) - 22000);
    for (let i = 0; i < 1500; i++) {
      const key = rand() < 0.7 ? 'r' : 'q';
      const v = value();
      switch (pick(15)) {
        case 0:
          cmds.push(['LPUSH', key, v, value()]);
          break;
        case 1:
          cmds.push(['RPUSH', key, v]);
          break;
        case 2:
          cmds.push([rand() < 0.5 ? 'LPOP' : 'RPOP', key, String(pick(300))]);
          break;
        case 3:
          cmds.push([rand() < 0.5 ? 'LPOP' : 'RPOP', key]);
          break;
        case 4:
          cmds.push(['LINDEX', key, idx()]);
          break;
        case 5: {
          const s = pick(22000) - 2000;
          cmds.push(['LRANGE', key, String(s), String(s + pick(400))]);
          break;
        }
        case 6:
          cmds.push(['LSET', key, idx(), v]);
          break;
        case 7:
          cmds.push(['LINSERT', key, rand() < 0.5 ? 'BEFORE' : 'AFTER', vals[pick(vals.length)], v]);
          break;
        case 8:
          if (rand() < 0.2) cmds.push(['LREM', key, String(pick(21) - 10), vals[pick(vals.length)]]);
          else cmds.push(['LLEN', key]);
          break;
        case 9:
          cmds.push([
            'LPOS',
            key,
            vals[pick(vals.length)],
            'RANK',
            String(pick(7) - 3 || 1),
            'COUNT',
            String(pick(5)),
            'MAXLEN',
            String(pick(3) * 5000),
          ]);
          break;
        case 10:
          cmds.push(['LPOS', key, vals[pick(vals.length)], 'RANK', String(-pick(40) - 1)]);
          break;
        case 11:
          cmds.push(['LMOVE', key, key === 'r' ? 'q' : 'r', rand() < 0.5 ? 'LEFT' : 'RIGHT', rand() < 0.5 ? 'LEFT' : 'RIGHT']);
          break;
        case 12:
          cmds.push(['LMPOP', '2', 'none', key, rand() < 0.5 ? 'LEFT' : 'RIGHT', 'COUNT', String(pick(50) + 1)]);
          break;
        case 13:
          cmds.push(['BLPOP', 'none', key, '0']);
          break;
        default:
          if (rand() < 0.1) cmds.push(['LTRIM', key, String(pick(300)), String(-pick(300) - 1)]);
          else cmds.push(['LRANGE', key, String(-pick(200) - 1), '-1']);
      }
    }
    await d.same(...cmds);
    const all: Cmd[] = [
      ['LLEN', 'r'],
      ['LLEN', 'q'],
      ['LRANGE', 'r', '0', '-1'],
      ['LRANGE', 'q', '0', '-1'],
    ];
    const before = await d.same(...all);
    assert.ok(before[0].length > 5, 'the list still has elements');
    // Each server reloads its own RDB file.
    await d.same(['DEBUG', 'RELOAD'], ...all, ['OBJECT', 'ENCODING', 'r']);
    // DUMP from one, RESTORE into the other.
    const kd = (await d.k.call('DUMP', 'r')) as string;
    const rd = (await d.r.call('DUMP', 'q')) as string;
    assert.deepEqual(await d.r.call('RESTORE', 'fromk', '0', kd), { t: '+', v: 'OK' });
    assert.deepEqual(await d.k.call('RESTORE', 'fromr', '0', rd), { t: '+', v: 'OK' });
    const [rr, kr] = await Promise.all([d.r.send('LRANGE', 'fromk', '0', '-1'), d.k.send('LRANGE', 'r', '0', '-1')]);
    assert.equal(rr.raw.toString('latin1'), kr.raw.toString('latin1'), "Redis reads Keydra's DUMP of r");
    const [rq, kq] = await Promise.all([d.r.send('LRANGE', 'q', '0', '-1'), d.k.send('LRANGE', 'fromr', '0', '-1')]);
    assert.equal(kq.raw.toString('latin1'), rq.raw.toString('latin1'), "Keydra reads Redis's DUMP of q");
    await d.same(['COPY', 'r', 'r3'], ['LSET', 'r3', '0', 'changed'], ['LINDEX', 'r', '0'], ['LINDEX', 'r3', '0']);
  });
});
