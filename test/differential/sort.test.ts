/**
 * Differential tests of SORT and SORT_RO against redis-server 7.0: numeric and ALPHA sorting of
 * lists, sets and sorted sets, BY patterns (incl. `->field` and constant NOSORT patterns), GET (`#`),
 * LIMIT edge cases, DESC, STORE, and errors.
 */
import { test } from 'node:test';
import { type Cmd, type Differential, useDifferential } from '../helpers/differential.js';
import { NO_REDIS } from '../helpers/servers.js';

let d: Differential | null = null;
const same = useDifferential((x) => {
  d = x;
});

test('SORT over lists, sets and zsets', async (t) => {
  if (!d) return t.skip(NO_REDIS);
  await same(
    ['RPUSH', 'l', '3', '1', '10', '2', '-1.5', '1e2'],
    ['SADD', 'si', '5', '3', '9', '1'],
    ['SADD', 'ss', 'b', 'a', 'c'],
    ['ZADD', 'z', '1', 'c', '2', 'a', '3', 'b'],
    ['RPUSH', 'la', 'b', 'a', 'C', 'aa', ''],
    ['MSET', 'w_3', '30', 'w_1', '10', 'w_10', '5', 'w_2', 'x', 'o_1', 'one', 'o_3', 'three'],
    ['HSET', 'h_1', 'f', '9', 'g', 'G1'],
    ['HSET', 'h_3', 'f', '1'],
    ['HSET', 'h_10', 'f', '5', 'g', 'G10'],
  );
  const cmds: Cmd[] = [];
  for (const key of ['l', 'si', 'z', 'la', 'ss', 'nokey']) {
    for (const opts of [
      [],
      ['DESC'],
      ['ALPHA'],
      ['ALPHA', 'DESC'],
      ['LIMIT', '1', '2'],
      ['LIMIT', '-1', '2'],
      ['LIMIT', '2', '-1'],
      ['LIMIT', '10', '2'],
      ['LIMIT', '0', '0'],
    ]) {
      cmds.push(['SORT', key, ...opts], ['SORT_RO', key, ...opts]);
    }
    if (key !== 'ss') cmds.push(['SORT', key, 'BY', 'nosort', 'ALPHA']); // a hashtable set's order is arbitrary
  }
  cmds.push(
    ['SORT', 'l', 'BY', 'nosort'],
    ['SORT', 'l', 'BY', 'nosort', 'DESC', 'LIMIT', '1', '3'],
    ['SORT', 'z', 'BY', 'nosort', 'DESC'],
    ['SORT', 'z', 'BY', 'nosort', 'LIMIT', '1', '5'],
    ['SORT', 'z', 'BY', 'nosort', 'DESC', 'LIMIT', '1', '1'],
    ['SORT', 'l', 'BY', 'w_*'],
    ['SORT', 'l', 'BY', 'w_*', 'DESC', 'GET', '#', 'GET', 'o_*'],
    ['SORT', 'l', 'BY', 'h_*->f', 'GET', 'h_*->g', 'GET', '#'],
    ['SORT', 'l', 'BY', 'h_*->f', 'ALPHA', 'LIMIT', '0', '3', 'GET', 'h_*->nope', 'GET', 'w_*->f'],
    ['SORT', 'l', 'GET', 'o_*', 'GET', 'nostar'],
    ['SORT', 'la'],
    ['SORT', 'ss'],
    ['SORT', 'l', 'BY', 'o_*'],
    ['SORT', 'l', 'STORE', 'dst'],
    ['LRANGE', 'dst', '0', '-1'],
    ['SORT', 'l', 'BY', 'w_*', 'GET', 'o_*', 'STORE', 'dst'],
    ['LRANGE', 'dst', '0', '-1'],
    ['SORT', 'ss', 'BY', 'nosort', 'STORE', 'dst'],
    ['LRANGE', 'dst', '0', '-1'],
    ['SORT', 'nokey', 'STORE', 'dst'],
    ['EXISTS', 'dst'],
    ['SORT_RO', 'l', 'STORE', 'dst'],
    ['SORT', 'l', 'LIMIT', 'x', '1'],
    ['SORT', 'l', 'LIMIT', '1'],
    ['SORT', 'l', 'FOO'],
    ['SET', 'str', 'x'],
    ['SORT', 'str'],
    ['HSET', 'hh', 'a', 'b'],
    ['SORT', 'hh'],
    ['sort', 'l', 'asc', 'alpha', 'limit', '0', '100', 'desc'],
  );
  await same(...cmds);
});
