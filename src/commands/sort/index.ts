/**
 * SORT and SORT_RO over lists, sets and sorted sets: BY patterns (`*` substitution, `->field`
 * hash lookups, a pattern without `*` meaning NOSORT), LIMIT, GET (incl. `#`), ASC/DESC, ALPHA,
 * STORE (SORT only; the result is a list, event `sortstore`).
 * Source: Redis 7.0 sort.c (sortCommandGeneric, lookupKeyByPattern, sortCompare).
 */
import { ERR_SYNTAX, ERR_WRONGTYPE } from '../../errors.js';
import { hasFullKeyReadAccess } from '../../server/acl.js';
import type { Client } from '../../server/client.js';
import { type Db, ObjType, RObject } from '../../store/db.js';
import type { RHash } from '../../store/hash.js';
import { QuickList } from '../../store/quicklist.js';
import type { ZSet } from '../../store/zset.js';
import { isKeyword, parseIntOrReply } from '../args.js';
import { parseDoubleStrict } from '../zsets/util.js';
import { type Command, lookupCommand } from '../table.js';
import type { CommandDef } from '../types.js';

const ERR_SORT_SCORE = "ERR One or more scores can't be converted into double";
const ERR_SORT_BY_ACL = 'ERR BY option of SORT denied due to insufficient ACL permissions.';
const ERR_SORT_GET_ACL = 'ERR GET option of SORT denied due to insufficient ACL permissions.';

/**
 * Resolves a GET/BY pattern for one element (lookupKeyByPattern): `#` is the element itself;
 * otherwise the first `*` is replaced by the element and the key read as a string, or, with a
 * `->field` suffix after the `*`, as a hash field. @returns the value or null.
 */
function lookupByPattern(db: Db, pattern: string, subst: string): string | null {
  if (pattern === '#') return subst;
  const p = pattern.indexOf('*');
  if (p < 0) return null;
  const f = pattern.indexOf('->', p + 1);
  const hasField = f >= 0 && f + 2 < pattern.length;
  const key = pattern.slice(0, p) + subst + pattern.slice(p + 1, hasField ? f : pattern.length);
  const o = db.lookupRead(key);
  if (o === undefined) return null;
  if (hasField) {
    if (o.type !== ObjType.Hash) return null;
    return (o.value as RHash).get(pattern.slice(f + 2)) ?? null;
  }
  return o.type === ObjType.String ? (o.value as string) : null;
}

/** Parses a BY value as strtod would for SORT: whole string, no NaN; "" is 0. */
function sortScore(s: string): number | null {
  if (s.length === 0) return 0;
  return parseDoubleStrict(s);
}

interface SortItem {
  obj: string;
  score: number;
  cmp: string | null;
}

function byteCmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** SORT / SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE dst]. */
function sortGeneric(c: Client, argv: string[], readonly: boolean): void {
  let desc = false;
  let alpha = false;
  let limitStart = 0;
  let limitCount = -1;
  let dontsort = false;
  let sortby: string | null = null;
  let storekey: string | null = null;
  const gets: string[] = [];
  // BY/GET patterns reach keys ACL cannot check: they need read access to all keys (sort.c).
  const fullAccess = c.unrestricted || hasFullKeyReadAccess(c, lookupCommand(readonly ? 'sort_ro' : 'sort') as Command, argv);
  for (let j = 2; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const a = argv[j];
    if (isKeyword(a, 'asc')) desc = false;
    else if (isKeyword(a, 'desc')) desc = true;
    else if (isKeyword(a, 'alpha')) alpha = true;
    else if (isKeyword(a, 'limit') && left >= 2) {
      const s = parseIntOrReply(c, argv[j + 1]);
      if (s === null) return;
      const n = parseIntOrReply(c, argv[j + 2]);
      if (n === null) return;
      limitStart = s;
      limitCount = n;
      j += 2;
    } else if (!readonly && isKeyword(a, 'store') && left >= 1) {
      storekey = argv[++j];
    } else if (isKeyword(a, 'by') && left >= 1) {
      sortby = argv[++j];
      if (!sortby.includes('*')) dontsort = true;
      else if (!fullAccess) {
        c.error(ERR_SORT_BY_ACL);
        return;
      }
    } else if (isKeyword(a, 'get') && left >= 1) {
      if (!fullAccess) {
        c.error(ERR_SORT_GET_ACL);
        return;
      }
      gets.push(argv[++j]);
    } else {
      c.error(ERR_SYNTAX);
      return;
    }
  }
  const o = c.db.lookupRead(argv[1]);
  if (o !== undefined && o.type !== ObjType.Set && o.type !== ObjType.List && o.type !== ObjType.ZSet) {
    c.error(ERR_WRONGTYPE);
    return;
  }
  const type = o === undefined ? ObjType.List : o.type;
  if (dontsort && type === ObjType.Set && (storekey !== null || c.isScript)) {
    // A set's order is arbitrary: force ALPHA sorting so replicas, the AOF and scripts agree.
    dontsort = false;
    alpha = true;
    sortby = null;
  }
  let len = 0;
  if (o !== undefined) {
    if (type === ObjType.List) len = (o.value as QuickList).length;
    else if (type === ObjType.Set) len = (o.value as { size: number }).size;
    else len = (o.value as ZSet).size;
  }
  let start = Math.max(0, limitStart);
  let end = limitCount < 0 ? len - 1 : start + limitCount - 1;
  if (start >= len) {
    start = len - 1;
    end = len - 2;
  }
  if (end >= len) end = len - 1;

  let vec: SortItem[] = [];
  const item = (obj: string): SortItem => ({ obj, score: 0, cmp: null });
  if (o !== undefined && dontsort && (type === ObjType.List || type === ObjType.ZSet)) {
    // Native order (reversed with DESC), loading only the LIMIT range.
    const n = end - start + 1;
    if (type === ObjType.List) {
      const list = o.value as QuickList;
      for (let i = 0; i < n; i++) vec.push(item(list.at(desc ? len - start - 1 - i : start + i) as string));
    } else {
      const z = o.value as ZSet;
      let x = n > 0 ? z.nodeAt(desc ? len - 1 - start : start) : null;
      for (let i = 0; i < n && x !== null; i++) {
        vec.push(item(x.ele));
        x = desc ? x.backward : x.next;
      }
    }
    end -= start;
    start = 0;
  } else if (o !== undefined) {
    if (type === ObjType.List || type === ObjType.Set) {
      for (const e of o.value as Iterable<string>) vec.push(item(e));
    } else {
      for (const [m] of o.value as ZSet) vec.push(item(m));
    }
  }

  let convError = false;
  if (!dontsort) {
    for (const it of vec) {
      let byval: string | null;
      if (sortby !== null) {
        byval = lookupByPattern(c.db, sortby, it.obj);
        if (byval === null) continue;
      } else byval = it.obj;
      if (alpha) {
        if (sortby !== null) it.cmp = byval;
      } else {
        const d = sortScore(byval);
        if (d === null) convError = true;
        else it.score = d;
      }
    }
    const sign = desc ? -1 : 1;
    let cmp: (a: SortItem, b: SortItem) => number;
    if (!alpha) cmp = (a, b) => sign * (a.score > b.score ? 1 : a.score < b.score ? -1 : byteCmp(a.obj, b.obj));
    else if (sortby !== null) {
      cmp = (a, b) => {
        if (a.cmp === null || b.cmp === null) return sign * (a.cmp === b.cmp ? 0 : a.cmp === null ? -1 : 1);
        return sign * byteCmp(a.cmp, b.cmp);
      };
    } else cmp = (a, b) => sign * byteCmp(a.obj, b.obj);
    vec = vec.sort(cmp);
  }

  const outputLen = gets.length > 0 ? gets.length * (end - start + 1) : end - start + 1;
  if (convError) {
    c.error(ERR_SORT_SCORE);
    return;
  }
  if (storekey === null) {
    c.reply.arrayLen(Math.max(0, outputLen));
    for (let j = start; j <= end; j++) {
      const e = vec[j].obj;
      if (gets.length === 0) c.reply.bulk(e);
      for (const g of gets) {
        const v = lookupByPattern(c.db, g, e);
        if (v === null) c.reply.nullBulk();
        else c.reply.bulk(v);
      }
    }
    return;
  }
  const out = new QuickList();
  for (let j = start; j <= end; j++) {
    const e = vec[j].obj;
    if (gets.length === 0) out.pushTail(e);
    for (const g of gets) out.pushTail(lookupByPattern(c.db, g, e) ?? '');
  }
  if (outputLen > 0) {
    c.db.setKey(storekey, new RObject(ObjType.List, out));
    c.server.notifyKeyspaceEvent('l', 'sortstore', storekey, c.db.id);
    c.server.dirty += outputLen;
    c.server.signalKeyAsReady(c.db, storekey);
  } else if (c.db.delete(storekey)) {
    c.server.notifyKeyspaceEvent('g', 'del', storekey, c.db.id);
    c.server.dirty++;
  }
  c.reply.integer(Math.max(0, outputLen));
}

const commands: CommandDef[] = [
  { name: 'sort', handler: (c, argv) => sortGeneric(c, argv, false) },
  { name: 'sort_ro', handler: (c, argv) => sortGeneric(c, argv, true) },
];
export default commands;
