/**
 * The cluster bus message layout (src/cluster/bus/message.ts) at cluster.h's byte offsets, gossip
 * and ping extensions read back, length checks; nodes.conf lines written and parsed back
 * (src/cluster/nodesConf.ts), including open slots, hostnames and the vars line.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  GOSSIP_LEN,
  HDR_LEN,
  MFLAG0_EXT_DATA,
  MsgType,
  buildMessage,
  expectedLength,
  extString,
  hostnameExtSize,
  readGossip,
  readHeader,
  readPingExts,
  setPingCounts,
  writeGossip,
  writeHostnameExt,
} from '../../../src/cluster/bus/message.js';
import { ClusterNode, NodeFlag } from '../../../src/cluster/node.js';
import { ClusterState } from '../../../src/cluster/state.js';
import { NodesConfError, describeNodes, loadNodesConf, saveNodesConf } from '../../../src/cluster/nodesConf.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('cluster bus message format', () => {
  it('writes the header fields at cluster.h offsets, big-endian', () => {
    const slots = new Uint8Array(2048);
    slots[0] = 0b101;
    const m = buildMessage(
      MsgType.Ping,
      {
        currentEpoch: 7n,
        configEpoch: 3n,
        offset: 1234n,
        sender: A,
        myslots: slots,
        slaveof: B,
        myip: '10.0.0.1',
        port: 7000,
        pport: 0,
        cport: 17000,
        flags: NodeFlag.Replica | NodeFlag.Myself,
        state: 1,
        mflags0: 0,
      },
      HDR_LEN,
    );
    assert.equal(m.length, 2256);
    assert.equal(m.toString('latin1', 0, 4), 'RCmb');
    assert.equal(m.readUInt32BE(4), 2256);
    assert.equal(m.readUInt16BE(8), 1);
    assert.equal(m.readUInt16BE(10), 7000);
    assert.equal(m.readUInt16BE(12), MsgType.Ping);
    assert.equal(m.readBigUInt64BE(16), 7n);
    assert.equal(m.readBigUInt64BE(24), 3n);
    assert.equal(m.readBigUInt64BE(32), 1234n);
    assert.equal(m.toString('latin1', 40, 80), A);
    assert.equal(m[80], 0b101);
    assert.equal(m.toString('latin1', 2128, 2168), B);
    assert.equal(m.toString('latin1', 2168, 2176), '10.0.0.1');
    assert.equal(m[2176], 0);
    assert.equal(m.readUInt16BE(2248), 17000);
    assert.equal(m.readUInt16BE(2250), 18);
    assert.equal(m[2252], 1);
    const h = readHeader(m);
    assert.equal(h.sender, A);
    assert.equal(h.slaveof, B);
    assert.equal(h.myip, '10.0.0.1');
    assert.equal(h.cport, 17000);
    assert.equal(h.currentEpoch, 7n);
    assert.equal(expectedLength(m, h), HDR_LEN);
  });

  it('gossip entries are 104 bytes and the hostname extension is 8-byte aligned and NUL-terminated', () => {
    const host = 'node-1.example';
    const ext = hostnameExtSize(host);
    assert.equal(ext, 8 + 16);
    assert.equal(hostnameExtSize(''), 0);
    const total = HDR_LEN + 2 * GOSSIP_LEN + ext;
    const zero = new Uint8Array(2048);
    const m = buildMessage(
      MsgType.Pong,
      {
        currentEpoch: 0n,
        configEpoch: 0n,
        offset: 0n,
        sender: A,
        myslots: zero,
        slaveof: null,
        myip: '',
        port: 1,
        pport: 0,
        cport: 2,
        flags: 1,
        state: 0,
        mflags0: 0,
      },
      total,
    );
    writeGossip(m, 0, { name: A, pingSent: 5, pongReceived: 6, ip: '127.0.0.1', port: 30001, cport: 40001, flags: 1, pport: 0 });
    writeGossip(m, 1, { name: B, pingSent: 0, pongReceived: 0, ip: '::1', port: 30002, cport: 40002, flags: 2 | 4, pport: 9 });
    writeHostnameExt(m, HDR_LEN + 2 * GOSSIP_LEN, host);
    setPingCounts(m, 2, 1);
    const h = readHeader(m);
    assert.equal(h.count, 2);
    assert.equal(h.extensions, 1);
    assert.equal(h.mflags0 & MFLAG0_EXT_DATA, MFLAG0_EXT_DATA);
    assert.equal(h.slaveof, null);
    assert.equal(expectedLength(m, h), total);
    assert.deepEqual(readGossip(m, 1), { name: B, pingSent: 0, pongReceived: 0, ip: '::1', port: 30002, cport: 40002, flags: 6, pport: 9 });
    assert.equal(m.readUInt16BE(HDR_LEN + 94), 30001); // gossip port offset
    const exts = readPingExts(m, h);
    assert.equal(exts.length, 1);
    assert.equal(exts[0].type, 0);
    assert.equal(extString(exts[0].data), host);
    // A bad extension length (not a multiple of 8) makes the packet invalid.
    m.writeUInt32BE(13, HDR_LEN + 2 * GOSSIP_LEN);
    assert.equal(expectedLength(m, readHeader(m)), -1);
  });
});

describe('nodes.conf', () => {
  it('is written as CLUSTER NODES lines plus vars, and parsed back', () => {
    const me = new ClusterNode(A, NodeFlag.Myself | NodeFlag.Primary);
    me.ip = '127.0.0.1';
    me.port = 7000;
    me.cport = 17000;
    me.configEpoch = 4n;
    const st = new ClusterState(me);
    const other = new ClusterNode(B, NodeFlag.Replica);
    other.ip = '127.0.0.1';
    other.port = 7001;
    other.cport = 17001;
    other.hostname = 'replica.example';
    other.replicaOf = me;
    me.replicas.push(other);
    st.nodes.set(B, other);
    for (const s of [0, 1, 2, 5, 16383]) {
      st.slots[s] = me;
      me.slots[s >> 3] |= 1 << (s & 7);
      me.numSlots++;
    }
    st.migratingSlotsTo[5] = other;
    st.importingSlotsFrom[9] = other;
    st.currentEpoch = 9n;
    st.lastVoteEpoch = 8n;
    const text = `${describeNodes(st)}vars currentEpoch 9 lastVoteEpoch 8\n`;
    assert.equal(
      text,
      `${A} 127.0.0.1:7000@17000 myself,master - 0 0 4 connected 0-2 5 16383 [5->-${B}] [9-<-${B}]\n` +
        `${B} 127.0.0.1:7001@17001,replica.example slave ${A} 0 0 4 disconnected\n` +
        'vars currentEpoch 9 lastVoteEpoch 8\n',
    );
    const dir = mkdtempSync(join(tmpdir(), 'keydra-nodesconf-'));
    try {
      const path = join(dir, 'nodes.conf');
      saveNodesConf(path, text, true);
      assert.equal(readFileSync(path, 'latin1'), text);
      const l = loadNodesConf(path);
      assert.ok(l !== null);
      assert.equal(l.myself.name, A);
      assert.equal(l.currentEpoch, 9n);
      assert.equal(l.lastVoteEpoch, 8n);
      assert.deepEqual(
        l.slots.map(([s]) => s),
        [0, 1, 2, 5, 16383],
      );
      assert.deepEqual(
        l.migrating.map(([s, n]) => [s, n.name]),
        [[5, B]],
      );
      assert.deepEqual(
        l.importing.map(([s, n]) => [s, n.name]),
        [[9, B]],
      );
      const rep = l.nodes.find((n) => n.name === B);
      assert.equal(rep?.hostname, 'replica.example');
      assert.equal(rep?.replicaOf?.name, A);
      assert.equal(rep?.configEpoch, 0n);
      assert.equal(loadNodesConf(join(dir, 'missing.conf')), null);
      writeFileSync(path, `${A} 127.0.0.1:7000@17000 myself,bogus - 0 0 4 connected\n`);
      assert.throws(() => loadNodesConf(path), NodesConfError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
