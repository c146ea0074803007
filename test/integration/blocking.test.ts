/**
 * Blocking list commands over real connections to an in-process Keydra: FIFO serving, timeouts
 * (nil array), disconnect while blocked, one push waking several waiters, BLMOVE chains, and the
 * propagated form of served commands (LPOP/LMOVE, as Redis 7.0).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../../src/client/rawClient.js';
import { type Peer, startKeydra } from '../helpers/servers.js';
import type { RunningServer } from '../../src/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the server reports `n` blocked clients (bounded, so a failure cannot hang). */
async function waitBlocked(srv: RunningServer, n: number): Promise<void> {
  for (let i = 0; i < 500 && srv.server.blockedClients !== n; i++) await sleep(5);
  assert.equal(srv.server.blockedClients, n);
}

const raw = (r: { raw: Buffer }) => r.raw.toString('latin1');

describe('blocking list commands', () => {
  let peer: Peer & { running: RunningServer };
  const clients: RawClient[] = [];
  const connect = async () => {
    const c = await RawClient.connect(peer.port);
    clients.push(c);
    return c;
  };
  const propagated: string[] = [];
  before(async () => {
    peer = await startKeydra();
    peer.running.server.addPropagationListener((_db, argv) => propagated.push(argv.join(' ')));
  });
  after(async () => {
    for (const c of clients) c.close();
    await peer.close();
  });

  it('serves waiters first blocked, first served; one push wakes several', async () => {
    const [a, b, c, p] = [await connect(), await connect(), await connect(), await connect()];
    const ra = a.send('BLPOP', 'q1', '0');
    await waitBlocked(peer.running, 1);
    const rb = b.send('BLPOP', 'q1', '0');
    await waitBlocked(peer.running, 2);
    const rc = c.send('BRPOP', 'q1', 'other', '0');
    await waitBlocked(peer.running, 3);
    propagated.length = 0;
    assert.equal(raw(await p.send('RPUSH', 'q1', 'x', 'y')), ':2\r\n');
    assert.equal(raw(await ra), '*2\r\n$2\r\nq1\r\n$1\r\nx\r\n');
    assert.equal(raw(await rb), '*2\r\n$2\r\nq1\r\n$1\r\ny\r\n');
    assert.equal(peer.running.server.blockedClients, 1);
    assert.deepEqual(propagated, ['RPUSH q1 x y', 'LPOP q1', 'LPOP q1']);
    assert.equal(raw(await p.send('EXISTS', 'q1')), ':0\r\n');
    await p.send('LPUSH', 'other', 'z');
    assert.equal(raw(await rc), '*2\r\n$5\r\nother\r\n$1\r\nz\r\n');
    assert.equal(peer.running.server.blockedClients, 0);
  });

  it('times out with a nil array, honouring decimals', async () => {
    const a = await connect();
    const t0 = Date.now();
    assert.equal(raw(await a.send('BLPOP', 'q2', '0.15')), '*-1\r\n');
    assert.ok(Date.now() - t0 >= 140, 'waited the timeout');
    assert.equal(raw(await a.send('BLMOVE', 'q2', 'q3', 'LEFT', 'RIGHT', '0.05')), '*-1\r\n');
    assert.equal(raw(await a.send('BLMPOP', '0.05', '1', 'q2', 'LEFT')), '*-1\r\n');
    await a.send('HELLO', '3');
    assert.equal(raw(await a.send('BRPOP', 'q2', '0.01')), '_\r\n');
    await a.send('HELLO', '2');
    // The connection keeps working after a timeout.
    assert.equal(raw(await a.send('LLEN', 'q2')), ':0\r\n');
  });

  it('forgets a client that disconnects while blocked', async () => {
    const a = await connect();
    const p = await connect();
    void a.send('BLPOP', 'q4', '0').catch(() => {});
    await waitBlocked(peer.running, 1);
    a.close();
    await waitBlocked(peer.running, 0);
    assert.equal(raw(await p.send('RPUSH', 'q4', 'v')), ':1\r\n');
    assert.equal(raw(await p.send('LLEN', 'q4')), ':1\r\n');
    await p.send('DEL', 'q4');
  });

  it('BLMOVE chains: a served move wakes the next waiter', async () => {
    const [a, b, c, p] = [await connect(), await connect(), await connect(), await connect()];
    const ra = a.send('BLMOVE', 'c1', 'c2', 'LEFT', 'RIGHT', '0');
    await waitBlocked(peer.running, 1);
    const rb = b.send('BRPOPLPUSH', 'c2', 'c3', '0');
    await waitBlocked(peer.running, 2);
    const rc = c.send('BLMPOP', '0', '2', 'none', 'c3', 'RIGHT', 'COUNT', '5');
    await waitBlocked(peer.running, 3);
    propagated.length = 0;
    await p.send('LPUSH', 'c1', 'v');
    assert.equal(raw(await ra), '$1\r\nv\r\n');
    assert.equal(raw(await rb), '$1\r\nv\r\n');
    assert.equal(raw(await rc), '*2\r\n$2\r\nc3\r\n*1\r\n$1\r\nv\r\n');
    assert.deepEqual(propagated, ['LPUSH c1 v', 'LMOVE c1 c2 LEFT RIGHT', 'RPOPLPUSH c2 c3', 'RPOP c3 1']);
    for (const k of ['c1', 'c2', 'c3']) assert.equal(raw(await p.send('EXISTS', k)), ':0\r\n');
  });

  it('a blocked client is served by a push into the same db only', async () => {
    const [a, p] = [await connect(), await connect()];
    await a.send('SELECT', '1');
    const ra = a.send('BLPOP', 'd', '0');
    await waitBlocked(peer.running, 1);
    await p.send('RPUSH', 'd', 'db0');
    await sleep(20);
    assert.equal(peer.running.server.blockedClients, 1);
    await p.send('SELECT', '1');
    await p.send('RPUSH', 'd', 'db1');
    assert.equal(raw(await ra), '*2\r\n$1\r\nd\r\n$3\r\ndb1\r\n');
    await p.send('DEL', 'd');
    await p.send('SELECT', '0');
    await p.send('DEL', 'd');
  });

  it('a list created by another command (RENAME, COPY) wakes waiters', async () => {
    const [a, b, p] = [await connect(), await connect(), await connect()];
    await p.send('RPUSH', 'tmp', 'r1', 'r2');
    const ra = a.send('BLPOP', 'renamed', '0');
    await waitBlocked(peer.running, 1);
    await p.send('RENAME', 'tmp', 'renamed');
    assert.equal(raw(await ra), '*2\r\n$7\r\nrenamed\r\n$2\r\nr1\r\n');
    const rb = b.send('BRPOP', 'copied', '0');
    await waitBlocked(peer.running, 1);
    await p.send('COPY', 'renamed', 'copied');
    assert.equal(raw(await rb), '*2\r\n$6\r\ncopied\r\n$2\r\nr2\r\n');
    await p.send('DEL', 'renamed', 'copied');
  });

  it('immediate blocking pops propagate as their non-blocking forms', async () => {
    const p = await connect();
    await p.send('RPUSH', 'im', '1', '2', '3', '4', '5');
    propagated.length = 0;
    await p.send('BLPOP', 'none', 'im', '0');
    await p.send('BRPOP', 'im', '5');
    await p.send('BLMPOP', '0', '1', 'im', 'LEFT', 'COUNT', '10');
    await p.send('RPUSH', 'im', 'a', 'b');
    await p.send('LMPOP', '1', 'im', 'RIGHT');
    await p.send('BLMOVE', 'im', 'im2', 'LEFT', 'RIGHT', '0');
    await p.send('RPUSH', 'im', 'c');
    await p.send('BRPOPLPUSH', 'im', 'im2', '0');
    assert.deepEqual(propagated, [
      'LPOP im',
      'RPOP im',
      'LPOP im 3',
      'RPUSH im a b',
      'RPOP im 1',
      'LMOVE im im2 LEFT RIGHT',
      'RPUSH im c',
      'RPOPLPUSH im im2',
    ]);
    await p.send('DEL', 'im2');
  });

  it('pipelined commands after a blocking one wait for it', async () => {
    const [a, p] = [await connect(), await connect()];
    const replies = a.pipeline([
      ['BLPOP', 'pp', '0'],
      ['LLEN', 'pp'],
    ]);
    await waitBlocked(peer.running, 1);
    await p.send('RPUSH', 'pp', '1', '2');
    const [r1, r2] = await replies;
    assert.equal(raw(r1), '*2\r\n$2\r\npp\r\n$1\r\n1\r\n');
    assert.equal(raw(r2), ':1\r\n');
    await p.send('DEL', 'pp');
  });

  it('a wrong-type destination answers WRONGTYPE to the served BLMOVE', async () => {
    const [a, p] = [await connect(), await connect()];
    await p.send('SET', 'wt', 'str');
    const ra = a.send('BLMOVE', 'ws', 'wt', 'LEFT', 'LEFT', '0');
    await waitBlocked(peer.running, 1);
    await p.send('RPUSH', 'ws', 'x');
    assert.match(raw(await ra), /^-WRONGTYPE/);
    assert.equal(raw(await p.send('LLEN', 'ws')), ':1\r\n');
    await p.send('DEL', 'ws', 'wt');
  });
});
