/**
 * ACL and its subcommands: SETUSER, DELUSER, GETUSER, LIST, USERS, WHOAMI, CAT, DRYRUN, GENPASS,
 * LOG, LOAD, SAVE, HELP. The user model, checks and log live in src/server/acl.ts.
 * Source: Redis 7.0 acl.c (aclCommand, aclAddReplySelectorDescription, aclCatWithFlags).
 */
import {
  type Acl,
  AclRuleError,
  CATEGORIES,
  DENIED_AUTH,
  DENIED_CHANNEL,
  DENIED_CMD,
  DENIED_KEY,
  aclOf,
  categoryFlag,
  commandsInCategory,
  hasSpaces,
  mergeSelectorArgs,
} from '../../server/acl.js';
import type { Client } from '../../server/client.js';
import { parseInt64 } from '../args.js';
import { lookupCommand } from '../table.js';
import type { CommandDef } from '../types.js';
import { replyHelp } from '../../protocol/respTree.js';

const NO_ACL_FILE =
  'ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.';

/** ACL SETUSER name rule ...: all rules are applied to a copy first; nothing changes on an error. */
function aclSetuserCommand(c: Client, argv: string[]): void {
  const acl = aclOf(c.server);
  const name = argv[2];
  if (hasSpaces(name)) {
    c.error("ERR Usernames can't contain spaces or null characters");
    return;
  }
  const merged = mergeSelectorArgs(argv.slice(3));
  if ('unmatched' in merged) {
    c.error(`ERR Unmatched parenthesis in acl selector starting at '${argv[3 + merged.unmatched]}'.`);
    return;
  }
  const temp = acl.newUser(name);
  const u = acl.users.get(name);
  if (u) temp.copyFrom(u);
  for (const op of merged.args) {
    try {
      temp.apply(op, acl.pubsubDefault);
    } catch (e) {
      if (!(e instanceof AclRuleError)) throw e;
      c.error(`ERR Error in ACL SETUSER modifier '${op}': ${e.message}`);
      return;
    }
  }
  if (u) acl.killPubsubClientsIfNeeded(temp, u);
  let target = u;
  if (target === undefined) {
    target = acl.newUser(name);
    acl.users.set(name, target);
  }
  target.copyFrom(temp);
  acl.refreshClients(target);
  c.reply.ok();
}

/** ACL DELUSER name ...: `default` cannot be removed; clients of removed users are disconnected. */
function aclDeluserCommand(c: Client, argv: string[]): void {
  for (let i = 2; i < argv.length; i++) {
    if (argv[i] === 'default') {
      c.error("ERR The 'default' user cannot be removed");
      return;
    }
  }
  const acl = aclOf(c.server);
  let deleted = 0;
  for (let i = 2; i < argv.length; i++) {
    const u = acl.users.get(argv[i]);
    if (u === undefined) continue;
    acl.users.delete(argv[i]);
    acl.killClientsOf(u, c);
    deleted++;
  }
  c.reply.integer(deleted);
}

/** The commands/keys/channels fields of one selector (Redis aclAddReplySelectorDescription). */
function replySelector(c: Client, d: { commands: string; keys: string; channels: string }): void {
  c.reply.bulk('commands');
  c.reply.bulk(d.commands);
  c.reply.bulk('keys');
  c.reply.bulk(d.keys);
  c.reply.bulk('channels');
  c.reply.bulk(d.channels);
}

/** ACL GETUSER name: flags, passwords, the root selector's rules, the other selectors (nil if unknown). */
function aclGetuserCommand(c: Client, argv: string[]): void {
  const u = aclOf(c.server).users.get(argv[2]);
  if (u === undefined) {
    c.reply.nullBulk();
    return;
  }
  const d = u.describeParts();
  const w = c.reply;
  w.mapLen(6);
  w.bulk('flags');
  w.setLen(d.flags.length);
  for (const f of d.flags) w.bulk(f);
  w.bulk('passwords');
  w.arrayLen(u.passwords.length);
  for (const p of u.passwords) w.bulk(p);
  replySelector(c, d.selectors[0]);
  w.bulk('selectors');
  w.arrayLen(d.selectors.length - 1);
  for (let i = 1; i < d.selectors.length; i++) {
    w.mapLen(3);
    replySelector(c, d.selectors[i]);
  }
}

/** ACL LIST / ACL USERS: every user, sorted by name. */
function aclListCommand(c: Client): void {
  const users = aclOf(c.server).sortedUsers();
  c.reply.arrayLen(users.length);
  for (const u of users) c.reply.bulk(`user ${u.name} ${u.describe()}`);
}

function aclUsersCommand(c: Client): void {
  const users = aclOf(c.server).sortedUsers();
  c.reply.arrayLen(users.length);
  for (const u of users) c.reply.bulk(u.name);
}

/** ACL CAT [category]: the categories, or the commands (and subcommands) in one. */
function aclCatCommand(c: Client, argv: string[]): void {
  if (argv.length === 2) {
    c.reply.arrayLen(CATEGORIES.length);
    for (const cat of CATEGORIES) c.reply.bulk(cat);
    return;
  }
  if (argv.length > 3) {
    // Redis aclCommand: CAT takes at most one category.
    c.error(`ERR unknown subcommand or wrong number of arguments for '${argv[1].slice(0, 128)}'. Try ${argv[0].toUpperCase()} HELP.`);
    return;
  }
  const flag = categoryFlag(argv[2]);
  if (flag === 0) {
    c.error(`ERR Unknown category '${argv[2].slice(0, 128)}'`);
    return;
  }
  const out = commandsInCategory(flag);
  c.reply.arrayLen(out.length);
  for (const n of out) c.reply.bulk(n);
}

/** ACL DRYRUN user command [arg ...]: OK, or (as a bulk string) why the user may not run it. */
function aclDryrunCommand(c: Client, argv: string[]): void {
  const acl = aclOf(c.server);
  const u = acl.users.get(argv[2]);
  if (u === undefined) {
    c.error(`ERR User '${argv[2]}' not found`);
    return;
  }
  const args = argv.slice(3);
  let cmd = lookupCommand(args[0]);
  if (cmd !== undefined && cmd.subcommands !== null && args.length >= 2) cmd = cmd.subcommands.get(args[1].toLowerCase());
  if (cmd === undefined) {
    c.error(`ERR Command '${args[0]}' not found`);
    return;
  }
  if ((cmd.arity > 0 && cmd.arity !== args.length) || args.length < -cmd.arity) {
    c.error(`ERR wrong number of arguments for '${cmd.fullName}' command`);
    return;
  }
  const [r, idx] = acl.checkUser(u, cmd, args);
  if (r === DENIED_CMD) c.reply.bulk(`This user has no permissions to run the '${cmd.fullName}' command`);
  else if (r === DENIED_KEY) c.reply.bulk(`This user has no permissions to access the '${args[idx]}' key`);
  else if (r === DENIED_CHANNEL) c.reply.bulk(`This user has no permissions to access the '${args[idx]}' channel`);
  else c.reply.ok();
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
    process
      .getBuiltinModule('node:crypto')
      .randomBytes(Math.ceil(chars / 2))
      .toString('hex')
      .slice(0, chars),
  );
}

/** ACL LOG `reason` text of a DENIED_* value. */
function reasonName(r: number): string {
  if (r === DENIED_CMD) return 'command';
  if (r === DENIED_KEY) return 'key';
  if (r === DENIED_CHANNEL) return 'channel';
  if (r === DENIED_AUTH) return 'auth';
  return 'unknown';
}

/** ACL LOG [count | RESET]: the newest entries first (default 10). */
function aclLogCommand(c: Client, argv: string[]): void {
  const acl: Acl = aclOf(c.server);
  let count = 10;
  if (argv.length === 3) {
    if (argv[2].toLowerCase() === 'reset') {
      acl.log = [];
      c.reply.ok();
      return;
    }
    const v = parseInt64(argv[2]);
    if (v === null) {
      c.error('ERR value is not an integer or out of range');
      return;
    }
    count = v < 0 ? 0 : Number(v);
  }
  count = Math.min(count, acl.log.length);
  const now = Date.now();
  const w = c.reply;
  w.arrayLen(count);
  for (let i = 0; i < count; i++) {
    const e = acl.log[i];
    w.mapLen(7);
    w.bulk('count');
    w.integer(e.count);
    w.bulk('reason');
    w.bulk(reasonName(e.reason));
    w.bulk('context');
    w.bulk(e.context);
    w.bulk('object');
    w.bulk(e.object);
    w.bulk('username');
    w.bulk(e.username);
    w.bulk('age-seconds');
    w.double((now - e.ctime) / 1000);
    w.bulk('client-info');
    w.bulk(e.cinfo);
  }
}

/** ACL LOAD: replaces the users with the ACL file's (nothing changes when it has errors). */
function aclLoadCommand(c: Client): void {
  const file = c.server.config.str('aclfile');
  if (file === '') {
    c.error(NO_ACL_FILE);
    return;
  }
  const err = aclOf(c.server).loadFile(file, c);
  if (err === null) c.reply.ok();
  else c.error(`ERR ${err}`);
}

/** ACL SAVE: writes every user to the ACL file. */
function aclSaveCommand(c: Client): void {
  const file = c.server.config.str('aclfile');
  if (file === '') {
    c.error(NO_ACL_FILE);
    return;
  }
  if (aclOf(c.server).saveFile(file)) c.reply.ok();
  else c.error('ERR There was an error trying to save the ACLs. Please check the server logs for more information');
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
    { name: 'whoami', handler: (c) => c.reply.bulk(c.user.name) },
    { name: 'users', handler: aclUsersCommand },
    { name: 'setuser', handler: aclSetuserCommand },
    { name: 'list', handler: aclListCommand },
    { name: 'getuser', handler: aclGetuserCommand },
    { name: 'cat', handler: aclCatCommand },
    { name: 'dryrun', handler: aclDryrunCommand },
    { name: 'genpass', handler: aclGenpassCommand },
    { name: 'log', handler: aclLogCommand },
    { name: 'deluser', handler: aclDeluserCommand },
    { name: 'save', handler: aclSaveCommand },
    { name: 'load', handler: aclLoadCommand },
    { name: 'help', handler: (c) => replyHelp(c.reply, HELP) },
  ],
};
