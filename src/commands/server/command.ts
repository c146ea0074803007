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
import { elements, replyHelp, writeNode } from '../../protocol/respTree.js';
import { getKeysWithFlags } from '../../server/keySpecs.js';
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
