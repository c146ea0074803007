/**
 * Stream consumer groups against a real redis-server 7.0: XGROUP, XREADGROUP, XACK, XPENDING,
 * XCLAIM, XAUTOCLAIM, XINFO GROUPS/CONSUMERS/STREAM FULL, raw replies compared byte for byte.
 * Values that depend on the clock (idle times, delivery and seen times) are normalised; delivery
 * times are pinned with XCLAIM TIME where a test needs idle-based selection to be deterministic.
 * Also: propagation (the AOF both servers write for the same commands, times normalised) and
 * keyspace notifications.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawClient } from '../../src/client/rawClient.js';
import { startServer } from '../../src/index.js';
import { after, before, describe, it } from 'node:test';
import type { RespNode } from '../../src/protocol/decoder.js';
import { decodeAll } from '../../src/protocol/decoder.js';
import { type Cmd, Differential } from '../helpers/differential.js';
import { NO_REDIS } from '../helpers/servers.js';

/** Replaces clock-dependent numbers: values after 'idle'/'seen-time' and any Unix-ms-looking integer. */
function untime(n: RespNode): RespNode {
  if (typeof n === 'number' || typeof n === 'bigint') return Number(n) > 1e12 ? 'T' : n;
  if (Array.isArray(n)) {
    const out: RespNode[] = [];
    for (let i = 0; i < n.length; i++) {
      out.push(untime(n[i]));
      if ((n[i] === 'idle' || n[i] === 'seen-time') && i + 1 < n.length) {
        out.push('T');
        i++;
      }
    }
    return out;
  }
  if (n !== null && typeof n === 'object' && 'v' in n && Array.isArray(n.v)) return { t: n.t, v: untime(n.v) } as RespNode;
  return n;
}

/** XPENDING extended form without the idle column. */
function noIdle(n: RespNode): RespNode {
  if (!Array.isArray(n)) return n;
  return n.map((e) => (Array.isArray(e) && e.length === 4 ? [e[0], e[1], e[3]] : e));
}

describe('stream consumer groups (differential)', () => {
  let d: Differential | null;
  before(async () => {
    d = await Differential.start();
  });
  after(async () => {
    await d?.close();
  });

  /** Sends cmds to both; compares raw bytes except for `untime`-normalised commands. */
  async function run(...cmds: Cmd[]): Promise<void> {
    for (const cmd of cmds) {
      const name = String(cmd[0]).toUpperCase();
      const sub = String(cmd[1] ?? '').toUpperCase();
      const timed = (name === 'XINFO' && (sub === 'CONSUMERS' || cmd.length > 3)) || (name === 'XPENDING' && cmd.length > 3);
      if (!timed) await d?.same(cmd);
      else await d?.sameAfter(cmd, (r) => (name === 'XPENDING' ? noIdle(r as RespNode) : untime(r as RespNode)));
    }
  }

  it('XGROUP CREATE/SETID/DESTROY/CREATECONSUMER/DELCONSUMER/HELP and errors', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await run(
      ['DEL', 's', 'nokey'],
      ['XGROUP', 'CREATE', 's', 'g', '$'],
      ['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM'],
      ['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM'],
      ['XINFO', 'GROUPS', 's'],
      ['XADD', 's', '1-1', 'a', '1'],
      ['XADD', 's', '2-1', 'a', '2'],
      ['XGROUP', 'CREATE', 's', 'g2', '0'],
      ['XGROUP', 'CREATE', 's', 'g3', '1-1', 'ENTRIESREAD', '1'],
      ['XGROUP', 'CREATE', 's', 'g4', '0', 'ENTRIESREAD', '-1'],
      ['XGROUP', 'CREATE', 's', 'g5', '0', 'ENTRIESREAD', '-2'],
      ['XGROUP', 'CREATE', 's', 'g5', '0', 'ENTRIESREAD', 'x'],
      ['XGROUP', 'CREATE', 's', 'g5', '0', 'ENTRIESREAD'],
      ['XGROUP', 'CREATE', 's', 'g5', '0', 'FOO'],
      ['XGROUP', 'CREATE', 's', 'g5', 'bad'],
      ['XGROUP', 'CREATE', 's', 'g5', '-'],
      ['XGROUP', 'CREATE', 's', 'g5', '+'],
      ['XGROUP', 'CREATE', 's', 'g5', '5'],
      ['XGROUP', 'CREATE', 's', 'a\x00b', '$', 'MKSTREAM', 'ENTRIESREAD', '7'],
      ['XGROUP', 'CREATE', 'nokey', 'g', '0'],
      ['XGROUP', 'CREATE', 'nokey', 'g', '0', 'FOO'],
      ['XGROUP', 'CREATE', 's'],
      ['XINFO', 'GROUPS', 's'],
      ['XGROUP', 'SETID', 's', 'g', '1-1'],
      ['XGROUP', 'SETID', 's', 'g', '1'],
      ['XGROUP', 'SETID', 's', 'g', '-'],
      ['XGROUP', 'SETID', 's', 'g', '+'],
      ['XGROUP', 'SETID', 's', 'g', '$', 'ENTRIESREAD', '2'],
      ['XGROUP', 'SETID', 's', 'g', '0', 'ENTRIESREAD', '-3'],
      ['XGROUP', 'SETID', 's', 'g', '0', 'ENTRIESREAD', 'x'],
      ['XGROUP', 'SETID', 's', 'g', '0', 'FOO', '1'],
      ['XGROUP', 'SETID', 's', 'g', '0', 'ENTRIESREAD'],
      ['XGROUP', 'SETID', 's', 'g', 'bad'],
      ['XGROUP', 'SETID', 's', 'nogroup', '0'],
      ['XGROUP', 'SETID', 'nokey', 'g', '0'],
      ['XINFO', 'GROUPS', 's'],
      ['XGROUP', 'CREATECONSUMER', 's', 'g', 'c1'],
      ['XGROUP', 'CREATECONSUMER', 's', 'g', 'c1'],
      ['XGROUP', 'CREATECONSUMER', 's', 'g', 'c0'],
      ['XGROUP', 'CREATECONSUMER', 's', 'nogroup', 'c1'],
      ['XGROUP', 'CREATECONSUMER', 'nokey', 'g', 'c1'],
      ['XINFO', 'CONSUMERS', 's', 'g'],
      ['XINFO', 'CONSUMERS', 's', 'nogroup'],
      ['XINFO', 'CONSUMERS', 'nokey', 'g'],
      ['XGROUP', 'DELCONSUMER', 's', 'g', 'c1'],
      ['XGROUP', 'DELCONSUMER', 's', 'g', 'c1'],
      ['XGROUP', 'DELCONSUMER', 's', 'nogroup', 'c1'],
      ['XGROUP', 'DELCONSUMER', 'nokey', 'g', 'c1'],
      ['XGROUP', 'DESTROY', 's', 'g2'],
      ['XGROUP', 'DESTROY', 's', 'g2'],
      ['XGROUP', 'DESTROY', 'nokey', 'g2'],
      ['XGROUP', 'HELP'],
      ['XGROUP', 'HELP', 'x'],
      ['XGROUP', 'FOO'],
      ['XGROUP', 'FOO', 's', 'g'],
      ['XGROUP'],
      ['XINFO', 'GROUPS', 's'],
      ['XINFO', 'STREAM', 's'],
    );
  });

  it('XREADGROUP: >, history, COUNT, NOACK, several streams, errors; XACK; XPENDING', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const cmds: Cmd[] = [['DEL', 'q', 'q2']];
    for (let i = 1; i <= 12; i++) cmds.push(['XADD', 'q', `${i}-0`, 'n', String(i)]);
    cmds.push(['XADD', 'q2', '1-5', 'm', 'x']);
    await run(
      ...cmds,
      ['XGROUP', 'CREATE', 'q', 'g', '0'],
      ['XGROUP', 'CREATE', 'q2', 'g', '0'],
      ['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '3', 'STREAMS', 'q', '>'],
      ['XREADGROUP', 'GROUP', 'g', 'bob', 'COUNT', '2', 'STREAMS', 'q', 'q2', '>', '>'],
      ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 'q', '0'],
      ['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '1', 'STREAMS', 'q', '1-0'],
      ['XREADGROUP', 'GROUP', 'g', 'carol', 'STREAMS', 'q', '0'],
      ['XREADGROUP', 'GROUP', 'g', 'carol', 'NOACK', 'COUNT', '2', 'STREAMS', 'q', '>'],
      ['XINFO', 'GROUPS', 'q'],
      ['XINFO', 'CONSUMERS', 'q', 'g'],
      ['XPENDING', 'q', 'g'],
      ['XPENDING', 'q2', 'g'],
      ['XPENDING', 'q', 'g', '-', '+', '10'],
      ['XPENDING', 'q', 'g', '-', '+', '2'],
      ['XPENDING', 'q', 'g', '(2-0', '+', '10'],
      ['XPENDING', 'q', 'g', '-', '(3-0', '10'],
      ['XPENDING', 'q', 'g', '-', '+', '10', 'alice'],
      ['XPENDING', 'q', 'g', '-', '+', '10', 'nobody'],
      ['XPENDING', 'q', 'g', 'IDLE', '0', '-', '+', '10'],
      ['XPENDING', 'q', 'g', 'IDLE', '100000000', '-', '+', '10'],
      ['XPENDING', 'q', 'g', 'IDLE', '100000000', '-', '+', '10', 'bob'],
      ['XPENDING', 'q', 'g', '-', '+', '-1'],
      ['XPENDING', 'q', 'g', '-', '+', 'x'],
      ['XPENDING', 'q', 'g', 'x', '+', '10'],
      ['XPENDING', 'q', 'g', '-', '+'],
      ['XPENDING', 'q', 'g', 'IDLE', 'x', '-', '+', '10'],
      ['XPENDING', 'q', 'g', 'IDLE', '10', '-', '+'],
      ['XPENDING', 'q', 'g', '-', '+', '10', 'alice', 'extra'],
      ['XPENDING', 'q', 'nogroup'],
      ['XPENDING', 'nokey', 'g'],
      ['XPENDING', 'q', 'g', `(18446744073709551615-18446744073709551615`, '+', '1'],
      ['XACK', 'q', 'g', '1-0', '2-0', '9-9', '1-0'],
      ['XACK', 'q', 'g', 'bad'],
      ['XACK', 'q', 'g', '3-0', 'bad'],
      ['XACK', 'q', 'nogroup', '3-0'],
      ['XACK', 'nokey', 'g', 'bad'],
      ['XPENDING', 'q', 'g'],
      ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 'q', '0'],
      ['XDEL', 'q', '3-0'],
      ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 'q', '0'],
      ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 'q', '>'],
      ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 'q', '>'],
      ['XREADGROUP', 'GROUP', 'g', 'alice', 'BLOCK', '10', 'STREAMS', 'q', '18446744073709551615-18446744073709551615'],
      ['XINFO', 'GROUPS', 'q'],
      ['XGROUP', 'SETID', 'q', 'g', '0'],
      ['XREADGROUP', 'GROUP', 'g', 'dave', 'COUNT', '2', 'STREAMS', 'q', '>'],
      ['XPENDING', 'q', 'g'],
      ['XINFO', 'GROUPS', 'q'],
      ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 'q', '$'],
      ['XREADGROUP', 'GROUP', 'nogroup', 'alice', 'STREAMS', 'q', '>'],
      ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 'nokey', '>'],
      ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 'q', 'q2', '>'],
      ['XREADGROUP', 'STREAMS', 'q', '>'],
      ['XREADGROUP', 'GROUP', 'g', 'STREAMS', 'q', '>'],
      ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 'q', 'bad'],
      ['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', 'x', 'STREAMS', 'q', '>'],
      ['MULTI'],
      ['XREADGROUP', 'GROUP', 'g', 'alice', 'BLOCK', '0', 'STREAMS', 'q', '>'],
      ['EXEC'],
    );
    await Promise.all([d.r.call('HELLO', '3'), d.k.call('HELLO', '3')]);
    await run(
      ['XGROUP', 'SETID', 'q', 'g', '10-0'],
      ['XREADGROUP', 'GROUP', 'g', 'erin', 'STREAMS', 'q', 'q2', '>', '0'],
      ['XPENDING', 'q', 'g'],
      ['XINFO', 'GROUPS', 'q'],
    );
    await Promise.all([d.r.call('HELLO', '2'), d.k.call('HELLO', '2')]);
  });

  it('XCLAIM: IDLE, TIME, RETRYCOUNT, FORCE, JUSTID, LASTID, deleted entries, errors', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const cmds: Cmd[] = [['DEL', 'c']];
    for (let i = 1; i <= 8; i++) cmds.push(['XADD', 'c', `${i}-0`, 'n', String(i)]);
    await run(
      ...cmds,
      ['XGROUP', 'CREATE', 'c', 'g', '0'],
      ['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '5', 'STREAMS', 'c', '>'],
      // Pin delivery times far in the past for 1-0 and 2-0 (TIME), keep 3-0..5-0 recent.
      ['XCLAIM', 'c', 'g', 'alice', '0', '1-0', '2-0', 'TIME', '1000', 'JUSTID'],
      ['XCLAIM', 'c', 'g', 'bob', '3600000', '1-0', '2-0', '3-0', '4-0'],
      ['XPENDING', 'c', 'g', '-', '+', '10'],
      ['XCLAIM', 'c', 'g', 'bob', '0', '3-0', 'RETRYCOUNT', '7', 'IDLE', '5000'],
      ['XCLAIM', 'c', 'g', 'bob', '3000', '3-0', 'JUSTID'],
      ['XCLAIM', 'c', 'g', 'bob', '100000', '3-0', 'JUSTID'],
      ['XCLAIM', 'c', 'g', 'carol', '0', '4-0', 'JUSTID', 'RETRYCOUNT', '3'],
      ['XCLAIM', 'c', 'g', 'carol', '0', '7-0'],
      ['XCLAIM', 'c', 'g', 'carol', '0', '7-0', 'FORCE', 'JUSTID'],
      ['XCLAIM', 'c', 'g', 'carol', '0', '99-0', 'FORCE'],
      ['XCLAIM', 'c', 'g', 'carol', '0', '8-0', 'LASTID', '8-0'],
      ['XINFO', 'GROUPS', 'c'],
      ['XCLAIM', 'c', 'g', 'carol', '0', '8-0', 'LASTID', '5-0'],
      ['XDEL', 'c', '5-0'],
      ['XCLAIM', 'c', 'g', 'dave', '0', '5-0', '4-0'],
      ['XPENDING', 'c', 'g'],
      ['XCLAIM', 'c', 'g', 'dave', '0', '4-0', 'TIME', '99999999999999'],
      ['XCLAIM', 'c', 'g', 'dave', '0', '4-0', 'IDLE', '-5'],
      ['XCLAIM', 'c', 'g', 'dave', '-10', '4-0', 'JUSTID'],
      ['XCLAIM', 'c', 'g', 'dave', 'x', '4-0'],
      ['XCLAIM', 'c', 'g', 'dave', '0', '4-0', 'IDLE', 'x'],
      ['XCLAIM', 'c', 'g', 'dave', '0', '4-0', 'TIME', 'x'],
      ['XCLAIM', 'c', 'g', 'dave', '0', '4-0', 'RETRYCOUNT', 'x'],
      ['XCLAIM', 'c', 'g', 'dave', '0', '4-0', 'LASTID', 'x'],
      ['XCLAIM', 'c', 'g', 'dave', '0', '4-0', 'FOO'],
      ['XCLAIM', 'c', 'g', 'dave', '0', '4-0', 'IDLE'],
      ['XCLAIM', 'c', 'g', 'dave', '0', 'bad'],
      ['XCLAIM', 'c', 'nogroup', 'dave', '0', '4-0'],
      ['XCLAIM', 'nokey', 'g', 'dave', '0', '4-0'],
      ['XCLAIM', 'nokey', 'g', 'dave', 'x', '4-0'],
      ['XINFO', 'CONSUMERS', 'c', 'g'],
      ['XPENDING', 'c', 'g', '-', '+', '10'],
      ['XINFO', 'STREAM', 'c', 'FULL'],
    );
  });

  it('XAUTOCLAIM: cursor, COUNT, JUSTID, min-idle, deleted-entry list, errors', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const cmds: Cmd[] = [['DEL', 'a']];
    for (let i = 1; i <= 10; i++) cmds.push(['XADD', 'a', `${i}-0`, 'n', String(i)]);
    await run(
      ...cmds,
      ['XGROUP', 'CREATE', 'a', 'g', '0'],
      ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 'a', '>'],
      ['XCLAIM', 'a', 'g', 'alice', '0', '2-0', '4-0', '6-0', 'TIME', '1000', 'JUSTID'],
      ['XAUTOCLAIM', 'a', 'g', 'bob', '3600000', '0-0'],
      ['XAUTOCLAIM', 'a', 'g', 'bob', '0', '0', 'COUNT', '3'],
      ['XAUTOCLAIM', 'a', 'g', 'bob', '0', '4-0', 'COUNT', '3', 'JUSTID'],
      ['XAUTOCLAIM', 'a', 'g', 'bob', '0', '(8-0', 'COUNT', '3'],
      ['XDEL', 'a', '3-0', '5-0', '9-0'],
      ['XAUTOCLAIM', 'a', 'g', 'carol', '0', '-', 'COUNT', '2'],
      ['XAUTOCLAIM', 'a', 'g', 'carol', '0', '-', 'COUNT', '20', 'JUSTID'],
      ['XPENDING', 'a', 'g'],
      ['XAUTOCLAIM', 'a', 'g', 'carol', '0', '-', 'COUNT', '0'],
      ['XAUTOCLAIM', 'a', 'g', 'carol', '0', '-', 'COUNT', '-1'],
      ['XAUTOCLAIM', 'a', 'g', 'carol', '0', '-', 'COUNT', 'x'],
      ['XAUTOCLAIM', 'a', 'g', 'carol', '0', '-', 'COUNT'],
      ['XAUTOCLAIM', 'a', 'g', 'carol', '0', '-', 'FOO'],
      ['XAUTOCLAIM', 'a', 'g', 'carol', 'x', '-'],
      ['XAUTOCLAIM', 'a', 'g', 'carol', '-1', '-'],
      ['XAUTOCLAIM', 'a', 'g', 'carol', '0', 'bad'],
      ['XAUTOCLAIM', 'a', 'g', 'carol', '0', `(18446744073709551615-18446744073709551615`],
      ['XAUTOCLAIM', 'a', 'nogroup', 'carol', '0', '-'],
      ['XAUTOCLAIM', 'nokey', 'g', 'carol', '0', '-'],
      ['XINFO', 'CONSUMERS', 'a', 'g'],
      ['XINFO', 'STREAM', 'a', 'FULL', 'COUNT', '2'],
    );
    // attempts = COUNT * 10 bounds the scan over non-idle entries.
    const more: Cmd[] = [['DEL', 'b']];
    for (let i = 1; i <= 40; i++) more.push(['XADD', 'b', `${i}-0`, 'n', String(i)]);
    await run(
      ...more,
      ['XGROUP', 'CREATE', 'b', 'g', '0'],
      ['XREADGROUP', 'GROUP', 'g', 'x', 'STREAMS', 'b', '>'],
      ['XCLAIM', 'b', 'g', 'x', '0', '35-0', 'TIME', '1000', 'JUSTID'],
      ['XAUTOCLAIM', 'b', 'g', 'y', '3600000', '0', 'COUNT', '2'],
      ['XAUTOCLAIM', 'b', 'g', 'y', '3600000', '0', 'COUNT', '4'],
    );
  });

  it('lag and entries-read through XADD, XDEL, XTRIM, SETID (XINFO GROUPS / STREAM FULL)', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await run(
      ['DEL', 'l'],
      ['XGROUP', 'CREATE', 'l', 'g1', '$', 'MKSTREAM'],
      ['XINFO', 'GROUPS', 'l'],
      ['XADD', 'l', '1-0', 'a', '1'],
      ['XADD', 'l', '2-0', 'a', '2'],
      ['XADD', 'l', '3-0', 'a', '3'],
      ['XADD', 'l', '4-0', 'a', '4'],
      ['XADD', 'l', '5-0', 'a', '5'],
      ['XGROUP', 'CREATE', 'l', 'g2', '0'],
      ['XGROUP', 'CREATE', 'l', 'g3', '3-0'],
      ['XGROUP', 'CREATE', 'l', 'g4', '$'],
      ['XINFO', 'GROUPS', 'l'],
      ['XREADGROUP', 'GROUP', 'g1', 'c', 'COUNT', '2', 'STREAMS', 'l', '>'],
      ['XREADGROUP', 'GROUP', 'g3', 'c', 'COUNT', '1', 'STREAMS', 'l', '>'],
      ['XINFO', 'GROUPS', 'l'],
      ['XDEL', 'l', '4-0'],
      ['XINFO', 'GROUPS', 'l'],
      ['XREADGROUP', 'GROUP', 'g2', 'c', 'STREAMS', 'l', '>'],
      ['XINFO', 'GROUPS', 'l'],
      ['XDEL', 'l', '1-0'],
      ['XINFO', 'GROUPS', 'l'],
      ['XTRIM', 'l', 'MAXLEN', '1'],
      ['XINFO', 'GROUPS', 'l'],
      ['XGROUP', 'SETID', 'l', 'g2', '0', 'ENTRIESREAD', '0'],
      ['XINFO', 'GROUPS', 'l'],
      ['XSETID', 'l', '9-0', 'ENTRIESADDED', '9', 'MAXDELETEDID', '8-0'],
      ['XINFO', 'GROUPS', 'l'],
      ['XADD', 'l', '10-0', 'a', '10'],
      ['XREADGROUP', 'GROUP', 'g4', 'c', 'STREAMS', 'l', '>'],
      ['XINFO', 'GROUPS', 'l'],
      ['XINFO', 'STREAM', 'l', 'FULL'],
      ['XINFO', 'STREAM', 'l'],
      ['COPY', 'l', 'l2'],
      ['XINFO', 'STREAM', 'l2', 'FULL'],
      ['XACK', 'l', 'g1', '1-0', '2-0'],
      ['XPENDING', 'l2', 'g1'],
      ['XPENDING', 'l', 'g1'],
    );
  });

  it('keyspace notifications (class t)', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    await d.same(['CONFIG', 'SET', 'notify-keyspace-events', 'KEA']);
    const [sr, sk] = await d.connectBoth();
    try {
      await Promise.all([sr.call('PSUBSCRIBE', '__keyevent@0__:*'), sk.call('PSUBSCRIBE', '__keyevent@0__:*')]);
      await Promise.all([sr.call('SUBSCRIBE', 'end'), sk.call('SUBSCRIBE', 'end')]);
      const script: Cmd[] = [
        ['DEL', 'ev'],
        ['XADD', 'ev', '1-0', 'a', '1'],
        ['XADD', 'ev', 'MAXLEN', '1', '2-0', 'a', '2'],
        ['XGROUP', 'CREATE', 'ev', 'g', '0'],
        ['XGROUP', 'CREATECONSUMER', 'ev', 'g', 'c'],
        ['XREADGROUP', 'GROUP', 'g', 'c2', 'STREAMS', 'ev', '>'],
        ['XGROUP', 'SETID', 'ev', 'g', '0'],
        ['XGROUP', 'DELCONSUMER', 'ev', 'g', 'c'],
        ['XCLAIM', 'ev', 'g', 'c3', '0', '2-0'],
        ['XAUTOCLAIM', 'ev', 'g', 'c4', '0', '0'],
        ['XDEL', 'ev', '2-0'],
        ['XSETID', 'ev', '5-0'],
        ['XADD', 'ev', '6-0', 'a', '1'],
        ['XTRIM', 'ev', 'MAXLEN', '0'],
        ['XGROUP', 'DESTROY', 'ev', 'g'],
        ['XGROUP', 'CREATE', 'ev2', 'g', '$', 'MKSTREAM'],
        ['DEL', 'ev', 'ev2'],
        ['PUBLISH', 'end', 'x'],
      ];
      await d.same(...script);
      const collect = async (c: typeof sr): Promise<string[]> => {
        const out: string[] = [];
        for (;;) {
          const m = (await c.readReply()).node as RespNode[];
          if (m[0] === 'message') break;
          out.push(`${String(m[2])} ${String(m[3])}`);
          if (out.length > 100) break;
        }
        return out;
      };
      const [er, ek] = await Promise.all([collect(sr), collect(sk)]);
      assert.deepEqual(ek, er);
    } finally {
      sr.close();
      sk.close();
      await d.same(['CONFIG', 'SET', 'notify-keyspace-events', '']);
    }
  });
});

/** Parses an AOF's RESP commands (multi-part incr file). */
function aofCommands(file: string): string[][] {
  const buf = readFileSync(file);
  return decodeAll(buf).replies.map((r) => (r as RespNode[]).map((x) => String(x)));
}

/** Normalises propagated commands: XCLAIM TIME values and auto IDs. */
function normProp(cmds: string[][]): string[][] {
  return cmds.map((c) => {
    const out = c.slice();
    const ti = out.findIndex((a, i) => i > 0 && a === 'TIME' && out[0] === 'XCLAIM');
    if (ti > 0) out[ti + 1] = 'T';
    return out;
  });
}

describe('stream propagation (differential: AOF written by redis-server vs Keydra)', () => {
  let d: Differential | null;
  before(async () => {
    d = await Differential.start({
      redisArgs: ['--appendonly', 'yes', '--appendfsync', 'always'],
      keydra: { appendonly: true, appendfsync: 'always' },
    });
  });
  after(async () => {
    await d?.close();
  });

  it('XADD (~ rewrite, * IDs), XTRIM ~, XREADGROUP, NOACK, XCLAIM, XAUTOCLAIM, XACK, XGROUP, XSETID', async (t) => {
    if (!d) return t.skip(NO_REDIS);
    const cmds: Cmd[] = [];
    for (let i = 1; i <= 230; i++) cmds.push(['XADD', 'p', `${i}-0`, 'f', String(i)]);
    await d.same(...cmds);
    await d.same(
      ['XADD', 'p', 'MAXLEN', '~', '100', '231-0', 'f', 'x'],
      ['XADD', 'p', 'MAXLEN', '~', '100', '232-*', 'f', 'x'],
      ['XTRIM', 'p', 'MINID', '~', '150'],
      ['XTRIM', 'p', 'MAXLEN', '~', '100'],
      ['XTRIM', 'p', 'MAXLEN', '~', '10', 'LIMIT', '100'],
      ['XTRIM', 'p', 'MAXLEN', '=', '50'],
      ['XGROUP', 'CREATE', 'p', 'g', '0'],
      ['XGROUP', 'CREATE', 'p', 'g2', '$', 'ENTRIESREAD', '3'],
      ['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '3', 'STREAMS', 'p', '>'],
      ['XREADGROUP', 'GROUP', 'g', 'bob', 'NOACK', 'COUNT', '2', 'STREAMS', 'p', '>'],
      ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 'p', '0'],
      ['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '1', 'STREAMS', 'p', '>'],
      ['XACK', 'p', 'g', '1000-0', 'bad'],
      ['XCLAIM', 'p', 'g', 'carol', '0', '1000-0', 'JUSTID'],
      ['XDEL', 'p', '183-0'],
      ['XAUTOCLAIM', 'p', 'g', 'dave', '0', '0', 'COUNT', '3'],
      ['XCLAIM', 'p', 'g', 'erin', '0', '182-0', 'LASTID', '300-0', 'RETRYCOUNT', '9'],
      ['XCLAIM', 'p', 'g', 'erin', '0', '999-0', 'LASTID', '400-0'],
      ['XGROUP', 'CREATECONSUMER', 'p', 'g', 'zed'],
      ['XGROUP', 'DELCONSUMER', 'p', 'g', 'zed'],
      ['XGROUP', 'SETID', 'p', 'g', '$'],
      ['XSETID', 'p', '500-0', 'ENTRIESADDED', '1000'],
      ['XGROUP', 'DESTROY', 'p', 'g2'],
      ['MULTI'],
      ['XADD', 'p', '501-*', 'a', 'b'],
      ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 'p', '>'],
      ['EXEC'],
    );
    // Served after blocking: the same propagation (XCLAIM per entry; NOACK creates the consumer).
    const [br, bk] = await d.connectBoth();
    const [nr, nk] = await d.connectBoth();
    const waits = [
      br.send('XREADGROUP', 'GROUP', 'g', 'blocked', 'BLOCK', '0', 'STREAMS', 'p', '>'),
      bk.send('XREADGROUP', 'GROUP', 'g', 'blocked', 'BLOCK', '0', 'STREAMS', 'p', '>'),
    ];
    const blockedCount = async (c: typeof br): Promise<number> =>
      Number(/blocked_clients:(\d+)/.exec(String(await c.call('INFO', 'clients')))?.[1]);
    for (let i = 0; i < 200 && ((await blockedCount(d.r)) !== 1 || (await blockedCount(d.k)) !== 1); i++)
      await new Promise((res) => setTimeout(res, 5));
    await d.same(['XADD', 'p', '600-0', 'after', 'block']);
    const [wr, wk] = await Promise.all(waits);
    assert.equal(wk.raw.toString('latin1'), wr.raw.toString('latin1'));
    await d.same(['XGROUP', 'CREATE', 'p', 'g3', '$']);
    const waits2 = [
      nr.send('XREADGROUP', 'GROUP', 'g3', 'fresh', 'NOACK', 'BLOCK', '0', 'STREAMS', 'p', '>'),
      nk.send('XREADGROUP', 'GROUP', 'g3', 'fresh', 'NOACK', 'BLOCK', '0', 'STREAMS', 'p', '>'),
    ];
    for (let i = 0; i < 200 && ((await blockedCount(d.r)) !== 1 || (await blockedCount(d.k)) !== 1); i++)
      await new Promise((res) => setTimeout(res, 5));
    await d.same(['XADD', 'p', '601-0', 'after', 'block']);
    const [w2r, w2k] = await Promise.all(waits2);
    assert.equal(w2k.raw.toString('latin1'), w2r.raw.toString('latin1'));
    for (const c of [br, bk, nr, nk]) c.close();
    const dir = 'appendonlydir';
    const r = normProp(aofCommands(join(d.redis.dir, dir, 'appendonly.aof.1.incr.aof')));
    const k = normProp(aofCommands(join(d.keydra.dir, dir, 'appendonly.aof.1.incr.aof')));
    if (process.env.STREAM_PROP_DEBUG) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync('/tmp/prop-redis.txt', r.map((x) => x.join(' ')).join('\n'));
      writeFileSync('/tmp/prop-keydra.txt', k.map((x) => x.join(' ')).join('\n'));
    }
    assert.deepEqual(k, r);
  });
});

describe('stream AOF replay (Keydra)', () => {
  it('replaying the propagated commands (~ trims rewritten with LIMIT, XCLAIM/SETID) rebuilds the same stream', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keydra-stream-aof-'));
    const script: string[][] = [];
    for (let i = 1; i <= 250; i++) script.push(['XADD', 'p', `${i}-0`, 'f', String(i)]);
    script.push(
      ['XADD', 'p', 'MAXLEN', '~', '10', 'LIMIT', '100', '251-0', 'f', 'x'],
      ['XTRIM', 'p', 'MINID', '~', '230', 'LIMIT', '100'],
      ['XGROUP', 'CREATE', 'p', 'g', '0', 'ENTRIESREAD', '0'],
      ['XREADGROUP', 'GROUP', 'g', 'a', 'COUNT', '3', 'STREAMS', 'p', '>'],
      ['XREADGROUP', 'GROUP', 'g', 'b', 'NOACK', 'COUNT', '2', 'STREAMS', 'p', '>'],
      ['XCLAIM', 'p', 'g', 'c', '0', '202-0', 'RETRYCOUNT', '5'],
      ['XDEL', 'p', '203-0'],
      ['XAUTOCLAIM', 'p', 'g', 'd', '0', '0'],
      ['XACK', 'p', 'g', '201-0'],
    );
    const inspect = [
      ['XRANGE', 'p', '-', '+'],
      ['XINFO', 'GROUPS', 'p'],
      ['XPENDING', 'p', 'g', '-', '+', '10'],
      ['XINFO', 'STREAM', 'p'],
    ];
    const snapshot = async (port: number): Promise<string[]> => {
      const c = await RawClient.connect(port);
      const out: string[] = [];
      for (const cmd of inspect) {
        const r = (await c.call(...cmd)) as RespNode;
        out.push(JSON.stringify(cmd[0] === 'XPENDING' ? noIdle(r) : r, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
      }
      c.close();
      return out;
    };
    try {
      const a = await startServer({ port: 0, dir, save: '', appendonly: true });
      const c = await RawClient.connect(a.port);
      for (const cmd of script) await c.call(...cmd);
      c.close();
      const before = await snapshot(a.port);
      await a.close();
      const b = await startServer({ port: 0, dir, save: '', appendonly: true });
      const after = await snapshot(b.port);
      await b.close();
      assert.deepEqual(after, before);
      assert.ok(before[0].includes('251-0'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
