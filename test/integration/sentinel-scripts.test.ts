/**
 * Sentinel's notification-script and client-reconfig-script (src/sentinel/scripts.ts), run the same
 * way against a Keydra sentinel and a real redis-sentinel 7.0 as the control, over Keydra data
 * nodes: the scripts get Redis's argv, a script exiting 1 is retried after script-retry-delay, one
 * exiting 2 is reported as -script-error, a missing script refuses the config, and SENTINEL SET of
 * a script path is denied (deny-scripts-reconfig). Also a primary cut off (SIGSTOP) is failed over
 * and, resumed, is turned into a replica of the new primary: one primary in the end.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { NO_REDIS, redisServerPath } from '../helpers/servers.js';
import {
  call,
  infoField,
  kill,
  masterAddr,
  monitorLines,
  ports,
  root,
  startData,
  startSentinel,
  waitFor,
  watchEvents,
} from '../helpers/sentinel.js';

/** An executable shell script in the test folder. */
function script(name: string, body: string): string {
  const p = join(root, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

function lines(p: string): string[] {
  return existsSync(p)
    ? readFileSync(p, 'latin1')
        .split('\n')
        .filter((l) => l !== '')
    : [];
}

const sentinelBin = (kind: 'keydra' | 'redis') =>
  kind === 'keydra' ? [process.execPath, join(process.cwd(), 'bin', 'keydra-server.js')] : ['redis-server'];

describe('Sentinel scripts and a cut-off primary', { skip: redisServerPath() === null ? NO_REDIS : false, timeout: 180000 }, () => {
  for (const kind of ['keydra', 'redis'] as const) {
    it(`${kind} sentinel: notification and client-reconfig scripts get Redis's argv; exit 1 retried, exit 2 reported`, async () => {
      const [pp, rp, sp] = await ports(3);
      const out = join(root, `${kind}-notify.out`);
      const mark = join(root, `${kind}-notify.mark`);
      const reconfOut = join(root, `${kind}-reconf.out`);
      // The first +try-failover call fails with 1 (please retry); +failover-end exits 2 (an error, not retried).
      const notify = script(
        `${kind}-notify.sh`,
        `if [ "$1" = "+try-failover" ] && [ ! -f ${mark} ]; then touch ${mark}; exit 1; fi\necho "$@" >> ${out}\n[ "$1" = "+failover-end" ] && exit 2\nexit 0`,
      );
      const reconf = script(`${kind}-reconf.sh`, `echo "$@" >> ${reconfOut}`);
      const primary = await startData(pp, undefined, 'keydra');
      const replica = await startData(rp, pp, 'keydra');
      await waitFor('replica link', 10000, async () => (await infoField(rp, 'master_link_status')) === 'up');
      const s = await startSentinel(kind, sp, [
        ...monitorLines(pp, 1, 1000),
        `sentinel notification-script mymaster ${notify}`,
        `sentinel client-reconfig-script mymaster ${reconf}`,
      ]);
      const w = await watchEvents(sp);
      try {
        assert.deepEqual(await call(sp, 'SENTINEL', 'DEBUG', 'script-retry-delay', '300'), { t: '+', v: 'OK' });
        await waitFor('+monitor at start-up', 10000, () => lines(out).some((l) => l.startsWith('+monitor master mymaster')));
        assert.equal(lines(out)[0], `+monitor master mymaster 127.0.0.1 ${pp} quorum 1`);
        // Scripts' paths cannot change at run time (deny-scripts-reconfig yes by default).
        const denied = await call(sp, 'SENTINEL', 'SET', 'mymaster', 'notification-script', notify);
        assert.match(JSON.stringify(denied), /Reconfiguration of scripts path is denied for security reasons/);
        await waitFor('replica discovered', 15000, async () => {
          const r = await call(sp, 'SENTINEL', 'REPLICAS', 'mymaster');
          return Array.isArray(r) && r.length === 1;
        });
        // Until the sentinel has pinged the new replica it is not a candidate (-NOGOODSLAVE).
        await waitFor('SENTINEL FAILOVER accepted', 10000, async () => {
          const r = await call(sp, 'SENTINEL', 'FAILOVER', 'mymaster');
          if (JSON.stringify(r).includes('NOGOODSLAVE')) return false;
          assert.deepEqual(r, { t: '+', v: 'OK' });
          return true;
        });
        await waitFor('+switch-master', 20000, () => w.events.find((e) => e.ch === '+switch-master'));
        await waitFor('client-reconfig-script run', 10000, () => lines(reconfOut).length > 0);
        assert.deepEqual(lines(reconfOut), [`mymaster leader start 127.0.0.1 ${pp} 127.0.0.1 ${rp}`]);
        await waitFor('-script-error for the exit 2', 10000, () => w.events.find((e) => e.ch === '-script-error'));
        const err = w.events.find((e) => e.ch === '-script-error');
        assert.equal(err?.msg, `${notify} 0 2`);
        await waitFor('+switch-master in the script output', 10000, () => lines(out).some((l) => l.startsWith('+switch-master')));
        // +try-failover's first attempt exited 1: the retry (after script-retry-delay) wrote it.
        await waitFor('+try-failover from the retried script', 10000, () => lines(out).some((l) => l.startsWith('+try-failover')));
        assert.ok(existsSync(mark));
        const types = new Set(lines(out).map((l) => l.split(' ')[0]));
        for (const t of [
          '+monitor',
          '+new-epoch',
          '+try-failover',
          '+elected-leader',
          '+promoted-slave',
          '+failover-end',
          '+switch-master',
        ])
          assert.ok(types.has(t), `${t} reached the notification script (${[...types].join(', ')})`);
        // Only warning-level events: +failover-state-send-slaveof-noone is a notice.
        assert.ok(!types.has('+failover-state-send-slaveof-noone'));
        assert.equal(
          lines(out).find((l) => l.startsWith('+switch-master')),
          `+switch-master mymaster 127.0.0.1 ${pp} 127.0.0.1 ${rp}`,
        );
        await waitFor('script queue drained', 5000, async () => {
          const r = await call(sp, 'SENTINEL', 'PENDING-SCRIPTS');
          return Array.isArray(r) && r.length === 0;
        });
      } finally {
        w.close();
        await kill(s);
        await kill(primary);
        await kill(replica);
      }
    });

    it(`${kind} sentinel refuses a config whose notification script does not exist`, () => {
      const conf = join(root, `${kind}-badscript.conf`);
      writeFileSync(
        conf,
        `port 0\nsentinel monitor mymaster 127.0.0.1 6999 1\nsentinel notification-script mymaster ${join(root, 'missing.sh')}\n`,
      );
      const [bin, ...pre] = sentinelBin(kind);
      const r = spawnSync(bin, [...pre, conf, '--sentinel'], { encoding: 'latin1', timeout: 15000 });
      assert.equal(r.status, 1);
      assert.match(r.stdout + r.stderr, /FATAL CONFIG FILE ERROR/);
      assert.match(r.stdout + r.stderr, /Notification script seems non existing or non executable\./);
    });
  }

  for (const kind of ['keydra', 'redis'] as const) {
    it(`${kind} sentinel resolves a relative script path against its \`dir\` (a rewritten config restarts)`, async () => {
      const [sp] = await ports(1);
      const sub = join(root, `${kind}-reldir`);
      mkdirSync(join(sub, 'scripts'), { recursive: true });
      const rel = join(sub, 'scripts', 'n.sh');
      writeFileSync(rel, '#!/bin/sh\nexit 0\n');
      chmodSync(rel, 0o755);
      const conf = join(root, `${kind}-reldir.conf`);
      writeFileSync(
        conf,
        `port ${sp}\ndir ${sub}\nsentinel monitor mymaster 127.0.0.1 6999 1\nsentinel notification-script mymaster scripts/n.sh\n`,
      );
      const s = await startSentinel(kind, sp, [], conf);
      try {
        const m = await call(sp, 'SENTINEL', 'MASTER', 'mymaster');
        assert.ok(JSON.stringify(m).includes('scripts/n.sh'));
      } finally {
        await kill(s);
      }
    });
  }

  it('a primary cut off (SIGSTOP) is failed over; resumed, it becomes a replica of the new primary', async () => {
    const [pp, rp, s1, s2, s3] = await ports(5);
    const primary = await startData(pp, undefined, 'keydra');
    const replica = await startData(rp, pp, 'keydra');
    await waitFor('replica link', 10000, async () => (await infoField(rp, 'master_link_status')) === 'up');
    const sents = [
      await startSentinel('keydra', s1, monitorLines(pp, 2, 1000)),
      await startSentinel('keydra', s2, monitorLines(pp, 2, 1000)),
      await startSentinel('redis', s3, monitorLines(pp, 2, 1000)),
    ];
    try {
      await waitFor('discovery', 30000, async () => {
        for (const s of sents) {
          const r = await call(s.port, 'SENTINEL', 'SENTINELS', 'mymaster');
          if (!Array.isArray(r) || r.length !== 2) return false;
        }
        return true;
      });
      primary.proc.kill('SIGSTOP');
      for (const s of sents) await waitFor(`new address on ${s.port}`, 30000, async () => (await masterAddr(s.port)) === `127.0.0.1:${rp}`);
      assert.equal(await infoField(rp, 'role'), 'master');
      primary.proc.kill('SIGCONT');
      // The sentinels see the old primary report role master and convert it (+convert-to-slave).
      await waitFor('old primary demoted', 30000, async () => (await infoField(pp, 'role')) === 'slave');
      assert.equal(await infoField(pp, 'master_port'), String(rp));
      await waitFor('old primary in sync', 15000, async () => (await infoField(pp, 'master_link_status')) === 'up');
      assert.equal(await infoField(rp, 'role'), 'master');
    } finally {
      for (const s of sents) await kill(s);
      await kill(primary);
      await kill(replica);
    }
  });
});
