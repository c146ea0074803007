/**
 * RDB codec for streams (src/persistence/rdb/stream.ts): round trips through DUMP payloads, the
 * node layout (split rule, tombstones, 64-bit edge IDs), the redis-server 7.0 fixture
 * (test/fixtures/redis7-streams.rdb, made by scripts/gen-stream-fixture.sh) loaded and saved back
 * byte for byte, Redis 5/6 type-15 payloads, and corrupt input (always RdbError, never a crash).
 * Expected values about the fixture were read from redis-server 7.0.15 loading the same file
 * (XINFO STREAM ... FULL, XPENDING); the integration test compares them live.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Crc64 } from '../../../src/persistence/rdb/crc64.js';
import { decodeListpack, encodeListpack } from '../../../src/persistence/rdb/listpack.js';
import { decodeRdb, dumpPayload, encodeRdb, RdbError, RdbWriter, restorePayload } from '../../../src/persistence/rdb/rdb.js';
import { _internal, encodeRawId } from '../../../src/persistence/rdb/stream.js';
import '../../../src/persistence/rdb/types.js';
import '../../../src/persistence/rdb/stream.js';
import { Keyspace, type KeyspaceHooks, ObjType, RObject } from '../../../src/store/db.js';
import { Stream, type StreamId } from '../../../src/store/stream.js';
import { rng as seeded } from '../../helpers/random.js';

/** Integers in [lo, hi] from a seeded PRNG. */
function makeRng(seed: number) {
  const r = seeded(seed);
  return { int: (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1)) };
}

const hooks = new Proxy({}, { get: () => () => {} }) as KeyspaceHooks;
const FIXTURE = join(process.cwd(), 'test', 'fixtures', 'redis7-streams.rdb');

const id = (s: string): StreamId => {
  const [ms, seq] = s.split('-');
  return { ms: BigInt(ms), seq: BigInt(seq) };
};
const ids = (x: StreamId) => `${x.ms}-${x.seq}`;

/** Everything observable about a stream, for deep comparisons. */
function snap(s: Stream) {
  return {
    length: s.length,
    lastId: ids(s.lastId),
    firstId: ids(s.firstId()),
    maxDeletedId: ids(s.maxDeletedId),
    entriesAdded: s.entriesAdded,
    nodes: s.nodeCount,
    entries: [...s.entries()].map(([i, f]) => [ids(i), ...f]),
    groups: [...s.groups]
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([name, g]) => ({
        name,
        lastId: ids(g.lastId),
        entriesRead: g.entriesRead,
        pel: [...g.pelEntries()].map((n) => [ids(n.id), n.deliveryTime, n.deliveryCount, n.consumer?.name]),
        consumers: [...g.consumers]
          .sort((a, b) => (a[0] < b[0] ? -1 : 1))
          .map(([cn, c]) => [cn, c.seenTime, [...c.pelEntries()].map((n) => ids(n.id))]),
      })),
  };
}

/** A stream with several nodes, tombstones, groups, consumers and pending entries. */
function sample(): Stream {
  const s = new Stream();
  for (let i = 1; i <= 230; i++) {
    const f = i % 3 === 0 ? ['other', String(-i), 'bin', '\x00\xff\r\n'] : ['name', `user${i}`, 'n', String(i * 1000)];
    s.add(id(`1700000000000-${i}`), f);
  }
  for (const i of [2, 3, 150, 229]) assert.ok(s.delete(id(`1700000000000-${i}`)));
  s.maxDeletedId = id('1700000000000-229');
  const g = s.addGroup('workers', id('1700000000000-40'), 40);
  const alice = g.addConsumer('alice', 1700000001000);
  const bob = g.addConsumer('bob', 1700000002000);
  g.addConsumer('idle', 1700000003000);
  for (let i = 10; i < 40; i++) {
    const n = g.pelAdd(id(`1700000000000-${i}`), 1700000000500 + i, (i % 4) + 1);
    (i % 2 === 0 ? alice : bob).pelAttach(n);
  }
  s.addGroup('audit', id('0-0'), 0);
  s.addGroup('lost', id('1700000000000-100'), -1);
  return s;
}

const roundTrip = (s: Stream): Stream => {
  const o = restorePayload(Buffer.from(dumpPayload(new RObject(ObjType.Stream, s)), 'latin1'));
  assert.equal(o.type, ObjType.Stream);
  return o.value as Stream;
};

/** A DUMP payload (type byte + body + version + CRC) around raw body bytes. */
function payload(type: number, body: Buffer): Buffer {
  const head = Buffer.concat([Buffer.from([type]), body, Buffer.from([10, 0])]);
  return Buffer.concat([head, new Crc64().update(head, 0, head.length).bytesLE()]);
}

describe('stream RDB codec', () => {
  it('round-trips entries, tombstones, metadata, groups, consumers and PELs', () => {
    const s = sample();
    const back = roundTrip(s);
    assert.deepEqual(snap(back), snap(s));
    // A second save of the loaded stream is byte-identical (node layout and tombstones kept).
    assert.equal(dumpPayload(new RObject(ObjType.Stream, back)), dumpPayload(new RObject(ObjType.Stream, s)));
  });

  it('writes nodes of at most 100 entries, master entry first, tombstones flagged', () => {
    const s = sample();
    const nodes = _internal.buildNodes(s);
    assert.equal(nodes.length, s.nodeCount);
    let live = 0;
    let dead = 0;
    for (const [master, lp] of nodes) {
      const items = decodeListpack(Buffer.from(lp, 'latin1'));
      const count = Number(items[0]);
      const deleted = Number(items[1]);
      assert.ok(count + deleted <= 100, `node has ${count + deleted} entries`);
      live += count;
      dead += deleted;
      const nf = Number(items[2]);
      assert.equal(items[3 + nf], '0', 'master entry terminator');
      // The first entry's ID is the node key (ms-diff and seq-diff 0).
      assert.deepEqual([items[5 + nf], items[6 + nf]], ['0', '0']);
      assert.ok(master.ms === 1700000000000n);
    }
    assert.equal(live, s.length);
    assert.equal(dead, 4);
  });

  it('cuts nodes at 4096 listpack bytes as streamAppendItem does', () => {
    const s = new Stream();
    for (let i = 1; i <= 30; i++) s.add(id(`5-${i}`), ['f', 'x'.repeat(500)]);
    const nodes = _internal.buildNodes(s);
    assert.ok(nodes.length >= 4, `${nodes.length} nodes`);
    for (const [, lp] of nodes) assert.ok(lp.length < 4096 + 600, `node of ${lp.length} bytes`);
    assert.deepEqual(snap(roundTrip(s)), snap(s));
  });

  it('handles 64-bit edge IDs (wrapping ms/seq deltas) and big counters', () => {
    const s = new Stream();
    for (const x of [
      '0-1',
      '1-18446744073709551615',
      '9223372036854775808-0',
      '18446744073709551615-18446744073709551614',
      '18446744073709551615-18446744073709551615',
    ])
      s.add(id(x), ['f', x]);
    s.maxDeletedId = id('18446744073709551615-0');
    const g = s.addGroup('g', id('18446744073709551615-18446744073709551615'), 5);
    g.addConsumer('c', 0).pelAttach(g.pelAdd(id('18446744073709551615-18446744073709551614'), 1, 2 ** 40));
    const back = roundTrip(s);
    assert.deepEqual(snap(back), snap(s));
    assert.equal(back.nodeCount, 1);
  });

  it('a loaded stream (nodes built from the listpacks) takes appends, deletes and saves byte-identically', () => {
    const s = new Stream();
    const values = [
      '-0',
      '007',
      '-1',
      '0',
      '123456789012345',
      '1234567890123456',
      '-9223372036854775808',
      '9223372036854775808',
      'x'.repeat(40),
      '',
      '\x00\xff',
    ];
    for (let i = 1; i <= 150; i++)
      s.add(id(`1700000000000-${i}`), i % 5 === 0 ? ['odd', values[i % values.length]] : ['v', values[i % values.length]]);
    const back = roundTrip(s);
    assert.deepEqual(snap(back), snap(s));
    assert.equal(dumpPayload(new RObject(ObjType.Stream, back)), dumpPayload(new RObject(ObjType.Stream, s)));
    for (const x of [s, back]) {
      for (let i = 151; i <= 260; i++) x.add(id(`1700000000001-${i}`), ['v', values[i % values.length]]);
      x.delete(id('1700000000000-7'));
      x.delete(id('1700000000001-200'));
    }
    assert.deepEqual(snap(back), snap(s));
    assert.equal(dumpPayload(new RObject(ObjType.Stream, back)), dumpPayload(new RObject(ObjType.Stream, s)));
  });

  it('round-trips empty streams with and without groups', () => {
    const s = new Stream();
    s.add(id('5-1'), ['a', '1']);
    s.delete(id('5-1'));
    s.maxDeletedId = id('5-1');
    assert.deepEqual(snap(roundTrip(s)), snap(s));
    s.addGroup('eg', id('5-1'), -1).addConsumer('lonely', 123);
    const back = roundTrip(s);
    assert.deepEqual(snap(back), snap(s));
    assert.equal(back.length, 0);
    assert.equal(ids(back.firstId()), '0-0');
  });

  it('random streams round-trip', () => {
    const rng = makeRng(7);
    for (let round = 0; round < 20; round++) {
      const s = new Stream();
      let ms = BigInt(rng.int(0, 1000));
      const fieldSets = [['a'], ['a', 'b'], ['x', 'y', 'z'], ['a']];
      const n = rng.int(1, 400);
      const added: StreamId[] = [];
      for (let i = 0; i < n; i++) {
        ms += BigInt(rng.int(0, 3));
        const next = { ms, seq: BigInt(i) };
        const names = fieldSets[rng.int(0, fieldSets.length - 1)];
        const f: string[] = [];
        for (const nm of names) f.push(nm, rng.int(0, 4) === 0 ? 'v'.repeat(rng.int(0, 300)) : String(rng.int(-1e6, 1e6)));
        s.add(next, f);
        added.push(next);
      }
      for (const a of added) if (rng.int(0, 5) === 0) s.delete(a);
      assert.deepEqual(snap(roundTrip(s)), snap(s), `round ${round}`);
    }
  });
});

describe('redis-server 7.0 stream fixture', () => {
  const load = () => {
    const ks = new Keyspace(16, hooks);
    const info = decodeRdb(fs.readFileSync(FIXTURE), ks);
    const get = (k: string, db = 0) => {
      const o = ks.dbs[db].table.get(k);
      assert.ok(o && o.type === ObjType.Stream, k);
      return o.value as Stream;
    };
    return { ks, info, get };
  };

  it('loads every stream with the metadata redis-server reports for the same file', () => {
    const { info, get } = load();
    assert.equal(info.keys, 8);
    const big = get('s:big');
    assert.equal(big.length, 250);
    assert.equal(big.nodeCount, 4); // XINFO radix-tree-keys 4
    assert.equal(ids(big.lastId), '1000-260');
    assert.equal(ids(big.maxDeletedId), '1000-202');
    assert.equal(big.entriesAdded, 260);
    assert.equal(ids(big.firstId()), '1000-1');
    const g1 = big.groups.get('g1');
    assert.ok(g1);
    assert.deepEqual([...g1.consumers.keys()].sort(), ['alice', 'bob', 'idle-consumer']);
    const empty = get('s:empty');
    assert.equal(empty.length, 0);
    assert.equal(ids(empty.lastId), '5-2');
    assert.equal(empty.groups.get('eg')?.entriesRead, -1);
    const edge = get('s:edge');
    assert.deepEqual(
      [...edge.entries()].map(([i]) => ids(i)),
      [
        '0-1',
        '1-18446744073709551615',
        '9223372036854775808-0',
        '18446744073709551615-18446744073709551614',
        '18446744073709551615-18446744073709551615',
      ],
    );
    assert.equal(edge.groups.get('ge')?.entriesRead, 2);
    const setid = get('s:setid');
    assert.equal(setid.entriesAdded, 100);
    assert.equal(ids(setid.maxDeletedId), '15-0');
    assert.equal(ids(setid.lastId), '40-0');
    assert.equal(setid.groups.get('late')?.entriesRead, 7);
    assert.equal(get('s:frag').groups.get('gf')?.entriesRead, -1);
    assert.equal(get('s:db3', 3).length, 1);
  });

  it('saves the loaded keyspace back byte-identically (everything after the AUX fields)', () => {
    const { ks } = load();
    const orig = fs.readFileSync(FIXTURE);
    const mine = encodeRdb(ks);
    const body = (b: Buffer) => {
      const at = b.indexOf(Buffer.from([0xfe, 0x00, 0xfb]));
      return b.subarray(at, b.length - 8);
    };
    assert.ok(body(mine).equals(body(orig)), 'RDB body differs from redis-server');
  });
});

describe('Redis 5/6 type-15 streams', () => {
  it('loads without first-id/max-deleted/entries-added/entries-read and derives them as Redis does', () => {
    const s = new Stream();
    for (let i = 1; i <= 5; i++) s.add(id(`10-${i}`), ['k', String(i)]);
    const w = new RdbWriter();
    const nodes = _internal.buildNodes(s);
    w.len(nodes.length);
    for (const [m, lp] of nodes) {
      w.string(encodeRawId(m));
      w.string(lp);
    }
    w.len(5);
    w.len(10);
    w.len(5); // last id 10-5
    w.len(2); // groups (no entries-read in type 15)
    for (const [name, last] of [
      ['at-first', [10, 1]],
      ['at-last', [10, 5]],
    ] as const) {
      w.string(name);
      w.len(last[0]);
      w.len(last[1]);
      w.len(0); // PEL
      w.len(0); // consumers
    }
    const o = restorePayload(payload(15, Buffer.from(w.result())));
    const back = o.value as Stream;
    assert.equal(back.entriesAdded, 5);
    assert.equal(ids(back.maxDeletedId), '0-0');
    assert.equal(back.groups.get('at-first')?.entriesRead, 1);
    assert.equal(back.groups.get('at-last')?.entriesRead, 5);
  });
});

describe('corrupt stream payloads', () => {
  const good = Buffer.from(dumpPayload(new RObject(ObjType.Stream, sample())), 'latin1');
  const body = good.subarray(1, good.length - 10);

  /** Loads a modified body: must throw RdbError (or load a complete, valid stream). */
  const expectRdbError = (b: Buffer, what: string, re?: RegExp) => {
    assert.throws(
      () => restorePayload(payload(19, b)),
      (e: unknown) => e instanceof RdbError && (re === undefined || re.test(e.message)),
      what,
    );
  };

  it('rejects every truncation with RdbError', () => {
    for (let n = 0; n < body.length; n += n < 200 ? 1 : 7) expectRdbError(body.subarray(0, n), `truncated at ${n}`);
  });

  it('never crashes on flipped bytes: RdbError or a complete stream', () => {
    const rng = makeRng(11);
    for (let i = 0; i < 400; i++) {
      const b = Buffer.from(body);
      const at = rng.int(0, b.length - 1);
      b[at] ^= 1 << rng.int(0, 7);
      try {
        const o = restorePayload(payload(19, b));
        const s = o.value as Stream;
        assert.equal([...s.entries()].length, s.length);
      } catch (e) {
        assert.ok(e instanceof RdbError, `flip at ${at}: ${(e as Error).stack}`);
      }
    }
  });

  /** Builds a body by hand from parts, to corrupt one thing at a time. */
  function hand(opts: {
    dupEntry?: boolean;
    missingNack?: boolean;
    dupPel?: boolean;
    dupGroup?: boolean;
    length?: number;
    badLp?: boolean;
  }) {
    // Node 1-1: master entry (2 live, 0 deleted, 1 field "f", 0), then two SAMEFIELDS entries
    // (flags 2, ms-diff, seq-diff, value, lp-count 4).
    const items = ['2', '0', '1', 'f', '0', '2', '0', '0', 'a', '4', '2', '0', opts.dupEntry ? '0' : '1', 'b', '4'];
    let lp = encodeListpack(items);
    if (opts.badLp) lp = Buffer.concat([lp.subarray(0, lp.length - 1), Buffer.from([0xc0])]);
    const w = new RdbWriter();
    w.len(1);
    w.string(encodeRawId(id('1-1')));
    w.string(lp.toString('latin1'));
    w.len(opts.length ?? 2);
    for (const n of [1, 2, 1, 1, 0, 0, 2]) w.len(n); // last-id 1-2, first-id 1-1, max-deleted 0-0, entries-added 2
    const ngroups = opts.dupGroup ? 2 : 1;
    w.len(ngroups);
    for (let gi = 0; gi < ngroups; gi++) {
      w.string('g');
      for (const n of [1, 2, 2]) w.len(n); // last-id 1-2, entries-read 2
      const pel = opts.dupPel ? ['1-1', '1-1'] : ['1-1'];
      w.len(pel.length);
      for (const p of pel) {
        w.latin1(encodeRawId(id(p)));
        w.int64LE(1000);
        w.len(1);
      }
      w.len(1);
      w.string('c');
      w.int64LE(1000);
      w.len(1);
      w.latin1(encodeRawId(id(opts.missingNack ? '1-2' : '1-1')));
    }
    return Buffer.from(w.result());
  }

  it('accepts the hand-built reference payload', () => {
    const s = restorePayload(payload(19, hand({}))).value as Stream;
    assert.equal(s.length, 2);
    assert.equal(s.groups.get('g')?.consumers.get('c')?.pelSize, 1);
  });

  it('names what is wrong', () => {
    expectRdbError(hand({ dupEntry: true }), 'duplicate entry IDs', /out of order/);
    expectRdbError(hand({ missingNack: true }), 'consumer PEL entry missing from the group PEL', /not found in group global PEL/);
    expectRdbError(hand({ dupPel: true }), 'duplicate group PEL entry', /Duplicated global PEL entry/);
    expectRdbError(hand({ dupGroup: true }), 'duplicate group', /Duplicated consumer group name/);
    expectRdbError(hand({ length: 3 }), 'length mismatch', /does not match/);
    expectRdbError(hand({ badLp: true }), 'bad listpack', /listpack/);
  });

  it('a truncated stream inside an RDB file stops the load with RdbError', () => {
    const ks = new Keyspace(16, hooks);
    ks.dbs[0].add('s', new RObject(ObjType.Stream, sample()));
    const file = encodeRdb(ks);
    assert.throws(() => decodeRdb(file.subarray(0, file.length - 40), new Keyspace(16, hooks)), RdbError);
  });
});
