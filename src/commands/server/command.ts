/**
 * COMMAND and its subcommands: COUNT, INFO, DOCS, LIST, GETKEYS, GETKEYSANDFLAGS, HELP.
 * Replies replay Redis 7.0's own metadata trees (table.ts), limited to the commands Keydra implements.
 * Source: Redis 7.0 server.c (commandCommand, commandInfoCommand, commandDocsCommand,
 * commandListCommand, commandGetKeysCommand), db.c getKeysUsingKeySpecs.
 */
import type { RespNode } from '../../protocol/decoder.js';
import type { Client } from '../../server/client.js';
import { type Command, commands, lookupByFullName, lookupCommand } from '../table.js';
import { CmdFlag, type CommandDef } from '../types.js';
import { elements, mapGet, replyHelp, writeNode } from './respTree.js';
import { globMatch } from '../../store/glob.js';

/** Every implemented command and subcommand, containers first (COMMAND LIST order). */
function allWithSubcommands(): Command[] {
  const out: Command[] = [];
  for (const cmd of commands) {
    out.push(cmd);
    if (cmd.subcommands) for (const s of cmd.subcommands.values()) out.push(s);
  }
  return out;
}

/** COMMAND: the info entry of every command. */
function commandCommand(c: Client): void {
  c.reply.arrayLen(commands.length);
  for (const cmd of commands) writeNode(c.reply, cmd.info);
}

/** COMMAND COUNT. */
function commandCountCommand(c: Client): void {
  c.reply.integer(commands.length);
}

/** COMMAND INFO [name ...]: info entries; an unknown name gives a null (Redis addReplyNull). */
function commandInfoCommand(c: Client, argv: string[]): void {
  if (argv.length === 2) {
    commandCommand(c);
    return;
  }
  c.reply.arrayLen(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const cmd = lookupByFullName(argv[i]);
    if (cmd) writeNode(c.reply, cmd.info);
    else c.reply.nullBulk();
  }
}

/** COMMAND DOCS [name ...]: a map from name to docs; unknown names are left out. */
function commandDocsCommand(c: Client, argv: string[]): void {
  const picked: Command[] = [];
  if (argv.length === 2) picked.push(...commands);
  else
    for (let i = 2; i < argv.length; i++) {
      const cmd = lookupByFullName(argv[i]);
      if (cmd) picked.push(cmd);
    }
  c.reply.mapLen(picked.length);
  for (const cmd of picked) {
    c.reply.bulk(cmd.fullName);
    writeNode(c.reply, filterDocs(cmd));
  }
}

/** A command's docs with its subcommands map limited to the implemented subcommands. */
function filterDocs(cmd: Command): RespNode {
  const docs = cmd.docs;
  if (!cmd.subcommands || docs === null || typeof docs !== 'object' || Array.isArray(docs) || docs.t !== '%') return docs;
  const v = docs.v.slice();
  for (let i = 0; i < v.length; i += 2) {
    if (v[i] !== 'subcommands') continue;
    const subs = (v[i + 1] as { v: RespNode[] }).v;
    const kept: RespNode[] = [];
    for (let j = 0; j < subs.length; j += 2) {
      if (lookupByFullName(subs[j] as string)) kept.push(subs[j], subs[j + 1]);
    }
    v[i + 1] = { t: '%', v: kept };
  }
  return { t: '%', v };
}

/** COMMAND LIST [FILTERBY MODULE name | ACLCAT cat | PATTERN pattern]. */
function commandListCommand(c: Client, argv: string[]): void {
  let filter: ((cmd: Command) => boolean) | null = null;
  if (argv.length === 5 && argv[2].toLowerCase() === 'filterby') {
    const kind = argv[3].toLowerCase();
    const arg = argv[4];
    if (kind === 'module') filter = () => false;
    else if (kind === 'aclcat') {
      const cat = `@${arg.toLowerCase()}`;
      filter = (cmd) => elements(cmd.info[6]).some((n) => (n as { v: string }).v === cat);
    } else if (kind === 'pattern') filter = (cmd) => globMatch(arg, cmd.fullName, true);
  }
  if (argv.length !== 2 && filter === null) {
    c.error('ERR syntax error');
    return;
  }
  const list = allWithSubcommands().filter((cmd) => filter === null || filter(cmd));
  c.reply.arrayLen(list.length);
  for (const cmd of list) c.reply.bulk(cmd.fullName);
}

/** One key found in argv: its position and the key spec's flags node (a set of status strings). */
interface KeyRef {
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

/** Shared body of GETKEYS and GETKEYSANDFLAGS. */
function getKeysGeneric(c: Client, argv: string[], withFlags: boolean): void {
  const args = argv.slice(2);
  let cmd = lookupCommand(args[0]);
  if (cmd?.subcommands && args.length >= 2) cmd = cmd.subcommands.get(args[1].toLowerCase());
  if (!cmd) {
    c.error('ERR Invalid command specified');
    return;
  }
  if (elements(cmd.info[8]).length === 0) {
    c.error('ERR The command has no key arguments');
    return;
  }
  if ((cmd.arity > 0 && cmd.arity !== args.length) || args.length < -cmd.arity) {
    c.error('ERR Invalid number of arguments specified for command');
    return;
  }
  const keys = getKeysWithFlags(cmd, args);
  if (keys.length === 0) {
    if (cmd.flags & CmdFlag.NoMandatoryKeys) c.reply.arrayLen(0);
    else c.error('ERR Invalid arguments specified for command');
    return;
  }
  c.reply.arrayLen(keys.length);
  for (const k of keys) {
    if (withFlags) {
      c.reply.arrayLen(2);
      c.reply.bulk(args[k.pos]);
      writeNode(c.reply, k.flags);
    } else c.reply.bulk(args[k.pos]);
  }
}

const HELP = [
  'COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  '(no subcommand)',
  '    Return details about all Redis commands.',
  'COUNT',
  '    Return the total number of commands in this Redis server.',
  'LIST',
  '    Return a list of all commands in this Redis server.',
  'INFO [<command-name> ...]',
  '    Return details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'DOCS [<command-name> ...]',
  '    Return documentation details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'GETKEYS <full-command>',
  '    Return the keys from a full Redis command.',
  'GETKEYSANDFLAGS <full-command>',
  '    Return the keys and the access flags from a full Redis command.',
  'HELP',
  '    Prints this help.',
];

export const commandDef: CommandDef = {
  name: 'command',
  handler: commandCommand,
  subcommands: [
    { name: 'count', handler: commandCountCommand },
    { name: 'info', handler: commandInfoCommand },
    { name: 'docs', handler: commandDocsCommand },
    { name: 'list', handler: commandListCommand },
    { name: 'getkeys', handler: (c, argv) => getKeysGeneric(c, argv, false) },
    { name: 'getkeysandflags', handler: (c, argv) => getKeysGeneric(c, argv, true) },
    { name: 'help', handler: (c) => replyHelp(c.reply, HELP) },
  ],
};
