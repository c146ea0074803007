/**
 * Differential tests of the GEO* commands against redis-server 7.0: the documentation examples,
 * limits (±180 longitudes, ±85.05112878 latitudes, poles refused), every error, RESP3 coordinates,
 * STORE/STOREDIST/GEOSEARCHSTORE results, propagation (GEOADD → ZADD) and keyspace events, and
 * seeded random points with random GEOSEARCH/GEORADIUS queries compared byte for byte.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeAll, type RespNode } from '../../src/protocol/decoder.js';
import { type Cmd, Differential, useDifferential } from '../helpers/differential.js';
import { NO_REDIS } from '../helpers/servers.js';
import { rng } from '../helpers/random.js';

let d: Differential | null = null;
const same = useDifferential((x) => {
  d = x;
});

/** Switches both connections' protocol (HELLO replies carry client ids, so they are not compared). */
async function hello(proto: number): Promise<void> {
  const dd = d as Differential;
  await Promise.all([dd.r.send('HELLO', String(proto)), dd.k.send('HELLO', String(proto))]);
}

test('documentation examples (Sicily)', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await same(
    ['DEL', 'Sicily'],
    ['GEOADD', 'Sicily', '13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania'],
    ['GEODIST', 'Sicily', 'Palermo', 'Catania'],
    ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'km'],
    ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'MI'],
    ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'ft'],
    ['GEODIST', 'Sicily', 'Foo', 'Bar'],
    ['GEODIST', 'Sicily', 'Palermo', 'Palermo'],
    ['GEODIST', 'nokey', 'a', 'b'],
    ['GEORADIUS', 'Sicily', '15', '37', '100', 'km'],
    ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'WITHDIST'],
    ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'WITHCOORD'],
    ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'WITHDIST', 'WITHCOORD'],
    ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'WITHDIST', 'WITHCOORD', 'WITHHASH', 'DESC'],
    ['GEOADD', 'Sicily', '13.583333', '37.316667', 'Agrigento'],
    ['GEORADIUSBYMEMBER', 'Sicily', 'Agrigento', '100', 'km'],
    ['GEORADIUSBYMEMBER_RO', 'Sicily', 'Agrigento', '300', 'km', 'WITHDIST', 'ASC'],
    ['GEORADIUS_RO', 'Sicily', '15', '37', '200', 'km', 'WITHHASH', 'COUNT', '1'],
    ['GEOHASH', 'Sicily', 'Palermo', 'Catania', 'nope'],
    ['GEOPOS', 'Sicily', 'Palermo', 'Catania', 'NonExisting'],
    ['GEOADD', 'Sicily', '12.758489', '38.788135', 'edge1', '17.241510', '38.788135', 'edge2'],
    ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'ASC'],
    ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km', 'ASC', 'WITHCOORD', 'WITHDIST'],
    ['GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYBOX', '400', '400', 'km', 'DESC', 'WITHHASH'],
    ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'COUNT', '2', 'ANY'],
    ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'COUNT', '2'],
    ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km'],
    ['GEOSEARCHSTORE', 'dst', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km'],
    ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
    ['GEOSEARCHSTORE', 'dst', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km', 'STOREDIST', 'COUNT', '3'],
    ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
    ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE', 'dst2'],
    ['ZRANGE', 'dst2', '0', '-1', 'WITHSCORES'],
    ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STOREDIST', 'dst2', 'DESC', 'COUNT', '2'],
    ['ZRANGE', 'dst2', '0', '-1', 'WITHSCORES'],
    ['GEORADIUSBYMEMBER', 'Sicily', 'Palermo', '1', 'm', 'STORE', 'dst2'],
    ['ZRANGE', 'dst2', '0', '-1', 'WITHSCORES'],
    ['GEORADIUS', 'Sicily', '0', '0', '1', 'm', 'STORE', 'dst2'],
    ['EXISTS', 'dst2'],
    ['GEOSEARCHSTORE', 'dst', 'nokey', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km'],
    ['EXISTS', 'dst'],
    ['GEORADIUS', 'nokey', '15', '37', '200', 'km'],
    ['GEORADIUSBYMEMBER', 'nokey', 'x', 'abc', 'km'],
    ['GEOSEARCH', 'nokey', 'FROMMEMBER', 'x', 'BYRADIUS', '1', 'km'],
    ['OBJECT', 'ENCODING', 'Sicily'],
  );
  await hello(3);
  await same(
    ['GEOPOS', 'Sicily', 'Palermo', 'nope'],
    ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'WITHCOORD', 'WITHDIST', 'WITHHASH'],
    ['GEODIST', 'Sicily', 'Palermo', 'nope'],
    ['GEOHASH', 'Sicily', 'nope'],
  );
  await hello(2);
});

test('GEOADD options, limits and errors', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await same(
    ['DEL', 'g', 's'],
    ['GEOADD', 'g', '180', '85.05112878', 'ne', '-180', '-85.05112878', 'sw', '0', '0', 'origin'],
    ['GEOADD', 'g', '180', '0', 'e', '-180', '0', 'w', '0', '85.05112878', 'n', '0', '-85.05112878', 's'],
    ['ZRANGE', 'g', '0', '-1', 'WITHSCORES'],
    ['GEOPOS', 'g', 'ne', 'sw', 'origin', 'e', 'w', 'n', 's'],
    ['GEOHASH', 'g', 'ne', 'sw', 'origin', 'e', 'w', 'n', 's'],
    ['GEODIST', 'g', 'ne', 'sw', 'km'],
    ['GEODIST', 'g', 'e', 'w'],
    ['GEODIST', 'g', 'n', 's', 'mi'],
    ['GEOADD', 'g', '0', '90', 'pole'],
    ['GEOADD', 'g', '0', '-90', 'pole'],
    ['GEOADD', 'g', '0', '85.05112879', 'x'],
    ['GEOADD', 'g', '180.0000001', '0', 'x'],
    ['GEOADD', 'g', '200', '100', 'x'],
    ['GEOADD', 'g', '180.0078125', '0.0078125', 'x'],
    ['GEOADD', 'g', '-0.00000049', '-1e300', 'x'],
    ['GEOADD', 'g', 'inf', '0', 'x'],
    ['GEOADD', 'g', '-inf', 'nan', 'x'],
    ['GEOADD', 'g', 'abc', '0', 'x'],
    ['GEOADD', 'g', '0', 'abc', 'x'],
    ['GEOADD', 'g', '1', '2', 'a', '3'],
    ['GEOADD', 'g', '1', '2', 'a', '3', '4'],
    ['GEOADD', 'g', 'NX', 'XX', '1', '2', 'a'],
    ['GEOADD', 'g', 'NX', 'CH', 'CH'],
    ['GEOADD', 'g', 'XX', '1', '1', 'newone'],
    ['GEOADD', 'g', 'XX', 'CH', '1', '1', 'origin', '2', '2', 'newtwo'],
    ['GEOADD', 'g', 'NX', 'CH', '3', '3', 'origin', '4', '4', 'newthree'],
    ['GEOADD', 'g', 'CH', '5', '5', 'origin'],
    ['GEOADD', 'g', 'ch', 'nx', '5', '5', 'origin'],
    ['GEOPOS', 'g', 'origin', 'newone', 'newtwo', 'newthree'],
    ['GEOADD', 'newkey', 'XX', '1', '1', 'a'],
    ['EXISTS', 'newkey'],
    ['SET', 's', 'x'],
    ['GEOADD', 's', '1', '1', 'a'],
    ['GEOPOS', 's', 'a'],
    ['GEOHASH', 's', 'a'],
    ['GEODIST', 's', 'a', 'b'],
    ['GEORADIUS', 's', '1', '1', '1', 'km'],
    ['GEOSEARCH', 's', 'FROMLONLAT', '1', '1', 'BYRADIUS', '1', 'km'],
    ['GEOPOS', 'nokey', 'a', 'b'],
    ['GEOHASH', 'nokey', 'a'],
    ['GEOPOS', 'g'],
    ['GEOHASH', 'g'],
    ['GEOADD', 'g'],
    ['GEODIST', 'g', 'a'],
    ['GEODIST', 'g', 'e', 'w', 'km', 'x'],
    ['GEODIST', 'g', 'e', 'w', 'yard'],
    ['GEODIST', 'nokey', 'e', 'w', 'yard'],
    // scores not produced by GEOADD decode as Redis does
    ['ZADD', 'g', '-1', 'neg', '1e20', 'huge', '1.5', 'frac', '4503599627370496', 'two52', '0', 'zero'],
    ['GEOPOS', 'g', 'neg', 'huge', 'frac', 'two52', 'zero'],
    ['GEOHASH', 'g', 'neg', 'huge', 'frac', 'two52', 'zero'],
    ['GEODIST', 'g', 'neg', 'huge'],
  );
});

test('GEORADIUS/GEOSEARCH option errors', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  const base = ['GEOSEARCH', 'g', 'FROMLONLAT', '1', '1'];
  await same(
    ['DEL', 'g'],
    ['GEOADD', 'g', '1', '1', 'a', '1.001', '1.001', 'b', '2', '2', 'c'],
    [...base],
    [...base, 'BYRADIUS', '1'],
    [...base, 'BYRADIUS', '1', 'km', 'BYBOX', '1', '1', 'km'],
    [...base, 'BYBOX', '1', '1', 'km', 'BYRADIUS', '1', 'km'],
    [...base, 'BYRADIUS', '-1', 'km'],
    [...base, 'BYRADIUS', 'x', 'km'],
    [...base, 'BYRADIUS', '1', 'yd'],
    [...base, 'BYBOX', 'x', '1', 'km'],
    [...base, 'BYBOX', '1', 'x', 'km'],
    [...base, 'BYBOX', '-1', '1', 'km'],
    [...base, 'BYBOX', '1', '-1', 'km'],
    [...base, 'BYBOX', '1', '1', 'yd'],
    [...base, 'BYBOX', '1', '1'],
    [...base, 'BYRADIUS', '1000', 'km', 'COUNT', '0'],
    [...base, 'BYRADIUS', '1000', 'km', 'COUNT', '-1'],
    [...base, 'BYRADIUS', '1000', 'km', 'COUNT', 'x'],
    [...base, 'BYRADIUS', '1000', 'km', 'COUNT'],
    [...base, 'BYRADIUS', '1000', 'km', 'ANY'],
    [...base, 'BYRADIUS', '1000', 'km', 'ANY', 'COUNT', '1'],
    [...base, 'BYRADIUS', '1000', 'km', 'COUNT', '1', 'ANY', 'DESC'],
    [...base, 'BYRADIUS', '1000', 'km', 'STORE', 'x'],
    [...base, 'BYRADIUS', '1000', 'km', 'STOREDIST'],
    [...base, 'BYRADIUS', '1000', 'km', 'FROMMEMBER', 'a'],
    [...base, 'BYRADIUS', '1000', 'km', 'FROMLONLAT', '1', '1'],
    [...base, 'BYRADIUS', '1000', 'km', 'bogus'],
    ['GEOSEARCH', 'g', 'BYRADIUS', '1000', 'km'],
    ['geosearch', 'g', 'FROMMEMBER', 'a'],
    ['GeoSearch', 'g', 'FROMMEMBER', 'nope', 'BYRADIUS', '1', 'km'],
    ['GEOSEARCH', 'g', 'FROMMEMBER', 'a', 'FROMLONLAT', '1', '1', 'BYRADIUS', '1', 'km'],
    ['GEOSEARCH', 'g', 'FROMLONLAT', '1', '100', 'BYRADIUS', '1', 'km'],
    ['GEOSEARCH', 'g', 'FROMLONLAT', '1', 'x', 'BYRADIUS', '1', 'km'],
    ['GEOSEARCH', 'g', 'FROMMEMBER', 'a', 'BYRADIUS', '1', 'km', 'WITHDIST', 'WITHDIST'],
    ['GEOSEARCH', 'nokey', 'FROMMEMBER', 'a', 'BYRADIUS', '1', 'km', 'COUNT', '0'],
    ['GEOSEARCH', 'nokey', 'FROMMEMBER', 'a'],
    ['GEOSEARCHSTORE', 'd', 'g', 'FROMMEMBER', 'a', 'BYRADIUS', '1', 'km', 'WITHDIST'],
    ['GEOSEARCHSTORE', 'd', 'g', 'FROMMEMBER', 'a', 'BYRADIUS', '1', 'km', 'WITHCOORD', 'STOREDIST'],
    ['GEOSEARCHSTORE', 'd', 'g', 'FROMMEMBER', 'a', 'BYRADIUS', '1', 'km', 'STORE', 'x'],
    ['geosearchstore', 'd', 'g', 'BYRADIUS', '1', 'km'],
    ['GEOSEARCHSTORE', 'd', 'g', 'FROMMEMBER', 'a', 'BYRADIUS', '200', 'km', 'STOREDIST'],
    ['ZRANGE', 'd', '0', '-1', 'WITHSCORES'],
    ['GEORADIUS', 'g', '1', '1', '1', 'km', 'FROMMEMBER', 'a'],
    ['GEORADIUS', 'g', '1', '1', '1', 'km', 'STORE'],
    ['GEORADIUS', 'g', '1', '1', '1', 'km', 'STORE', 'x', 'WITHHASH'],
    ['GEORADIUS', 'g', '1', '1', '-1', 'km'],
    ['GEORADIUS', 'g', '1', '1', '1', 'yd'],
    ['GEORADIUS', 'g', '1', '91', '1', 'km'],
    ['GEORADIUS', 'g', '1', '1', '1', 'km', 'COUNT', '0'],
    ['GEORADIUS', 'g', '1', '1', '1', 'km', 'ANY'],
    ['GEORADIUS', 'g', '1', '1', '1000', 'km', 'ANY', 'COUNT', '2'],
    ['GEORADIUS_RO', 'g', '1', '1', '1', 'km', 'STORE', 'x'],
    ['GEORADIUS_RO', 'g', '1', '1', '1', 'km', 'STOREDIST', 'x'],
    ['GEORADIUSBYMEMBER', 'g', 'nope', '1', 'km'],
    ['GEORADIUSBYMEMBER', 'g', 'a', '-1', 'km'],
    ['GEORADIUSBYMEMBER', 'g', 'a', '1', 'km', 'WITHDIST', 'STOREDIST', 'x'],
    ['GEORADIUSBYMEMBER_RO', 'g', 'a', '1', 'km', 'STORE', 'x'],
    ['GEORADIUSBYMEMBER', 'g', 'a', '200', 'km', 'STOREDIST', 'x', 'COUNT', '2', 'DESC'],
    ['ZRANGE', 'x', '0', '-1', 'WITHSCORES'],
    ['GEORADIUS', 'g', '1', '1', 'inf', 'km', 'WITHDIST', 'ASC'],
    ['GEORADIUS', 'g', '1', '1', '0', 'km', 'WITHDIST'],
    ['GEOSEARCH', 'g', 'FROMLONLAT', '1', '1', 'BYBOX', '0', '0', 'km', 'WITHDIST'],
    ['GEOSEARCH', 'g', 'FROMLONLAT', '1', '1', 'BYBOX', '1e10', '1e10', 'mi', 'WITHDIST', 'DESC'],
  );
});

test('propagation and keyspace events', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  const dd = d as Differential;
  const [rs, ks] = await dd.connectBoth();
  await same(['CONFIG', 'SET', 'notify-keyspace-events', 'KEA'], ['DEL', 'pg', 'pd']);
  await rs.send('PSUBSCRIBE', '__keyspace@0__:p*');
  await ks.send('PSUBSCRIBE', '__keyspace@0__:p*');
  await same(
    ['GEOADD', 'pg', '1', '1', 'a', '2', '2', 'b'],
    ['GEOADD', 'pg', 'NX', '1', '1', 'a'],
    ['GEOSEARCHSTORE', 'pd', 'pg', 'FROMMEMBER', 'a', 'BYRADIUS', '500', 'km'],
    ['GEORADIUS', 'pg', '1', '1', '500', 'km', 'STORE', 'pd'],
    ['GEOSEARCHSTORE', 'pd', 'pg', 'FROMLONLAT', '50', '50', 'BYRADIUS', '1', 'km'],
    ['PING'],
  );
  // zadd, geosearchstore, georadiusstore, del (the NX no-op sends nothing)
  for (let i = 0; i < 4; i++) {
    const [a, b] = await Promise.all([rs.readReply(), ks.readReply()]);
    assert.equal(b.raw.toString('latin1'), a.raw.toString('latin1'));
  }
  rs.close();
  ks.close();
  await same(['CONFIG', 'SET', 'notify-keyspace-events', '']);
});

const UNITS = ['m', 'km', 'ft', 'mi'];

test('seeded random points and queries', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  const r = rng(20261121);
  const num = (lo: number, hi: number, digits: number): string => (lo + r() * (hi - lo)).toFixed(digits);
  const cmds: Cmd[] = [['DEL', 'rg']];
  // 2000 points: 1500 over the globe, 500 clustered around a few centres (dense neighbourhoods).
  for (let i = 0; i < 2000; i += 10) {
    const cmd: Cmd = ['GEOADD', 'rg'];
    for (let j = i; j < i + 10; j++) {
      if (j < 1500) cmd.push(num(-180, 180, 6), num(-85.05112878, 85.05112878, 6), `p${j}`);
      else {
        const cx = [2.35, -73.98, 139.69, 151.2, 179.9][j % 5];
        const cy = [48.85, 40.75, 35.68, -33.87, 84.9][j % 5];
        const x = Math.max(-180, Math.min(180, cx + (r() - 0.5) * 2));
        const y = Math.max(-85.05, Math.min(85.05, cy + (r() - 0.5) * 2));
        cmd.push(x.toFixed(5), y.toFixed(5), `p${j}`);
      }
    }
    cmds.push(cmd);
  }
  await same(...cmds, ['ZCARD', 'rg'], ['GEOPOS', 'rg', 'p1', 'p2', 'p1999', 'p1500'], ['GEOHASH', 'rg', 'p3', 'p1700']);
  const queries: Cmd[] = [];
  for (let q = 0; q < 400; q++) {
    const cmd: Cmd = ['GEOSEARCH', 'rg'];
    if (r() < 0.3) cmd.push('FROMMEMBER', `p${Math.floor(r() * 2000)}`);
    else cmd.push('FROMLONLAT', num(-180, 180, 4), num(-85, 85, 4));
    const unit = UNITS[Math.floor(r() * 4)];
    const scale = unit === 'm' ? 1000 : unit === 'ft' ? 3000 : 1;
    const size = (r() < 0.5 ? r() * 200 : r() * 3000) * scale;
    if (r() < 0.5) cmd.push('BYRADIUS', size.toFixed(3), unit);
    else cmd.push('BYBOX', size.toFixed(3), (size * (0.2 + r() * 2)).toFixed(3), unit);
    cmd.push(r() < 0.5 ? 'ASC' : 'DESC');
    if (r() < 0.3) cmd.push('COUNT', String(1 + Math.floor(r() * 20)));
    if (r() < 0.5) cmd.push('WITHDIST');
    if (r() < 0.3) cmd.push('WITHCOORD');
    if (r() < 0.3) cmd.push('WITHHASH');
    queries.push(cmd);
    // the same query unsorted: order of cells then scores, deterministic in Redis
    const unsorted = cmd.filter((a) => a !== 'ASC' && a !== 'DESC' && a !== 'COUNT');
    if (!cmd.includes('COUNT')) queries.push(unsorted);
    const center = cmd[2] === 'FROMMEMBER' ? ['GEORADIUSBYMEMBER', 'rg', cmd[3]] : ['GEORADIUS', 'rg', cmd[3], cmd[4]];
    if (cmd.includes('BYRADIUS')) {
      const i = cmd.indexOf('BYRADIUS');
      queries.push([...center, cmd[i + 1], cmd[i + 2], 'WITHDIST', 'ASC']);
      queries.push(['GEOSEARCHSTORE', 'rdst', ...cmd.slice(1).filter((a) => !String(a).startsWith('WITH')), 'STOREDIST']);
      queries.push(['ZRANGE', 'rdst', '0', '-1']);
    }
  }
  await same(...queries);
  // STOREDIST scores carry full double precision: glibc's sin/cos/asin are not correctly rounded
  // on a small fraction of inputs (near-midpoint cases) where Keydra's are, so scores are compared
  // to 12 significant digits.
  await (d as Differential).same(['GEOSEARCHSTORE', 'rdst', 'rg', 'FROMLONLAT', '10', '10', 'BYRADIUS', '5000', 'km', 'STOREDIST']);
  await (d as Differential).sameAfter(['ZRANGE', 'rdst', '0', '-1', 'WITHSCORES'], (rep) =>
    (rep as unknown[]).map((v, i) => (i % 2 === 1 ? Number(String(v)).toPrecision(12) : String(v))),
  );
});

test('propagation: AOF written by redis-server and Keydra (GEOADD as ZADD, store commands as is)', async (t) => {
  const pd = await Differential.start({
    redisArgs: ['--appendonly', 'yes', '--appendfsync', 'always'],
    keydra: { appendonly: true, appendfsync: 'always' },
  });
  if (!pd) return t.skip(NO_REDIS);
  try {
    await pd.same(
      ['GEOADD', 'g', 'CH', '13.361389', '38.115556', 'Palermo', '180', '85.05112878', 'edge'],
      ['GEOADD', 'g', 'NX', '15.087269', '37.502669', 'Catania', '1', '1', 'Palermo'],
      ['GEOADD', 'g', 'XX', '1', '1', 'nobody'],
      ['GEOADD', 'g', '200', '1', 'bad'],
      ['GEOSEARCHSTORE', 'd', 'g', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '10', 'km'],
      ['GEORADIUS', 'g', '13', '38', '300', 'km', 'STOREDIST', 'd2'],
      ['GEORADIUSBYMEMBER', 'g', 'Catania', '1', 'm', 'STORE', 'd2'],
      ['GEOSEARCHSTORE', 'd', 'nokey', 'FROMLONLAT', '0', '0', 'BYRADIUS', '10', 'km'],
      ['PING'],
    );
    const file = (dir: string): string[][] =>
      decodeAll(readFileSync(join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'))).replies.map((r) =>
        (r as RespNode[]).map((x) => String(x)),
      );
    assert.deepEqual(file(pd.keydra.dir), file(pd.redis.dir));
  } finally {
    await pd.close();
  }
});
