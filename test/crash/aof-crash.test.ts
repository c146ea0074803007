/**
 * Crash safety of the AOF with real keydra-server child processes, several clients writing and
 * recording every acknowledged write, SIGKILL at a random moment and a restart on the same
 * directory: with `appendfsync always` every acknowledged write must be there (three rounds on
 * the same AOF); with `everysec` at most about the last second (2 s allowed) may be missing and
 * everything older must be present. (A process kill leaves the written pages in the OS cache,
 * so in practice nothing is lost; the bound is what an OS crash could cost.)
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import { freePort } from '../helpers/servers.js';

const BIN = join(process.cwd(), 'bin', 'keydra-server.js');
const CLIENTS = 4;

async function spawnServer(dir: string, port: number, fsync = 'always'): Promise<ChildProcess> {
  const proc = spawn(
    process.execPath,
    [BIN, '--port', String(port), '--bind', '127.0.0.1', '--appendonly', 'yes', '--appendfsync', fsync, '--dir', dir, '--save', ''],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  proc.stderr?.on('data', (d) => {
    stderr += d;
  });
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw new Error(`server exited ${proc.exitCode}: ${stderr}`);
    try {
      const c = await RawClient.connect(port);
      const pong = (await c.send('PING')).raw.toString();
      c.close();
      if (pong === '+PONG\r\n') return proc; // not -LOADING any more
      await new Promise((r) => setTimeout(r, 20));
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  proc.kill('SIGKILL');
  throw new Error(`server did not start: ${stderr}`);
}

describe('AOF crash safety (appendfsync always)', () => {
  it('keeps every acknowledged write across kill -9, three times', async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), 'keydra-crash-'));
    /** key → value acknowledged; counter → [acked, sent] per client. */
    const acked = new Map<string, string>();
    const counters = new Map<string, { acked: number; sent: number }>();
    try {
      for (let round = 0; round < 3; round++) {
        const port = await freePort();
        const proc = await spawnServer(dir, port);
        // Everything acknowledged so far (previous rounds) must be there.
        const check = await RawClient.connect(port);
        for (const [k, v] of acked)
          assert.equal((await check.send('GET', k)).raw.toString('latin1'), `$${v.length}\r\n${v}\r\n`, `round ${round}: ${k}`);
        for (const [k, { acked: a, sent }] of counters) {
          const got = Number((await check.send('GET', k)).raw.toString('latin1').split('\r\n')[1]);
          assert.ok(got >= a && got <= sent, `round ${round}: ${k}=${got}, acked ${a}, sent ${sent}`);
          counters.set(k, { acked: got, sent: got });
        }
        check.close();
        let stop = false;
        const workers = Array.from({ length: CLIENTS }, async (_, w) => {
          const c = await RawClient.connect(port);
          const ctr = `crash:ctr:${w}`;
          const st = counters.get(ctr) ?? { acked: 0, sent: 0 };
          counters.set(ctr, st);
          for (let n = 0; !stop; n++) {
            const key = `crash:${round}:${w}:${n}`;
            const val = `v${n}:${'x'.repeat(n % 50)}`;
            try {
              const r = await c.send('SET', key, val);
              if (r.raw.toString() === '+OK\r\n') acked.set(key, val);
              st.sent++;
              const i = await c.send('INCR', ctr);
              if (i.raw[0] === 0x3a) st.acked = Number(i.raw.toString().slice(1, -2));
            } catch {
              break; // connection dropped by the kill
            }
          }
          c.close();
        });
        await new Promise((r) => setTimeout(r, 200 + Math.floor(Math.random() * 600)));
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGKILL');
        await exited;
        stop = true;
        await Promise.all(workers);
        // A counter INCR may have been sent but not acknowledged when the kill came.
        for (const st of counters.values()) st.sent = st.acked + 1;
      }
      const port = await freePort();
      const proc = await spawnServer(dir, port);
      const c = await RawClient.connect(port);
      let present = 0;
      for (const [k, v] of acked) {
        assert.equal((await c.send('GET', k)).raw.toString('latin1'), `$${v.length}\r\n${v}\r\n`, k);
        present++;
      }
      c.close();
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
      assert.ok(present > 0);
      console.log(`# crash test: ${present} acknowledged SETs verified after 3 kill -9 rounds`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('everysec: after kill -9 under load at most ~1 s (2 s allowed) of acknowledged writes is missing', async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), 'keydra-crash-es-'));
    try {
      const port = await freePort();
      const proc = await spawnServer(dir, port, 'everysec');
      /** key → Date.now() when its SET was acknowledged. */
      const ackedAt = new Map<string, number>();
      let stop = false;
      const workers = Array.from({ length: CLIENTS }, async (_, w) => {
        const c = await RawClient.connect(port);
        for (let n = 0; !stop; n++) {
          const key = `es:${w}:${n}`;
          try {
            // Pipelines of 20 SETs keep the server busy.
            const batch = Array.from({ length: 20 }, (_, j) => c.send('SET', `${key}:${j}`, 'v'.repeat(j * 10)));
            const replies = await Promise.all(batch);
            const now = Date.now();
            replies.forEach((r, j) => {
              if (r.raw.toString() === '+OK\r\n') ackedAt.set(`${key}:${j}`, now);
            });
          } catch {
            break;
          }
        }
        c.close();
      });
      await new Promise((r) => setTimeout(r, 2500 + Math.floor(Math.random() * 1000)));
      const killedAt = Date.now();
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
      stop = true;
      await Promise.all(workers);
      const port2 = await freePort();
      const proc2 = await spawnServer(dir, port2, 'everysec');
      const c = await RawClient.connect(port2);
      let missing = 0;
      let oldestMissing = Number.POSITIVE_INFINITY;
      const keys = [...ackedAt.keys()];
      for (let i = 0; i < keys.length; i += 500) {
        const part = keys.slice(i, i + 500);
        const replies = await Promise.all(part.map((k) => c.send('EXISTS', k)));
        replies.forEach((r, j) => {
          if (r.raw.toString() !== ':1\r\n') {
            missing++;
            oldestMissing = Math.min(oldestMissing, ackedAt.get(part[j]) as number);
          }
        });
      }
      c.close();
      const exited2 = new Promise((r) => proc2.once('exit', r));
      proc2.kill('SIGKILL');
      await exited2;
      assert.ok(ackedAt.size > 0);
      if (missing > 0)
        assert.ok(killedAt - oldestMissing <= 2000, `a write acknowledged ${killedAt - oldestMissing} ms before the kill is missing`);
      console.log(`# everysec crash test: ${ackedAt.size} acknowledged SETs, ${missing} missing after kill -9`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
