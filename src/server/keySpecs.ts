/**
 * Key extraction from a command line with the command's Redis key specs (begin_search and
 * find_keys of COMMAND INFO), plus the getkeys procedures Redis keeps for SORT, MIGRATE, SET and
 * BITFIELD. Used by ACL key checks, client tracking, COMMAND GETKEYS and scripts.
 * Source: Redis 7.0 db.c (getKeysUsingKeySpecs, sortGetKeys, migrateGetKeys, setGetKeys,
 * bitfieldGetKeys), acl.c.
 */
import type { RespNode } from '../protocol/decoder.js';
import { elements, mapGet } from '../protocol/respTree.js';
import type { Command } from './command.js';

/** One key found in argv: its position and the key spec's flags node (a set of status strings). */
export interface KeyRef {
  pos: number;
  flags: RespNode;
}

/**
 * Finds the keys of `args` (a full command line) with the command's key specs
 * (Redis getKeysUsingKeySpecs). @returns the keys in spec order.
 */
export function getKeysFromSpecs(cmd: Command, args: string[]): KeyRef[] {
  const out: KeyRef[] = [];
  const argc = args.length;
  for (const spec of elements(cmd.info[8])) {
    const bs = mapGet(spec, 'begin_search');
    const fk = mapGet(spec, 'find_keys');
    const flags = mapGet(spec, 'flags') ?? { t: '~', v: [] };
    let first = 0;
    const bsType = mapGet(bs ?? null, 'type');
    const bsSpec = mapGet(bs ?? null, 'spec') ?? null;
    if (bsType === 'index') {
      first = mapGet(bsSpec, 'index') as number;
    } else if (bsType === 'keyword') {
      const kw = (mapGet(bsSpec, 'keyword') as string).toLowerCase();
      const start = mapGet(bsSpec, 'startfrom') as number;
      const from = start >= 0 ? start : argc + start;
      const end = start >= 0 ? argc - 1 : 0;
      const step = start >= 0 ? 1 : -1;
      let found = -1;
      for (let i = from; start >= 0 ? i <= end : i >= end; i += step) {
        if (i <= 0 || i >= argc) continue;
        if (args[i].toLowerCase() === kw) {
          found = i;
          break;
        }
      }
      if (found < 0) continue;
      first = found + 1;
    } else continue;
    if (first >= argc) continue;
    const fkType = mapGet(fk ?? null, 'type');
    const fkSpec = mapGet(fk ?? null, 'spec') ?? null;
    let last: number;
    let step: number;
    if (fkType === 'range') {
      const lastkey = mapGet(fkSpec, 'lastkey') as number;
      const limit = mapGet(fkSpec, 'limit') as number;
      step = mapGet(fkSpec, 'keystep') as number;
      if (lastkey >= 0) last = first + lastkey;
      else if (!limit) last = argc + lastkey;
      else last = first + (Math.floor((argc - first) / limit) + lastkey);
    } else if (fkType === 'keynum') {
      const keynumidx = mapGet(fkSpec, 'keynumidx') as number;
      if (keynumidx >= argc - first) continue;
      const s = args[first + keynumidx];
      if (!/^(0|-?[1-9]\d*)$/.test(s) || Number(s) < 0) continue;
      first += mapGet(fkSpec, 'firstkey') as number;
      last = first + Number(s) - 1;
      step = mapGet(fkSpec, 'keystep') as number;
    } else continue;
    for (let i = first; i <= last; i += step) {
      if (i >= argc || i < first) break;
      out.push({ pos: i, flags });
    }
  }
  return out;
}

/** A key spec flags node as COMMAND replies it (a set of status strings). */
function flagsNode(...names: string[]): RespNode {
  return { t: '~', v: names.map((v) => ({ t: '+', v })) } as RespNode;
}

const FLAGS_RO = flagsNode('RO', 'access');
const FLAGS_OW = flagsNode('OW', 'update');
const FLAGS_RW_UPDATE = flagsNode('RW', 'access', 'update');
const FLAGS_RW_DELETE = flagsNode('RW', 'access', 'delete');

/** SORT's keys as Redis sortGetKeys: the sorted key, and the last STORE destination. */
function sortGetKeys(args: string[]): KeyRef[] {
  const out: KeyRef[] = [{ pos: 1, flags: FLAGS_RO }];
  let store = -1;
  for (let i = 2; i < args.length; i++) {
    const a = args[i].toLowerCase();
    if (a === 'limit') i += 2;
    else if (a === 'store' && i + 1 < args.length) store = i + 1;
    else if (a === 'get' || a === 'by') i += 1;
  }
  if (store >= 0) out.push({ pos: store, flags: FLAGS_OW });
  return out;
}

/** MIGRATE's keys as Redis migrateGetKeys: argv[3], or those after KEYS (none if argv[3] is not empty). */
function migrateGetKeys(args: string[]): KeyRef[] {
  let first = 3;
  let num = 1;
  const skip: Record<string, number> = { copy: 0, replace: 0, auth: 1, auth2: 2 };
  for (let i = 6; i < args.length; i++) {
    const a = args[i].toLowerCase();
    if (a === 'keys') {
      if (args[3].length > 0) num = 0;
      else {
        first = i + 1;
        num = args.length - first;
      }
      break;
    }
    i += skip[a] ?? 0;
  }
  const out: KeyRef[] = [];
  for (let i = 0; i < num; i++) out.push({ pos: first + i, flags: FLAGS_RW_DELETE });
  return out;
}

/** SET's key flags as Redis setGetKeys: RW with GET, else OW. */
function setGetKeys(args: string[]): KeyRef[] {
  for (let i = 3; i < args.length; i++) if (args[i].toLowerCase() === 'get') return [{ pos: 1, flags: FLAGS_RW_UPDATE }];
  return [{ pos: 1, flags: FLAGS_OW }];
}

/**
 * True when a BITFIELD call only reads (GET and OVERFLOW subcommands, well formed), as Redis
 * bitfieldGetKeys decides; used for its key flags and its ACL permission.
 */
export function bitfieldReadOnly(args: string[]): boolean {
  for (let i = 2; i < args.length; i++) {
    const rem = args.length - i - 1;
    const a = args[i].toLowerCase();
    if (a === 'get' && rem >= 2) i += 2;
    else if (a === 'overflow' && rem >= 1) i += 1;
    else return false;
  }
  return true;
}

/** BITFIELD's key flags as Redis bitfieldGetKeys: RO when only GET/OVERFLOW, else RW update. */
function bitfieldGetKeys(args: string[]): KeyRef[] {
  return [{ pos: 1, flags: bitfieldReadOnly(args) ? FLAGS_RO : FLAGS_RW_UPDATE }];
}

/**
 * The native key finders Redis falls back to when a command's key specs are not enough (an
 * `unknown` begin_search, `incomplete` or `variable_flags` specs): db.c sortGetKeys,
 * migrateGetKeys, setGetKeys, bitfieldGetKeys.
 */
const GETKEYS_PROCS: Record<string, (args: string[]) => KeyRef[]> = {
  sort: sortGetKeys,
  migrate: migrateGetKeys,
  set: setGetKeys,
  bitfield: bitfieldGetKeys,
};

/**
 * The keys of a command line with their flags (Redis getKeysFromCommandWithSpecs): the key
 * specs when they are complete and their flags fixed, else the command's native key finder.
 */
export function getKeysWithFlags(cmd: Command, args: string[]): KeyRef[] {
  const proc = GETKEYS_PROCS[cmd.fullName];
  if (proc !== undefined) {
    let reliable = true;
    for (const spec of elements(cmd.info[8])) {
      const flags = elements(mapGet(spec, 'flags') ?? null).map((f) => String((f as { v: unknown }).v ?? f));
      const bs = mapGet(mapGet(spec, 'begin_search') ?? null, 'type');
      if (flags.includes('variable_flags') || flags.includes('incomplete') || bs === 'unknown') reliable = false;
    }
    if (!reliable) return proc(args);
  }
  return getKeysFromSpecs(cmd, args);
}
