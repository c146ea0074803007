/**
 * Embedded servers (src/index.ts startServer): two servers with different configurations in one
 * process leave each other untouched: CLIENT PAUSE, SCRIPT FLUSH, a busy script, FUNCTION LOAD,
 * CONFIG SET of encoding thresholds (the store's limits follow the server whose command runs),
 * INFO commandstats, a replica's load in slices beside another server's commands; the Lua VM
 * loads on first use (a first EVAL waits for it); `url`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import { luaReady } from '../../src/scripting/engine.js';
import { type Peer, startKeydra } from '../helpers/servers.js';
import type { RunningServer } from '../../src/index.js';

const OK = { t: '+', v: 'OK' };
const LOOP = 'local i = 0 while true do i = i + 1 end';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('two embedded servers in one process', () => {
  let a: Peer & { running: RunningServer };
  let b: Peer & { running: RunningServer };
  let ca: RawClient;
  let cb: RawClient;
  before(async () => {
    a = await startKeydra({ 'hash-max-listpack-entries': 4, 'busy-reply-threshold': 50 });
    b = await startKeydra({ 'hash-max-listpack-entries': 512 });
    ca = await RawClient.connect(a.port);
    cb = await RawClient.connect(b.port);
  });
  after(async () => {
    ca.close();
    cb.close();
    await a.close();
    await b.close();
  });

  it('the Lua VM is not loaded at start-up; the first EVAL (in MULTI or not) waits for it', async () => {
    // This file runs in its own process: nothing has used scripting yet, and INFO (its memory
    // section reports the scripting VMs, as clients' ready checks read) does not load the VM.
    assert.match((await ca.call('INFO')) as string, /used_memory_vm_functions:33792\r\n/);
    assert.equal(luaReady(), false);
    // First use inside MULTI: the EVAL waits for the VM before it is queued, EXEC then runs it;
    // another client's EVAL meanwhile waits too.
    const other = await RawClient.connect(a.port);
    assert.deepEqual(await ca.call('MULTI'), OK);
    const [queued, direct] = await Promise.all([ca.call('EVAL', 'return 40 + 2', '0'), other.call('EVAL', 'return 7', '0')]);
    assert.deepEqual(queued, { t: '+', v: 'QUEUED' });
    assert.equal(direct, 7);
    assert.deepEqual(await ca.call('EXEC'), [42]);
    assert.equal(luaReady(), true);
    // Counted once each in commandstats (the wait is not a second call).
    assert.match((await ca.call('INFO', 'commandstats')) as string, /cmdstat_eval:calls=2,/);
    other.close();
    assert.equal(a.running.url, `redis://127.0.0.1:${a.port}`);
  });

  it('encoding thresholds are per server, whichever server ran last', async () => {
    const fields = (n: number) => Array.from({ length: n }, (_, i) => [`f${i}`, 'v']).flat();
    await ca.call('HSET', 'h', ...fields(10));
    await cb.call('HSET', 'h', ...fields(10));
    assert.equal(await ca.call('OBJECT', 'ENCODING', 'h'), 'hashtable');
    assert.equal(await cb.call('OBJECT', 'ENCODING', 'h'), 'listpack');
    assert.deepEqual(await cb.call('CONFIG', 'SET', 'hash-max-listpack-entries', '2', 'list-max-listpack-size', '-3'), OK);
    // a's limit (4) still applies to a's commands after b changed its own.
    await ca.call('HSET', 'h3', ...fields(3));
    assert.equal(await ca.call('OBJECT', 'ENCODING', 'h3'), 'listpack');
    await cb.call('HSET', 'h3', ...fields(3));
    assert.equal(await cb.call('OBJECT', 'ENCODING', 'h3'), 'hashtable');
    assert.deepEqual(await ca.call('CONFIG', 'GET', 'list-max-listpack-size'), ['list-max-listpack-size', '-2']);
    assert.deepEqual(await cb.call('CONFIG', 'GET', 'list-max-listpack-size'), ['list-max-listpack-size', '-3']);
  });

  it("INFO commandstats counts each server's own calls", async () => {
    assert.deepEqual(await ca.call('CONFIG', 'RESETSTAT'), OK);
    assert.deepEqual(await cb.call('CONFIG', 'RESETSTAT'), OK);
    for (let i = 0; i < 5; i++) await ca.call('INCR', 'n');
    await cb.call('INCR', 'n');
    const stat = async (c: RawClient) => /cmdstat_incr:calls=(\d+)/.exec((await c.call('INFO', 'commandstats')) as string)?.[1];
    assert.equal(await stat(ca), '5');
    assert.equal(await stat(cb), '1');
    // The latency histograms too (INFO latencystats, LATENCY HISTOGRAM).
    await ca.call('DECR', 'n');
    assert.match((await ca.call('INFO', 'latencystats')) as string, /latency_percentiles_usec_decr:/);
    assert.doesNotMatch((await cb.call('INFO', 'latencystats')) as string, /latency_percentiles_usec_decr:/);
    assert.deepEqual(await cb.call('LATENCY', 'HISTOGRAM', 'decr'), []);
  });

  it('CLIENT PAUSE on one does not pause the other', async () => {
    assert.deepEqual(await ca.call('CLIENT', 'PAUSE', '2000', 'WRITE'), OK);
    const t0 = Date.now();
    assert.deepEqual(await cb.call('SET', 'k', 'v'), OK);
    assert.ok(Date.now() - t0 < 1000);
    const other = await RawClient.connect(a.port);
    const pending = other.call('SET', 'k', 'v');
    const first = await Promise.race([pending.then(() => 'replied'), sleep(200).then(() => 'waiting')]);
    assert.equal(first, 'waiting');
    assert.deepEqual(await ca.call('CLIENT', 'UNPAUSE'), OK);
    assert.deepEqual(await pending, OK);
    other.close();
  });

  it('SCRIPT FLUSH and FUNCTION LOAD on one leave the other untouched', async () => {
    const sha = (await ca.call('SCRIPT', 'LOAD', 'return 1')) as string;
    assert.equal(await cb.call('SCRIPT', 'LOAD', 'return 1'), sha);
    assert.deepEqual(await ca.call('SCRIPT', 'FLUSH'), OK);
    assert.deepEqual(await ca.call('SCRIPT', 'EXISTS', sha), [0]);
    assert.deepEqual(await cb.call('SCRIPT', 'EXISTS', sha), [1]);
    const lib = "#!lua name=embedlib\nredis.register_function('answer', function() return 42 end)";
    assert.equal(await ca.call('FUNCTION', 'LOAD', lib), 'embedlib');
    assert.equal(await ca.call('FCALL', 'answer', '0'), 42);
    assert.deepEqual(await cb.call('FUNCTION', 'LIST'), []);
    assert.equal(((await cb.call('FCALL', 'answer', '0')) as { t: string }).t, '-');
  });

  it('a busy script on one: the other serves commands and scripts; SCRIPT KILL ends it', async () => {
    const runner = await RawClient.connect(a.port);
    const pending = runner.send('EVAL', LOOP, '0');
    let busy: unknown = null;
    for (let i = 0; i < 100 && busy === null; i++) {
      await sleep(20);
      const r = (await ca.call('PING')) as { t: string; v: string };
      if (r.t === '-') busy = r.v;
    }
    assert.match(String(busy), /^BUSY/);
    assert.deepEqual(await cb.call('PING'), { t: '+', v: 'PONG' });
    assert.equal(await cb.call('EVAL', 'return 5', '0'), 5);
    assert.deepEqual(await cb.call('SCRIPT', 'KILL'), { t: '-', v: 'NOTBUSY No scripts in execution right now.' });
    assert.deepEqual(await ca.call('SCRIPT', 'KILL'), OK);
    assert.equal(((await pending).node as { t: string }).t, '-');
    runner.close();
  });

  it("a replica's load in slices keeps its own encoding thresholds while another server runs commands", async () => {
    // p holds 10-field hashes as listpacks (limit 512); r (limit 4) loads them from p's RDB in
    // slices of 1024 keys, each a separate event-loop turn, while o (limit 512) runs HSETs in
    // between: r's loaded hashes must follow r's limit (hashtable), never o's.
    const p = await startKeydra({ 'hash-max-listpack-entries': 512 });
    const r = await startKeydra({ 'hash-max-listpack-entries': 4, 'key-load-delay': 5 }); // a pause after each 1024 keys
    const o = await startKeydra({ 'hash-max-listpack-entries': 512 });
    const cp = await RawClient.connect(p.port);
    const cr = await RawClient.connect(r.port);
    const co = await RawClient.connect(o.port);
    try {
      const fields = Array.from({ length: 10 }, (_, i) => [`f${i}`, 'v']).flat();
      const keys = 12000;
      for (let i = 0; i < keys; i += 500) {
        await Promise.all(Array.from({ length: 500 }, (_, j) => cp.call('HSET', `h:${i + j}`, ...fields)));
      }
      assert.equal(await cp.call('OBJECT', 'ENCODING', 'h:0'), 'listpack');
      let loading = true;
      let otherCalls = 0;
      const hammer = (async () => {
        while (loading) {
          await Promise.all(Array.from({ length: 20 }, (_, j) => co.call('HSET', `o:${j}`, ...fields)));
          otherCalls += 20;
        }
      })();
      assert.deepEqual(await cr.call('REPLICAOF', '127.0.0.1', String(p.port)), OK);
      for (let i = 0; i < 300; i++) {
        const info = (await cr.call('INFO', 'replication')) as string;
        if (/master_link_status:up/.test(info) && (await cr.call('DBSIZE')) === keys) break;
        await sleep(20);
      }
      loading = false;
      await hammer;
      assert.equal(await cr.call('DBSIZE'), keys);
      assert.ok(otherCalls > 0);
      const enc = await Promise.all(Array.from({ length: keys / 100 }, (_, i) => cr.call('OBJECT', 'ENCODING', `h:${i * 100}`)));
      assert.deepEqual(new Set(enc), new Set(['hashtable']));
      assert.equal(await co.call('OBJECT', 'ENCODING', 'o:0'), 'listpack');
    } finally {
      cp.close();
      cr.close();
      co.close();
      await r.close();
      await p.close();
      await o.close();
    }
  });
});
