/**
 * String commands in-process: the argv each write propagates (Redis 7.0 rewrites), keyspace
 * notifications, and the long double arithmetic behind INCRBYFLOAT (expected strings produced
 * by redis-server 7.0.15 on x86-64).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../../../src/client/rawClient.js';
import { addLongDouble, formatLongDouble, parseLongDouble } from '../../../src/commands/longdouble.js';
import type { KeydraServer } from '../../../src/server/server.js';
import { type Peer, startKeydra } from '../../helpers/servers.js';

/** INCRBYFLOAT key b on a key holding a → Redis's reply. */
const FLOAT_CASES: [string, string, string][] = [
  ['10.5', '0.1', '10.6'],
  ['3.0e3', '0', '3000'],
  ['0.1', '0.2', '0.3'],
  ['1e20', '1', '100000000000000000000'],
  ['0', '1e-20', '0'],
  ['0', '5e-18', '0'],
  ['0', '1.5e-17', '0.00000000000000002'],
  ['0', '2.5e-17', '0.00000000000000002'],
  ['0', '0x1p-3', '0.125'],
  ['-1.5', '1.5', '0'],
  ['0', '-0', '0'],
  ['100', '-99.99', '0.01'],
  ['17179869184', '1.5', '17179869185.5'],
];

function incrByFloat(a: string, b: string): string | null {
  const x = parseLongDouble(a);
  const y = parseLongDouble(b);
  if (x === null || y === null) return null;
  if (x === 'inf' || y === 'inf') return 'inf';
  const s = addLongDouble(x, y);
  return s === 'inf' ? 'inf' : formatLongDouble(s);
}

describe('long double emulation', () => {
  it('matches Redis 7.0 INCRBYFLOAT results', () => {
    for (const [a, b, want] of FLOAT_CASES) assert.equal(incrByFloat(a, b), want, `${a} + ${b}`);
  });
  it('parses as strtold/string2ld', () => {
    for (const bad of ['', ' 1', '1 ', 'nan', '1e', '.', 'e1', '0x', '1e5000', '1e-5000', '1,5', '--1']) {
      assert.equal(parseLongDouble(bad), null, JSON.stringify(bad));
    }
    for (const inf of ['inf', '-INF', 'Infinity', '+infinity']) assert.equal(parseLongDouble(inf), 'inf');
    // A NUL inside the number: strtold stops there, string2ld sees a short parse (invalid).
    assert.equal(parseLongDouble('1\0garbage'), null);
    assert.equal(parseLongDouble('1\x002'), null);
    assert.equal(incrByFloat('1.18e4932', '1.18e4932'), 'inf');
  });
});

describe('propagation and notifications', () => {
  let peer: Peer & { running: { server: KeydraServer } };
  let c: RawClient;
  const props: string[][] = [];
  const events: string[] = [];
  before(async () => {
    peer = await startKeydra();
    const server = peer.running.server;
    server.addPropagationListener((_db, argv) => props.push(argv));
    const orig = server.notifyKeyspaceEvent.bind(server);
    server.notifyKeyspaceEvent = (type, event, key, dbId) => {
      events.push(`${type}:${event}:${key}`);
      orig(type, event, key, dbId);
    };
    c = await RawClient.connect(peer.port);
  });
  after(async () => {
    c.close();
    await peer.close();
  });

  /** Runs a command and returns what it propagated and notified. */
  async function run(...argv: string[]): Promise<{ prop: string[][]; ev: string[] }> {
    props.length = 0;
    events.length = 0;
    await c.send(...argv);
    return { prop: props.filter((p) => p[0] !== 'SELECT'), ev: [...events] };
  }

  it('SET variants', async () => {
    assert.deepEqual((await run('SET', 'k', 'v')).prop, [['SET', 'k', 'v']]);
    const ex = await run('SET', 'k', 'v', 'EX', '100');
    assert.equal(ex.prop.length, 1);
    assert.deepEqual(ex.prop[0].slice(0, 4), ['SET', 'k', 'v', 'PXAT']);
    const when = Number(ex.prop[0][4]);
    assert.ok(when > Date.now() + 99000 && when <= Date.now() + 100000);
    assert.deepEqual(ex.ev, ['$:set:k', 'g:expire:k']);
    assert.deepEqual((await run('SET', 'k', 'v', 'PXAT', '4102444800000', 'GET')).prop, [['SET', 'k', 'v', 'PXAT', '4102444800000']]);
    assert.deepEqual((await run('SET', 'k', 'w', 'GET', 'KEEPTTL', 'get')).prop, [['SET', 'k', 'w', 'KEEPTTL']]);
    assert.deepEqual((await run('SET', 'k', 'w', 'NX')).prop, []);
    assert.deepEqual((await run('SETEX', 'k', '10', 'x')).prop[0].slice(0, 4), ['SET', 'k', 'x', 'PXAT']);
    assert.deepEqual((await run('PSETEX', 'k', '100000', 'x')).prop[0].slice(0, 4), ['SET', 'k', 'x', 'PXAT']);
    assert.deepEqual((await run('SETNX', 'k', 'y')).prop, []);
    assert.deepEqual((await run('GETSET', 'k', 'z')).prop, [['SET', 'k', 'z']]);
    assert.deepEqual((await run('MSET', 'a', '1', 'b', '2')).ev, ['$:set:a', '$:set:b']);
  });

  it('GETEX, GETDEL, INCRBYFLOAT, counters', async () => {
    await run('SET', 'g', 'v');
    assert.deepEqual((await run('GETEX', 'g')).prop, []);
    assert.deepEqual((await run('GETEX', 'g', 'PXAT', '4102444800000')).prop, [['PEXPIREAT', 'g', '4102444800000']]);
    assert.deepEqual((await run('GETEX', 'g', 'EXAT', '4102444800')).prop, [['PEXPIREAT', 'g', '4102444800000']]);
    const p = await run('GETEX', 'g', 'PERSIST');
    assert.deepEqual(p.prop, [['PERSIST', 'g']]);
    assert.deepEqual(p.ev, ['g:persist:g']);
    assert.deepEqual((await run('GETEX', 'g', 'PERSIST')).prop, []);
    const del = await run('GETEX', 'g', 'EXAT', '1');
    assert.deepEqual(del.prop, [['DEL', 'g']]);
    assert.deepEqual(del.ev, ['g:del:g']);
    await run('SET', 'g', 'v');
    assert.deepEqual((await run('GETDEL', 'g')).prop, [['DEL', 'g']]);
    assert.deepEqual((await run('GETDEL', 'g')).prop, []);
    const f = await run('INCRBYFLOAT', 'f', '10.5');
    assert.deepEqual(f.prop, [['SET', 'f', '10.5', 'KEEPTTL']]);
    assert.deepEqual(f.ev, ['$:incrbyfloat:f']);
    assert.deepEqual((await run('INCR', 'n')).ev, ['$:incrby:n']);
    assert.deepEqual((await run('INCRBY', 'n', '5')).prop, [['INCRBY', 'n', '5']]);
    assert.deepEqual((await run('APPEND', 'n', '0')).ev, ['$:append:n']);
    assert.deepEqual((await run('SETRANGE', 'n', '0', '9')).ev, ['$:setrange:n']);
    assert.deepEqual((await run('SETRANGE', 'n', '0', '')).prop, []);
  });
});
