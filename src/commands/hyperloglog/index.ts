/**
 * HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST.
 *
 * HLLs are ordinary string values in Redis's exact format (src/store/hll.ts), so GET, DUMP and
 * RDB files carry the same bytes as redis-server. A write works on a Buffer copy of the value and
 * stores the new string. PFCOUNT of one key refreshes the cached cardinality in the header (a write:
 * dirty++, propagated as PFCOUNT like Redis does).
 * Source: Redis 7.0 hyperloglog.c (pfaddCommand, pfcountCommand, pfmergeCommand, pfdebugCommand,
 * pfselftestCommand).
 */
import { ERR_HLL_INVALID, ERR_HLL_WRONGTYPE, ERR_WRONGTYPE } from '../../errors.js';
import type { Client } from '../../server/client.js';
import { ObjType, type RObject, RObject as RObj } from '../../store/db.js';
import {
  HLL_DENSE,
  HLL_DENSE_SIZE,
  HLL_HDR_SIZE,
  HLL_REGISTERS,
  HLL_SPARSE,
  HllBuf,
  countRaw,
  createHll,
  denseGet,
  denseSet,
  denseStrAddOne,
  denseStrWouldChange,
  hllCacheValid,
  hllCachedCard,
  hllEncoding,
  isHll,
  mergeInto,
} from '../../store/hll.js';
import type { CommandDef } from '../types.js';

/** hll-sparse-max-bytes (bytes, header included). */
function sparseMax(c: Client): number {
  return c.server.config.num('hll-sparse-max-bytes');
}

/**
 * Checks that `o` is a string holding a valid HLL (Redis isHLLObjectOrReply). Replies the standard
 * WRONGTYPE error for other types, `WRONGTYPE Key is not a valid HyperLogLog string value.` for
 * other strings. @returns the value, or null after replying.
 */
function hllOrReply(c: Client, o: RObject): string | null {
  if (o.type !== ObjType.String) {
    c.error(ERR_WRONGTYPE);
    return null;
  }
  const s = o.value as string;
  if (!isHll(s)) {
    c.error(ERR_HLL_WRONGTYPE);
    return null;
  }
  return s;
}

/** PFADD key [element ...]: 1 if a register changed or the key was created, else 0. */
function pfaddCommand(c: Client, argv: string[]): void {
  const key = argv[1];
  const db = c.db;
  const o = db.lookupWrite(key);
  let updated = 0;
  let h: HllBuf;
  if (o === undefined) {
    h = new HllBuf(createHll());
    updated++;
  } else {
    const s = hllOrReply(c, o);
    if (s === null) return;
    if (hllEncoding(s) === HLL_DENSE && argv.length === 3) {
      const ns = denseStrAddOne(s, argv[2]);
      if (ns !== null) {
        db.setKey(key, new RObj(ObjType.String, ns), true);
        c.server.notifyKeyspaceEvent('$', 'pfadd', key, db.id);
        c.server.dirty++;
      }
      c.reply.integer(ns === null ? 0 : 1);
      return;
    }
    if (hllEncoding(s) === HLL_DENSE) {
      let change = false;
      for (let j = 2; j < argv.length && !change; j++) change = denseStrWouldChange(s, argv[j]);
      if (!change) {
        c.reply.integer(0);
        return;
      }
    }
    h = new HllBuf(s);
  }
  const max = sparseMax(c);
  let failed = false;
  for (let j = 2; j < argv.length; j++) {
    const r = h.add(argv[j], max);
    if (r === 1) updated++;
    else if (r === -1) {
      failed = true;
      break;
    }
  }
  if (updated !== 0) h.invalidateCache();
  if (updated !== 0 || failed) db.setKey(key, new RObj(ObjType.String, h.toString()), true);
  if (failed) {
    c.error(ERR_HLL_INVALID);
    return;
  }
  if (updated !== 0) {
    c.server.notifyKeyspaceEvent('$', 'pfadd', key, db.id);
    c.server.dirty += updated;
  }
  c.reply.integer(updated !== 0 ? 1 : 0);
}

/**
 * PFCOUNT key [key ...]: the estimated cardinality; of the union for several keys (merged into
 * raw registers, nothing written). One key: the cached value when valid, else computed and cached.
 */
function pfcountCommand(c: Client, argv: string[]): void {
  const db = c.db;
  if (argv.length > 2) {
    const max = new Uint8Array(HLL_REGISTERS);
    for (let j = 1; j < argv.length; j++) {
      const o = db.lookupRead(argv[j]);
      if (o === undefined) continue;
      const s = hllOrReply(c, o);
      if (s === null) return;
      if (!mergeInto(max, s)) {
        c.error(ERR_HLL_INVALID);
        return;
      }
    }
    c.reply.integer(countRaw(max));
    return;
  }
  const key = argv[1];
  const o = db.lookupRead(key);
  if (o === undefined) {
    c.reply.integer(0);
    return;
  }
  const s = hllOrReply(c, o);
  if (s === null) return;
  if (hllCacheValid(s)) {
    c.reply.integer(hllCachedCard(s));
    return;
  }
  const h = new HllBuf(s);
  const card = h.count();
  if (card < 0) {
    c.error(ERR_HLL_INVALID);
    return;
  }
  h.setCachedCard(card);
  db.setKey(key, new RObj(ObjType.String, h.toString()), true);
  c.server.dirty++;
  c.reply.integer(card);
}

/** PFMERGE destkey [sourcekey ...]: merges the sources (and destkey itself) into destkey; +OK. */
function pfmergeCommand(c: Client, argv: string[]): void {
  const db = c.db;
  const max = new Uint8Array(HLL_REGISTERS);
  let useDense = false;
  for (let j = 1; j < argv.length; j++) {
    const o = db.lookupRead(argv[j]);
    if (o === undefined) continue;
    const s = hllOrReply(c, o);
    if (s === null) return;
    if (hllEncoding(s) === HLL_DENSE) useDense = true;
    if (!mergeInto(max, s)) {
      c.error(ERR_HLL_INVALID);
      return;
    }
  }
  const key = argv[1];
  const o = db.lookupWrite(key);
  const h = new HllBuf(o === undefined ? createHll() : (o.value as string));
  if (useDense && !h.sparseToDense()) {
    c.error(ERR_HLL_INVALID);
    return;
  }
  const maxBytes = sparseMax(c);
  for (let j = 0; j < HLL_REGISTERS; j++) {
    if (max[j] === 0) continue;
    if (h.set(j, max[j], maxBytes) === -1) {
      c.error(ERR_HLL_INVALID);
      return;
    }
  }
  h.invalidateCache();
  const val = new RObj(ObjType.String, h.toString());
  db.setKey(key, val, true);
  c.server.notifyKeyspaceEvent('$', 'pfadd', key, db.id);
  c.server.dirty++;
  c.reply.ok();
}

/**
 * PFDEBUG GETREG|DECODE|ENCODING|TODENSE key (Redis pfdebugCommand). GETREG and TODENSE convert
 * a sparse value to dense (a write). Errors as Redis: `ERR The specified key does not exist`,
 * `ERR HLL encoding is not sparse`, `ERR Unknown PFDEBUG subcommand '<sub>'`,
 * `ERR Wrong number of arguments for the '<sub>' subcommand`.
 */
function pfdebugCommand(c: Client, argv: string[]): void {
  const sub = argv[1];
  const key = argv[2];
  const db = c.db;
  const o = db.lookupWrite(key);
  if (o === undefined) {
    c.error('ERR The specified key does not exist');
    return;
  }
  const s = hllOrReply(c, o);
  if (s === null) return;
  const cmd = sub.toLowerCase();
  const known = cmd === 'getreg' || cmd === 'decode' || cmd === 'encoding' || cmd === 'todense';
  if (!known) {
    c.error(`ERR Unknown PFDEBUG subcommand '${sub}'`);
    return;
  }
  if (argv.length !== 3) {
    c.error(`ERR Wrong number of arguments for the '${sub}' subcommand`);
    return;
  }
  const h = new HllBuf(s);
  if (cmd === 'getreg' || cmd === 'todense') {
    let conv = false;
    if (h.encoding === HLL_SPARSE) {
      if (!h.sparseToDense()) {
        c.error(ERR_HLL_INVALID);
        return;
      }
      db.setKey(key, new RObj(ObjType.String, h.toString()), true);
      conv = true;
      c.server.dirty++;
    }
    if (cmd === 'todense') {
      c.reply.integer(conv ? 1 : 0);
      return;
    }
    c.reply.arrayLen(HLL_REGISTERS);
    for (let j = 0; j < HLL_REGISTERS; j++) c.reply.integer(denseGet(h.buf, HLL_HDR_SIZE, j));
  } else if (cmd === 'decode') {
    if (h.encoding !== HLL_SPARSE) {
      c.error('ERR HLL encoding is not sparse');
      return;
    }
    c.reply.bulk(h.decode());
  } else {
    c.reply.simple(h.encoding === HLL_DENSE ? 'dense' : 'sparse');
  }
}

/**
 * PFSELFTEST: checks the dense register accessors with random values and that sparse and dense
 * encodings of the same elements give the same estimate. +OK, or `ERR TESTFAILED ...`.
 */
function pfselftestCommand(c: Client, _argv: string[]): void {
  const regs = Buffer.alloc(HLL_DENSE_SIZE);
  const bytes = new Uint8Array(HLL_REGISTERS);
  for (let cycle = 0; cycle < 20; cycle++) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const r = Math.floor(Math.random() * 64);
      bytes[i] = r;
      denseSet(regs, HLL_HDR_SIZE, i, r);
    }
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const v = denseGet(regs, HLL_HDR_SIZE, i);
      if (v !== bytes[i]) {
        c.error(`ERR TESTFAILED Register ${i} should be ${bytes[i]} but is ${v}`);
        return;
      }
    }
  }
  const sparse = new HllBuf(createHll());
  const dense = new HllBuf(createHll());
  dense.sparseToDense();
  for (let j = 1; j <= 2000; j++) {
    const ele = `selftest:${j}:${Math.random()}`;
    sparse.add(ele, HLL_DENSE_SIZE);
    dense.add(ele, HLL_DENSE_SIZE);
    if (j % 100 === 0 && sparse.count() !== dense.count()) {
      c.error(`ERR TESTFAILED dense/sparse disagree: ${dense.count()} != ${sparse.count()}`);
      return;
    }
  }
  c.reply.ok();
}

/** The HyperLogLog family, registered in src/commands/table.ts. */
const hyperloglog: CommandDef[] = [
  { name: 'pfadd', handler: pfaddCommand },
  { name: 'pfcount', handler: pfcountCommand },
  { name: 'pfmerge', handler: pfmergeCommand },
  { name: 'pfdebug', handler: pfdebugCommand },
  { name: 'pfselftest', handler: pfselftestCommand },
];
export default hyperloglog;
