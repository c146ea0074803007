/**
 * ACL for a server whose only user is `default` (its password is `requirepass`): WHOAMI, USERS,
 * LIST, GETUSER, CAT, DRYRUN, GENPASS, LOG, DELUSER (refused for `default`), SAVE/LOAD (no ACL
 * file), HELP. ACL SETUSER (more users, permissions) is not implemented.
 * Source: Redis 7.0 acl.c (aclCommand, ACLDescribeUser, aclCatWithFlags, ACLDefaultUserPass).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Client } from '../../server/client.js';
import { resolveCommand } from '../../server/dispatch.js';
import { parseInt64 } from '../args.js';
import { commands, type Command, lookupCommand } from '../table.js';
import type { CommandDef } from '../types.js';
import { elements, replyHelp } from './respTree.js';

/** Redis ACLCommandCategories, in Redis's order (ACL CAT). */
const CATEGORIES = [
  'keyspace',
  'read',
  'write',
  'set',
  'sortedset',
  'list',
  'hash',
  'string',
  'bitmap',
  'hyperloglog',
  'geo',
  'stream',
  'pubsub',
  'admin',
  'fast',
  'slow',
  'blocking',
  'dangerous',
  'connection',
  'transaction',
  'scripting',
];

const NO_ACL_FILE =
  'ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.';

/** SHA-256 hex of the default user's password, or null for `nopass`. */
function passHash(c: Client): string | null {
  const pw = c.server.config.str('requirepass');
  return pw === '' ? null : createHash('sha256').update(Buffer.from(pw, 'latin1')).digest('hex');
}

/** ACL LIST: the default user in config-file form. */
function aclListCommand(c: Client): void {
  const h = passHash(c);
  c.reply.arrayLen(1);
  c.reply.bulk(`user default on ${h === null ? 'nopass' : `#${h}`} ~* &* +@all`);
}

/** ACL GETUSER name: flags, passwords, commands, keys, channels, selectors (nil for unknown users). */
function aclGetuserCommand(c: Client, argv: string[]): void {
  if (argv[2] !== 'default') {
    c.reply.nullBulk();
    return;
  }
  const h = passHash(c);
  const w = c.reply;
  w.mapLen(6);
  w.bulk('flags');
  w.setLen(h === null ? 2 : 1);
  w.bulk('on');
  if (h === null) w.bulk('nopass');
  w.bulk('passwords');
  w.arrayLen(h === null ? 0 : 1);
  if (h !== null) w.bulk(h);
  w.bulk('commands');
  w.bulk('+@all');
  w.bulk('keys');
  w.bulk('~*');
  w.bulk('channels');
  w.bulk('&*');
  w.bulk('selectors');
  w.arrayLen(0);
}

/** The ACL categories of a command, without the `@`. */
function categoriesOf(cmd: Command): string[] {
  return elements(cmd.info[6]).map((n) => String((n as { v: string }).v ?? n).replace(/^@/, ''));
}

/** ACL CAT [category]: the categories, or the commands (and subcommands) in one. */
function aclCatCommand(c: Client, argv: string[]): void {
  if (argv.length === 2) {
    c.reply.arrayLen(CATEGORIES.length);
    for (const cat of CATEGORIES) c.reply.bulk(cat);
    return;
  }
  const cat = argv[2].toLowerCase();
  if (!CATEGORIES.includes(cat)) {
    c.error(`ERR Unknown category '${argv[2]}'`);
    return;
  }
  const out: string[] = [];
  const visit = (cmd: Command): void => {
    if (categoriesOf(cmd).includes(cat)) out.push(cmd.fullName);
    if (cmd.subcommands) for (const s of cmd.subcommands.values()) visit(s);
  };
  for (const cmd of commands) visit(cmd);
  c.reply.arrayLen(out.length);
  for (const n of out) c.reply.bulk(n);
}

/** ACL DRYRUN user command [arg ...]: OK when the (all-permitted) default user may run it. */
function aclDryrunCommand(c: Client, argv: string[]): void {
  if (argv[2] !== 'default') {
    c.error(`ERR User '${argv[2]}' not found`);
    return;
  }
  if (lookupCommand(argv[3]) === undefined) {
    c.error(`ERR Command '${argv[3]}' not found`);
    return;
  }
  // Arity and subcommand errors are replied as the dispatcher replies them.
  if (resolveCommand(c, argv.slice(3)) === null) return;
  c.reply.ok();
}

/** ACL GENPASS [bits]: random hex, ceil(bits/4) digits (default 256 bits). */
function aclGenpassCommand(c: Client, argv: string[]): void {
  let bits = 256;
  if (argv.length === 3) {
    const v = parseInt64(argv[2]);
    if (v === null) {
      c.error('ERR value is not an integer or out of range');
      return;
    }
    if (v <= 0 || v > 4096) {
      c.error('ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096');
      return;
    }
    bits = Number(v);
  }
  const chars = Math.ceil(bits / 4);
  c.reply.bulk(
    randomBytes(Math.ceil(chars / 2))
      .toString('hex')
      .slice(0, chars),
  );
}

/** ACL LOG [count | RESET]: no denials are ever logged (a single all-permitted user). */
function aclLogCommand(c: Client, argv: string[]): void {
  if (argv.length === 3) {
    if (argv[2].toLowerCase() === 'reset') {
      c.reply.ok();
      return;
    }
    if (parseInt64(argv[2]) === null) {
      c.error('ERR value is not an integer or out of range');
      return;
    }
  }
  c.reply.arrayLen(0);
}

/** ACL DELUSER name ...: `default` cannot be removed; other names do not exist (0 deleted). */
function aclDeluserCommand(c: Client, argv: string[]): void {
  for (let i = 2; i < argv.length; i++) {
    if (argv[i] === 'default') {
      c.error("ERR The 'default' user cannot be removed");
      return;
    }
  }
  c.reply.integer(0);
}

const HELP = [
  'ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CAT [<category>]',
  '    List all commands that belong to <category>, or all command categories',
  '    when no category is specified.',
  'DELUSER <username> [<username> ...]',
  '    Delete a list of users.',
  'DRYRUN <username> <command> [<arg> ...]',
  '    Returns whether the user can execute the given command without executing the command.',
  'GETUSER <username>',
  "    Get the user's details.",
  'GENPASS [<bits>]',
  '    Generate a secure 256-bit user password. The optional `bits` argument can',
  '    be used to specify a different size.',
  'LIST',
  '    Show users details in config file format.',
  'LOAD',
  '    Reload users from the ACL file.',
  'LOG [<count> | RESET]',
  '    Show the ACL log entries.',
  'SAVE',
  '    Save the current config to the ACL file.',
  'SETUSER <username> <attribute> [<attribute> ...]',
  '    Create or modify a user with the specified attributes.',
  'USERS',
  '    List all the registered usernames.',
  'WHOAMI',
  '    Return the current connection username.',
  'HELP',
  '    Prints this help.',
];

/** ACL and its implemented subcommands. */
export const aclDef: CommandDef = {
  name: 'acl',
  subcommands: [
    { name: 'whoami', handler: (c) => c.reply.bulk('default') },
    {
      name: 'users',
      handler: (c) => {
        c.reply.arrayLen(1);
        c.reply.bulk('default');
      },
    },
    { name: 'list', handler: aclListCommand },
    { name: 'getuser', handler: aclGetuserCommand },
    { name: 'cat', handler: aclCatCommand },
    { name: 'dryrun', handler: aclDryrunCommand },
    { name: 'genpass', handler: aclGenpassCommand },
    { name: 'log', handler: aclLogCommand },
    { name: 'deluser', handler: aclDeluserCommand },
    { name: 'save', handler: (c) => c.error(NO_ACL_FILE) },
    { name: 'load', handler: (c) => c.error(NO_ACL_FILE) },
    { name: 'help', handler: (c) => replyHelp(c.reply, HELP) },
  ],
};
