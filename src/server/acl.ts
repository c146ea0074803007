/**
 * ACL: users, their selectors (command bits, key patterns, channel patterns), permission checks,
 * the ACL log and the ACL file. One `Acl` per server (aclOf); clients point at their `AclUser`.
 *
 * The command universe is Redis 7.0's command table as recorded in redis-commands.json (the same
 * metadata COMMAND INFO replies with), so rules may name commands Keydra does not implement and
 * categories count the same commands as in Redis. Each command (and subcommand) gets an id; a
 * selector keeps one allow byte per id plus a reserved last byte, set only by +@all/allcommands,
 * telling "future commands" apart when the rules are described.
 *
 * The dispatcher calls aclCheck only for clients whose user is not unrestricted (`c.unrestricted`).
 * Source: Redis 7.0 acl.c (ACLSetUser, ACLSetSelector, ACLDescribeUser, ACLCheckAllUserCommandPerm,
 * addACLLogEntry, ACLLoadFromFile, ACLSaveToFile), server.c processCommand, script.c scriptVerifyACL.
 */
// The command table first: it loads every family (command.ts among them) in its own order; entering
// through command.ts would evaluate the server family before command.ts is initialised.
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { bitfieldReadOnly, getKeysFromSpecs } from './keySpecs.js';
import { commandSpecs } from '../assets/index.js';
import type { Command } from './command.js';
import { splitArgs } from '../protocol/parser.js';
import type { RespNode } from '../protocol/decoder.js';
import { globMatch } from '../store/glob.js';
import type { Client } from './client.js';
import type { KeydraServer } from './server.js';

// ---- command universe -------------------------------------------------------------------------

/** Redis ACLCommandCategories, in Redis's order (ACL CAT, best-fit description). */
export const CATEGORIES = [
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

/** One command of the ACL universe (a top-level command or a subcommand). */
export interface AclCommand {
  id: number;
  /** `get`, `config|get`. */
  fullName: string;
  /** Bit j set when the command is in CATEGORIES[j]. */
  cats: number;
  parent: AclCommand | null;
  /** Subcommands by lowercase name, or null. */
  subs: Map<string, AclCommand> | null;
  /** Commands with the no_auth flag pass every command rule (Redis CMD_NO_AUTH). */
  noAuth: boolean;
}

interface SpecFile {
  commands: Record<string, { info: RespNode[] }>;
}

/** Names of the status strings in a set node (`{t:'~', v:[{t:'+', v:'@read'}]}`). */
function statusNames(n: RespNode): string[] {
  const v = (n as { v?: unknown }).v;
  if (!Array.isArray(v)) return [];
  return v.map((e) => String((e as { v?: unknown }).v ?? e));
}

/** Top-level commands in table order, every command by full name, and the id count. */
let universe: { top: AclCommand[]; byName: Map<string, AclCommand>; count: number } | null = null;

function buildUniverse(): NonNullable<typeof universe> {
  const specs = commandSpecs() as unknown as SpecFile['commands'];
  const byName = new Map<string, AclCommand>();
  const top: AclCommand[] = [];
  let id = 0;
  const make = (info: RespNode[], parent: AclCommand | null): AclCommand => {
    let cats = 0;
    for (const c of statusNames(info[6])) {
      const j = CATEGORIES.indexOf(c.replace(/^@/, ''));
      if (j >= 0) cats |= 1 << j;
    }
    const cmd: AclCommand = {
      id: id++,
      fullName: info[0] as string,
      cats,
      parent,
      subs: null,
      noAuth: statusNames(info[2]).includes('no_auth'),
    };
    byName.set(cmd.fullName, cmd);
    const subInfos = info[9];
    if (Array.isArray(subInfos) && subInfos.length > 0) {
      cmd.subs = new Map();
      for (const si of subInfos as RespNode[][]) {
        const sub = make(si, cmd);
        cmd.subs.set(sub.fullName.slice(cmd.fullName.length + 1), sub);
      }
    }
    return cmd;
  };
  for (const name of Object.keys(specs)) top.push(make(specs[name].info, null));
  return { top, byName, count: id };
}

function cmds(): NonNullable<typeof universe> {
  if (universe === null) universe = buildUniverse();
  return universe;
}

/** The ACL command for a runtime command. */
function aclCommandOf(cmd: Command): AclCommand | undefined {
  return cmds().byName.get(cmd.fullName);
}

/** Redis ACLLookupCommand: `name` or `name|sub` (any case); undefined if unknown. */
function lookupAclCommand(name: string): AclCommand | undefined {
  const parts = name.toLowerCase().split('|');
  if (parts.length > 2) return undefined;
  const base = cmds().byName.get(parts[0]);
  if (base === undefined || base.parent !== null || parts.length === 1) return base;
  return base.subs?.get(parts[1]);
}

/** Visits every command, each top-level command followed by its subcommands (Redis dict walk). */
function forEachCommand(f: (c: AclCommand) => void, list: Iterable<AclCommand> = cmds().top): void {
  for (const c of list) {
    f(c);
    if (c.subs) forEachCommand(f, c.subs.values());
  }
}

/** The category's bit, or 0 for an unknown category (case-insensitive). */
export function categoryFlag(name: string): number {
  const j = CATEGORIES.indexOf(name.toLowerCase());
  return j < 0 ? 0 : 1 << j;
}

/** ACL CAT category: full names of the commands and subcommands in the category. */
export function commandsInCategory(flag: number): string[] {
  const out: string[] = [];
  forEachCommand((c) => {
    if (c.cats & flag) out.push(c.fullName);
  });
  return out;
}

// ---- selectors and users ----------------------------------------------------------------------

const SEL_ROOT = 1;
const SEL_ALLKEYS = 2;
const SEL_ALLCHANNELS = 4;
const SEL_ALLCOMMANDS = 8;

const PERM_READ = 1;
const PERM_WRITE = 2;
const PERM_ALL = 3;

const USER_ENABLED = 1;
const USER_DISABLED = 2;
const USER_NOPASS = 4;
const USER_SKIP_SANITIZE = 8;
const USER_SANITIZE = 16;
/** Redis ACLUserFlags, in the order ACL LIST/GETUSER emit them. */
const USER_FLAGS: [string, number][] = [
  ['on', USER_ENABLED],
  ['off', USER_DISABLED],
  ['nopass', USER_NOPASS],
  ['skip-sanitize-payload', USER_SKIP_SANITIZE],
  ['sanitize-payload', USER_SANITIZE],
];

/** A failed rule: the text of Redis ACLSetUserStringError. */
export class AclRuleError extends Error {}

const E_ENOENT = 'Unknown command or category name in ACL';
const E_EINVAL = 'Syntax error';
const E_EEXIST =
  "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns";
const E_EISDIR =
  "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels";
const E_ENODEV = 'The password you are trying to remove from the user does not exist';
const E_EBADMSG = 'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters';
const E_ECHILD = 'Allowing first-arg of a subcommand is not supported';

/** A key pattern with its permissions (PERM_READ/PERM_WRITE bits). */
interface KeyPattern {
  pattern: string;
  flags: number;
}

/** Redis aclSelector: what one selector allows. */
class Selector {
  flags: number;
  /** allowed[id] = 1 when the command is allowed; the last byte is the "future commands" bit. */
  allowed: Uint8Array;
  /** Allowed first arguments of otherwise denied commands (+select|0), by command id. */
  firstArgs: Map<number, string[]> | null = null;
  patterns: KeyPattern[] = [];
  channels: string[] = [];

  constructor(flags: number) {
    this.flags = flags;
    this.allowed = new Uint8Array(cmds().count + 1);
  }

  copy(): Selector {
    const s = new Selector(this.flags);
    s.allowed.set(this.allowed);
    if (this.firstArgs) s.firstArgs = new Map([...this.firstArgs].map(([k, v]) => [k, [...v]]));
    s.patterns = this.patterns.map((p) => ({ ...p }));
    s.channels = [...this.channels];
    return s;
  }

  setBit(id: number, v: boolean): void {
    this.allowed[id] = v ? 1 : 0;
    if (!v) this.flags &= ~SEL_ALLCOMMANDS;
  }

  /** Redis ACLChangeSelectorPerm: the command and all its subcommands. */
  changePerm(c: AclCommand, allow: boolean): void {
    this.setBit(c.id, allow);
    this.firstArgs?.delete(c.id);
    if (c.subs) for (const s of c.subs.values()) this.setBit(s.id, allow);
  }

  setCategory(flag: number, allow: boolean): void {
    forEachCommand((c) => {
      if (c.cats & flag) this.changePerm(c, allow);
    });
  }

  /** Redis ACLCountCategoryBitsForSelector. */
  countCategory(flag: number): [number, number] {
    let on = 0;
    let off = 0;
    forEachCommand((c) => {
      if (c.cats & flag) {
        if (this.allowed[c.id]) on++;
        else off++;
      }
    });
    return [on, off];
  }

  /** Redis ACLSetSelector. @throws AclRuleError */
  apply(op: string): void {
    const lower = op.toLowerCase();
    if (lower === 'allkeys' || op === '~*') {
      this.flags |= SEL_ALLKEYS;
      this.patterns = [];
    } else if (lower === 'resetkeys') {
      this.flags &= ~SEL_ALLKEYS;
      this.patterns = [];
    } else if (lower === 'allchannels' || op === '&*') {
      this.flags |= SEL_ALLCHANNELS;
      this.channels = [];
    } else if (lower === 'resetchannels') {
      this.flags &= ~SEL_ALLCHANNELS;
      this.channels = [];
    } else if (lower === 'allcommands' || lower === '+@all') {
      this.allowed.fill(1);
      this.flags |= SEL_ALLCOMMANDS;
      this.firstArgs = null;
    } else if (lower === 'nocommands' || lower === '-@all') {
      this.allowed.fill(0);
      this.flags &= ~SEL_ALLCOMMANDS;
      this.firstArgs = null;
    } else if (op[0] === '~' || op[0] === '%') {
      if (this.flags & SEL_ALLKEYS) throw new AclRuleError(E_EEXIST);
      let flags = 0;
      let offset = 1;
      if (op[0] === '%') {
        for (; offset < op.length; offset++) {
          const ch = op[offset].toUpperCase();
          if (ch === 'R' && !(flags & PERM_READ)) flags |= PERM_READ;
          else if (ch === 'W' && !(flags & PERM_WRITE)) flags |= PERM_WRITE;
          else if (op[offset] === '~') {
            offset++;
            break;
          } else throw new AclRuleError(E_EINVAL);
        }
      } else flags = PERM_ALL;
      const pattern = op.slice(offset);
      if (hasSpaces(pattern)) throw new AclRuleError(E_EINVAL);
      const old = this.patterns.find((p) => p.pattern === pattern);
      if (old) old.flags |= flags;
      else this.patterns.push({ pattern, flags });
      this.flags &= ~SEL_ALLKEYS;
    } else if (op[0] === '&') {
      if (this.flags & SEL_ALLCHANNELS) throw new AclRuleError(E_EISDIR);
      const pattern = op.slice(1);
      if (hasSpaces(pattern)) throw new AclRuleError(E_EINVAL);
      if (!this.channels.includes(pattern)) this.channels.push(pattern);
      this.flags &= ~SEL_ALLCHANNELS;
    } else if (op[0] === '+' && op[1] !== '@') {
      const bar = op.lastIndexOf('|');
      if (bar < 0) {
        const c = lookupAclCommand(op.slice(1));
        if (c === undefined) throw new AclRuleError(E_ENOENT);
        this.changePerm(c, true);
      } else {
        const c = lookupAclCommand(op.slice(1, bar));
        const sub = op.slice(bar + 1);
        if (c === undefined) throw new AclRuleError(E_ENOENT);
        if (c.parent !== null) throw new AclRuleError(E_ECHILD);
        if (sub.length === 0) throw new AclRuleError(E_EINVAL);
        if (c.subs) {
          const s = lookupAclCommand(op.slice(1));
          if (s === undefined) throw new AclRuleError(E_ENOENT);
          this.changePerm(s, true);
        } else {
          this.firstArgs ??= new Map();
          const list = this.firstArgs.get(c.id) ?? [];
          if (!list.some((a) => a.toLowerCase() === sub.toLowerCase())) list.push(sub);
          this.firstArgs.set(c.id, list);
        }
      }
    } else if (op[0] === '-' && op[1] !== '@') {
      const c = lookupAclCommand(op.slice(1));
      if (c === undefined) throw new AclRuleError(E_ENOENT);
      this.changePerm(c, false);
    } else if ((op[0] === '+' || op[0] === '-') && op[1] === '@') {
      const flag = categoryFlag(op.slice(2));
      if (flag === 0) throw new AclRuleError(E_ENOENT);
      this.setCategory(flag, op[0] === '+');
    } else throw new AclRuleError(E_EINVAL);
  }

  /** Redis ACLDescribeSelectorCommandRules: +@all/-@all, best-fit categories, single commands. */
  describeCommands(): string {
    const fake = new Selector(0);
    let rules: string;
    const additive = this.allowed[this.allowed.length - 1] === 0;
    if (!additive) {
      rules = '+@all ';
      fake.apply('+@all');
    } else {
      rules = '-@all ';
      fake.apply('-@all');
    }
    const temp = new Selector(0);
    temp.allowed.set(this.allowed);
    const applied = new Array<boolean>(CATEGORIES.length).fill(false);
    for (;;) {
      let best = -1;
      let mindiff = 0x7fffffff;
      let maxsame = 0;
      for (let j = 0; j < CATEGORIES.length; j++) {
        if (applied[j]) continue;
        const [on, off] = temp.countCategory(1 << j);
        const diff = additive ? off : on;
        const same = additive ? on : off;
        if (same > diff && (diff < mindiff || (diff === mindiff && same > maxsame))) {
          best = j;
          mindiff = diff;
          maxsame = same;
        }
      }
      if (best === -1) break;
      const op = `${additive ? '+@' : '-@'}${CATEGORIES[best]}`;
      fake.apply(op);
      temp.apply(`${additive ? '-@' : '+@'}${CATEGORIES[best]}`);
      rules += `${op} `;
      applied[best] = true;
    }
    const single = (list: Iterable<AclCommand>): void => {
      for (const c of list) {
        const userbit = this.allowed[c.id] === 1;
        const fakebit = fake.allowed[c.id] === 1;
        if (userbit !== fakebit) {
          rules += `${userbit ? '+' : '-'}${c.fullName} `;
          fake.changePerm(c, userbit);
        }
        if (c.subs) single(c.subs.values());
        const fa = this.firstArgs?.get(c.id);
        if (!userbit && fa) for (const a of fa) rules += `+${c.fullName}|${a} `;
      }
    };
    single(cmds().top);
    return rules.slice(0, -1);
  }

  /** Redis ACLDescribeSelector: keys, channels, command rules. */
  describe(): string {
    let res = '';
    if (this.flags & SEL_ALLKEYS) res += '~* ';
    else for (const p of this.patterns) res += `${patternString(p)} `;
    if (this.flags & SEL_ALLCHANNELS) res += '&* ';
    else {
      res += 'resetchannels ';
      for (const ch of this.channels) res += `&${ch} `;
    }
    return res + this.describeCommands();
  }
}

function patternString(p: KeyPattern): string {
  return `${p.flags === PERM_ALL ? '~' : p.flags === PERM_READ ? '%R~' : '%W~'}${p.pattern}`;
}

/** Redis ACLStringHasSpaces: C isspace (space, \\t \\n \\v \\f \\r; not byte 0xA0) or NUL. */
export function hasSpaces(s: string): boolean {
  return /[ \t\n\v\f\r\0]/.test(s);
}

/** SHA-256 hex of a latin1 (byte) string (Redis ACLHashPassword). */
export function hashPassword(pass: string): string {
  return process.getBuiltinModule('node:crypto').createHash('sha256').update(Buffer.from(pass, 'latin1')).digest('hex');
}

/** An ACL user (Redis `user`). */
export class AclUser {
  flags = USER_DISABLED;
  /** SHA-256 hex hashes. */
  passwords: string[] = [];
  /** The root selector first, then the `(...)` selectors. */
  selectors: Selector[];
  /** Root selector allows every command, key and channel: the dispatcher skips the ACL check. */
  unrestricted = false;

  constructor(
    readonly name: string,
    pubsubDefault: number,
  ) {
    this.selectors = [new Selector(SEL_ROOT | pubsubDefault)];
  }

  get enabled(): boolean {
    return (this.flags & USER_DISABLED) === 0;
  }

  get nopass(): boolean {
    return (this.flags & USER_NOPASS) !== 0;
  }

  /** Recomputes `unrestricted` (after a change of rules). */
  refresh(): void {
    const f = this.selectors[0].flags;
    this.unrestricted = (f & (SEL_ALLCOMMANDS | SEL_ALLKEYS | SEL_ALLCHANNELS)) === (SEL_ALLCOMMANDS | SEL_ALLKEYS | SEL_ALLCHANNELS);
  }

  /** Makes this user's rules a copy of `src`'s (Redis ACLCopyUser). */
  copyFrom(src: AclUser): void {
    this.flags = src.flags;
    this.passwords = [...src.passwords];
    this.selectors = src.selectors.map((s) => s.copy());
    this.refresh();
  }

  /** Redis ACLSetUser: applies one rule. @throws AclRuleError */
  apply(op: string, pubsubDefault: number): void {
    if (op.length === 0) return;
    const lower = op.toLowerCase();
    if (lower === 'on') this.flags = (this.flags | USER_ENABLED) & ~USER_DISABLED;
    else if (lower === 'off') this.flags = (this.flags | USER_DISABLED) & ~USER_ENABLED;
    else if (lower === 'skip-sanitize-payload') this.flags = (this.flags | USER_SKIP_SANITIZE) & ~USER_SANITIZE;
    else if (lower === 'sanitize-payload') this.flags = (this.flags | USER_SANITIZE) & ~USER_SKIP_SANITIZE;
    else if (lower === 'nopass') {
      this.flags |= USER_NOPASS;
      this.passwords = [];
    } else if (lower === 'resetpass') {
      this.flags &= ~USER_NOPASS;
      this.passwords = [];
    } else if (op[0] === '>' || op[0] === '#') {
      let h: string;
      if (op[0] === '>') h = hashPassword(op.slice(1));
      else {
        h = op.slice(1);
        if (!/^[0-9a-f]{64}$/.test(h)) throw new AclRuleError(E_EBADMSG);
      }
      if (!this.passwords.includes(h)) this.passwords.push(h);
      this.flags &= ~USER_NOPASS;
    } else if (op[0] === '<' || op[0] === '!') {
      let h: string;
      if (op[0] === '<') h = hashPassword(op.slice(1));
      else {
        h = op.slice(1);
        if (!/^[0-9a-f]{64}$/.test(h)) throw new AclRuleError(E_EBADMSG);
      }
      const i = this.passwords.indexOf(h);
      if (i < 0) throw new AclRuleError(E_ENODEV);
      this.passwords.splice(i, 1);
    } else if (op[0] === '(' && op[op.length - 1] === ')') {
      const s = new Selector(pubsubDefault);
      for (const sub of splitArgs(op.slice(1, -1)) ?? []) s.apply(sub);
      this.selectors.push(s);
    } else if (lower === 'clearselectors') {
      this.selectors.length = 1;
    } else if (lower === 'reset') {
      this.apply('resetpass', pubsubDefault);
      this.apply('resetkeys', pubsubDefault);
      this.apply('resetchannels', pubsubDefault);
      if (pubsubDefault & SEL_ALLCHANNELS) this.apply('allchannels', pubsubDefault);
      this.apply('off', pubsubDefault);
      this.apply('sanitize-payload', pubsubDefault);
      this.apply('clearselectors', pubsubDefault);
      this.apply('-@all', pubsubDefault);
    } else this.selectors[0].apply(op);
  }

  /** Redis ACLDescribeUser: the rules after `user <name> ` in ACL LIST and the ACL file. */
  describe(): string {
    let res = '';
    for (const [name, f] of USER_FLAGS) if (this.flags & f) res += `${name} `;
    for (const p of this.passwords) res += `#${p} `;
    for (const s of this.selectors) {
      if (s.flags & SEL_ROOT) res += s.describe();
      else res += ` (${s.describe()})`;
    }
    return res;
  }

  /** ACL GETUSER's view: flag names, and per selector (root first) its commands, keys and channels texts. */
  describeParts(): { flags: string[]; selectors: { commands: string; keys: string; channels: string }[] } {
    const flags = USER_FLAGS.filter(([, f]) => this.flags & f).map(([n]) => n);
    const selectors = this.selectors.map((s) => ({
      commands: s.describeCommands(),
      keys: s.flags & SEL_ALLKEYS ? '~*' : s.patterns.map(patternString).join(' '),
      channels: s.flags & SEL_ALLCHANNELS ? '&*' : s.channels.map((ch) => `&${ch}`).join(' '),
    }));
    return { flags, selectors };
  }

  /** Checks a password (constant time per stored hash), as Redis ACLCheckUserCredentials. */
  checkPassword(pass: string): boolean {
    if (!this.enabled) return false;
    if (this.nopass) return true;
    const h = Buffer.from(hashPassword(pass));
    let ok = false;
    for (const p of this.passwords) if (process.getBuiltinModule('node:crypto').timingSafeEqual(h, Buffer.from(p))) ok = true;
    return ok;
  }
}

/**
 * Redis ACLMergeSelectorArguments: joins a selector `(... ...)` spread over several arguments into one.
 * @returns the merged arguments, or the index of the argument opening an unmatched `(`.
 */
export function mergeSelectorArgs(args: string[]): { args: string[] } | { unmatched: number } {
  const out: string[] = [];
  let open = -1;
  let sel = '';
  for (let j = 0; j < args.length; j++) {
    const op = args[j];
    if (op[0] === '(' && op[op.length - 1] !== ')') {
      sel = op;
      open = j;
      continue;
    }
    if (open !== -1) {
      sel += ` ${op}`;
      if (op[op.length - 1] === ')') {
        open = -1;
        out.push(sel);
      }
      continue;
    }
    out.push(op);
  }
  if (open !== -1) return { unmatched: open };
  return { args: out };
}

// ---- the ACL state of a server ----------------------------------------------------------------

/** ACL_DENIED_* as in Redis (their order picks the error reported across selectors). */
export const DENIED_CMD = 1;
export const DENIED_KEY = 2;
export const DENIED_AUTH = 3;
export const DENIED_CHANNEL = 4;

/** One ACL LOG entry (Redis ACLLogEntry); ctime in Unix ms. */
interface LogEntry {
  count: number;
  reason: number;
  context: string;
  object: string;
  username: string;
  ctime: number;
  cinfo: string;
}

/** The ACL state of one server: users, the default user, the log. */
export class Acl {
  readonly users = new Map<string, AclUser>();
  defaultUser: AclUser;
  /** Newest first. */
  log: LogEntry[] = [];

  constructor(readonly server: KeydraServer) {
    this.defaultUser = this.createDefaultUser();
    this.users.set('default', this.defaultUser);
    const pass = server.config.str('requirepass');
    if (pass !== '') this.updateDefaultPassword(pass);
    server.config.onChange('requirepass', (v) => this.updateDefaultPassword(v as string));
  }

  /** SEL_ALLCHANNELS when acl-pubsub-default is allchannels, else 0. */
  get pubsubDefault(): number {
    return this.server.config.str('acl-pubsub-default') === 'allchannels' ? SEL_ALLCHANNELS : 0;
  }

  /** A new user with no rules (Redis ACLCreateUser), not registered. */
  newUser(name: string): AclUser {
    const u = new AclUser(name, this.pubsubDefault);
    u.refresh();
    return u;
  }

  private createDefaultUser(): AclUser {
    const u = this.newUser('default');
    for (const op of ['+@all', '~*', '&*', 'on', 'nopass']) u.apply(op, 0);
    u.refresh();
    return u;
  }

  /** requirepass: resetpass, then >pass or nopass (Redis ACLUpdateDefaultUserPassword). */
  updateDefaultPassword(pass: string): void {
    this.defaultUser.apply('resetpass', 0);
    this.defaultUser.apply(pass === '' ? 'nopass' : `>${pass}`, 0);
  }

  /** Users sorted by name (Redis's rax order). */
  sortedUsers(): AclUser[] {
    return [...this.users.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Points every client of `u` at its (changed) rules: `unrestricted` follows the user. */
  refreshClients(u: AclUser): void {
    u.refresh();
    for (const c of this.server.clients.values()) if (c.user === u) c.unrestricted = u.unrestricted;
  }

  /**
   * Disconnects the clients of a removed user (Redis ACLFreeUserAndKillClients): they go back to
   * the default user unauthenticated; the current client is closed after its reply.
   */
  killClientsOf(u: AclUser, current: Client | null): void {
    for (const c of [...this.server.clients.values()]) {
      if (c.user !== u) continue;
      setClientUser(c, this.defaultUser, false);
      if (c === current) c.closeAfterReply = true;
      else this.server.freeClient(c);
    }
  }

  /**
   * Disconnects pub/sub clients of `original` whose subscriptions the new rules no longer allow
   * (Redis ACLKillPubsubClientsIfNeeded).
   */
  killPubsubClientsIfNeeded(next: AclUser, original: AclUser): void {
    if (next.selectors.some((s) => s.flags & SEL_ALLCHANNELS)) return;
    const upcoming = next.selectors.flatMap((s) => s.channels);
    // Nothing lost: the old rules were a subset of the new ones (an allchannels user always loses some).
    const all =
      !original.selectors.some((s) => s.flags & SEL_ALLCHANNELS) &&
      original.selectors.every((s) => s.channels.every((ch) => upcoming.includes(ch)));
    if (all) return;
    for (const c of [...this.server.clients.values()]) {
      if (c.user !== original || !c.inPubSub) continue;
      let kill = false;
      for (const p of c.patterns) if (!kill && !upcoming.includes(p)) kill = true;
      for (const ch of c.channels) if (!kill && !upcoming.some((p) => globMatch(p, ch))) kill = true;
      for (const ch of c.shardChannels) if (!kill && !upcoming.some((p) => globMatch(p, ch))) kill = true;
      if (kill) this.server.freeClient(c);
    }
  }

  /** Adds an ACL LOG entry, merging with a similar recent one (Redis addACLLogEntry). */
  addLog(c: Client, reason: number, context: string, object: string, username: string): void {
    const now = Date.now();
    const cinfo = c.server.commands.hooks.clientInfo(c, now);
    const max = this.server.config.num('acllog-max-len');
    for (let i = 0; i < Math.min(10, this.log.length); i++) {
      const e = this.log[i];
      if (
        e.reason === reason &&
        e.context === context &&
        Math.abs(e.ctime - now) <= 60000 &&
        e.object === object &&
        e.username === username
      ) {
        this.log.splice(i, 1);
        this.log.unshift(e);
        e.cinfo = cinfo;
        e.ctime = now;
        e.count++;
        return;
      }
    }
    this.log.unshift({ count: 1, reason, context, object, username, ctime: now, cinfo });
    if (this.log.length > max) this.log.length = max;
  }

  /**
   * Loads `user` directives (config file) and then the ACL file, as Redis ACLLoadUsersAtStartup.
   * @throws Error with Redis's log text when they are invalid.
   */
  loadAtStartup(userLines: string[][]): void {
    const file = this.server.config.str('aclfile');
    if (file !== '' && userLines.length > 0) {
      throw new Error(
        'Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.',
      );
    }
    const seen = new Set<string>();
    for (const line of userLines) {
      const name = line[0];
      if (seen.has(name))
        throw new Error(`Error in user declaration '${name}': Duplicate user found. A user can only be defined once in config files`);
      seen.add(name);
      if (hasSpaces(name)) throw new Error('Spaces not allowed in ACL usernames');
      const merged = mergeSelectorArgs(line.slice(1));
      if ('unmatched' in merged) throw new Error(`Error in user declaration '${line[1 + merged.unmatched]}': Unmatched parenthesis`);
      let u = this.users.get(name);
      if (u === undefined) {
        u = this.newUser(name);
        this.users.set(name, u);
      } else u.apply('reset', this.pubsubDefault);
      for (const op of merged.args) {
        try {
          u.apply(op, this.pubsubDefault);
        } catch (e) {
          if (e instanceof AclRuleError) throw new Error(`Error loading ACL rule '${op}' for the user named '${name}': ${e.message}`);
          throw e;
        }
      }
      u.refresh();
    }
    if (file !== '') {
      const err = this.loadFile(file);
      if (err !== null) throw new Error(`Aborting Redis startup because of ACL errors: ${err}`);
    }
  }

  /**
   * Replaces the users with the ACL file's (Redis ACLLoadFromFile): nothing changes if any line is
   * invalid. Clients of replaced users are disconnected (`current`, the caller, after its reply).
   * @returns null or the errors text.
   */
  loadFile(file: string, current: Client | null = null): string | null {
    let text: string;
    try {
      // Relative to `dir`, as Redis opens it after chdir(dir).
      text = readFileSync(this.server.config.resolvePath(file), 'latin1');
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      return `Error loading ACLs, opening file '${file}': ${err.code === 'ENOENT' ? 'No such file or directory' : err.message}`;
    }
    const name = this.server.config.str('aclfile');
    const users = new Map<string, AclUser>();
    let errors = '';
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
      const linenum = i + 1;
      if (line === '') continue;
      const argv = line.split(' ');
      if (argv[0] !== 'user' || argv.length < 2) {
        errors += `${name}:${linenum} should start with user keyword followed by the username. `;
        continue;
      }
      if (hasSpaces(argv[1])) {
        errors += `'${name}:${linenum}: username '${argv[1]}' contains invalid characters. `;
        continue;
      }
      if (users.has(argv[1])) {
        errors += `WARNING: Duplicate user '${argv[1]}' found on line ${linenum}. `;
        continue;
      }
      const u = this.newUser(argv[1]);
      users.set(argv[1], u);
      const merged = mergeSelectorArgs(argv.slice(2));
      if ('unmatched' in merged) {
        errors += `${name}:${linenum}: Unmatched parenthesis in selector definition.`;
        continue;
      }
      let syntaxError = false;
      for (const raw of merged.args) {
        const op = raw.replace(/^[\t\r\n]+|[\t\r\n]+$/g, '');
        try {
          u.apply(op, this.pubsubDefault);
        } catch (e) {
          if (!(e instanceof AclRuleError)) throw e;
          // Unknown commands are named; other errors (which may show a password) are not, and
          // only the line's first one is reported.
          if (e.message === E_ENOENT) errors += `${name}:${linenum}: Error in applying operation '${op}': ${e.message}. `;
          else if (!syntaxError) {
            errors += `${name}:${linenum}: ${e.message}. `;
            syntaxError = true;
          }
        }
      }
    }
    if (errors !== '') return `${errors}WARNING: ACL errors detected, no change to the previously active ACL rules was performed`;
    const newDefault = users.get('default') ?? this.createDefaultUser();
    this.defaultUser.copyFrom(newDefault);
    users.set('default', this.defaultUser);
    const old = [...this.users.values()];
    this.users.clear();
    for (const [n, u] of this.sortedMap(users)) this.users.set(n, u);
    for (const u of old) if (u !== this.defaultUser) this.killClientsOf(u, current);
    this.refreshClients(this.defaultUser);
    return null;
  }

  private sortedMap(m: Map<string, AclUser>): [string, AclUser][] {
    return [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /** Writes every user in ACL file format, atomically (Redis ACLSaveToFile). @returns success. */
  saveFile(file: string): boolean {
    let out = '';
    for (const u of this.sortedUsers()) out += `user ${u.name} ${u.describe()}\n`;
    const path = this.server.config.resolvePath(file);
    const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
    try {
      writeFileSync(tmp, out, 'latin1');
      renameSync(tmp, path);
      return true;
    } catch (e) {
      this.server.log.warning(`Writing ACL file for ACL SAVE: ${(e as Error).message}`);
      try {
        unlinkSync(tmp);
      } catch {}
      return false;
    }
  }

  /** Redis ACLCheckAllUserCommandPerm over every selector. @returns 0 or DENIED_* and the argv index. */
  checkUser(u: AclUser, cmd: Command, argv: string[]): [number, number] {
    const ac = aclCommandOf(cmd);
    if (ac === undefined) return [0, 0];
    let relevant = DENIED_CMD;
    let lastIdx = 0;
    let keys: { pos: number; perm: number }[] | null = null;
    for (const s of u.selectors) {
      const [r, idx, k] = checkSelector(s, cmd, ac, argv, keys);
      keys = k;
      if (r === 0) return [0, 0];
      if (r > relevant || (r === relevant && idx > lastIdx)) {
        relevant = r;
        lastIdx = idx;
      }
    }
    return [relevant, lastIdx];
  }
}

/** Redis CMD_KEY_* flags of a key spec node → PERM_READ/PERM_WRITE needed. */
function permOfFlags(flags: RespNode): number {
  let perm = 0;
  for (const f of statusNames(flags)) {
    if (f === 'access') perm |= PERM_READ;
    else if (f === 'insert' || f === 'delete' || f === 'update') perm |= PERM_WRITE;
  }
  return perm;
}

/** The keys of a command with the permissions each needs (key specs; SET/BITFIELD variable flags as their getkeys procs). */
function keysWithPerms(cmd: Command, argv: string[]): { pos: number; perm: number }[] {
  const name = cmd.fullName;
  if (name === 'set') {
    for (let i = 3; i < argv.length; i++) if (argv[i].toLowerCase() === 'get') return [{ pos: 1, perm: PERM_READ | PERM_WRITE }];
    return [{ pos: 1, perm: PERM_WRITE }];
  }
  if (name === 'bitfield') return [{ pos: 1, perm: bitfieldReadOnly(argv) ? PERM_READ : PERM_READ | PERM_WRITE }];
  if (name === 'sort') return sortKeys(argv);
  const out: { pos: number; perm: number }[] = [];
  for (const k of getKeysFromSpecs(cmd, argv)) {
    // Channels of SPUBLISH/SSUBSCRIBE are key specs flagged not_key: not keys for ACL.
    if (!statusNames(k.flags).includes('not_key')) out.push({ pos: k.pos, perm: permOfFlags(k.flags) });
  }
  return out;
}

/** SORT's keys as Redis sortGetKeys: the sorted key (read), the last STORE destination (write). */
function sortKeys(argv: string[]): { pos: number; perm: number }[] {
  const out = [{ pos: 1, perm: PERM_READ }];
  let store = -1;
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i].toLowerCase();
    if (a === 'limit') i += 2;
    else if (a === 'get' || a === 'by') i += 1;
    else if (a === 'store' && i + 1 < argv.length) store = i + 1;
  }
  if (store >= 0) out.push({ pos: store, perm: PERM_WRITE });
  return out;
}

/** Commands whose arguments are channels, and how (Redis ACLDoesCommandHaveChannels). */
const CHANNEL_COMMANDS: Record<string, 'one' | 'all' | 'literal'> = {
  publish: 'one',
  spublish: 'one',
  subscribe: 'all',
  ssubscribe: 'all',
  psubscribe: 'literal',
};

/** Redis ACLSelectorCheckCmd. @returns [0 or DENIED_*, argv index, keys found (cached across selectors)]. */
function checkSelector(
  s: Selector,
  cmd: Command,
  ac: AclCommand,
  argv: string[],
  cached: { pos: number; perm: number }[] | null,
): [number, number, { pos: number; perm: number }[] | null] {
  if (!(s.flags & SEL_ALLCOMMANDS) && !ac.noAuth && s.allowed[ac.id] === 0) {
    const fa = s.firstArgs?.get(ac.id);
    if (argv.length < 2 || fa === undefined) return [DENIED_CMD, 0, cached];
    const arg = argv[ac.parent ? 2 : 1]?.toLowerCase();
    if (!fa.some((a) => a.toLowerCase() === arg)) return [DENIED_CMD, 0, cached];
  }
  if (!(s.flags & SEL_ALLKEYS) && (cmd.info[8] as { v: unknown[] }).v.length > 0) {
    cached ??= keysWithPerms(cmd, argv);
    for (const k of cached) {
      if (!checkKey(s, argv[k.pos], k.perm)) return [DENIED_KEY, k.pos, cached];
    }
  }
  const kind = CHANNEL_COMMANDS[cmd.fullName];
  if (!(s.flags & SEL_ALLCHANNELS) && kind !== undefined) {
    const end = kind === 'one' ? 2 : argv.length;
    for (let j = 1; j < end; j++) {
      const ch = argv[j];
      const ok = kind === 'literal' ? s.channels.includes(ch) : s.channels.some((p) => globMatch(p, ch));
      if (!ok) return [DENIED_CHANNEL, j, cached];
    }
  }
  return [0, 0, cached];
}

/** Redis ACLSelectorHasUnrestrictedKeyAccess: allkeys, or a `*` pattern with every permission in `perm`. */
function selectorHasUnrestrictedKeyAccess(s: Selector, perm: number): boolean {
  if (s.flags & SEL_ALLKEYS) return true;
  for (const p of s.patterns) if ((p.flags & perm) === perm && p.pattern === '*') return true;
  return false;
}

/** Redis ACLSelectorCheckKey. */
function checkKey(s: Selector, key: string, perm: number): boolean {
  if (s.flags & SEL_ALLKEYS) return true;
  for (const p of s.patterns) {
    if ((p.flags & perm) !== perm) continue;
    if (globMatch(p.pattern, key)) return true;
  }
  return false;
}

const acls = new WeakMap<KeydraServer, Acl>();

/** The ACL state of a server (created on first use: default user, requirepass). */
export function aclOf(server: KeydraServer): Acl {
  let a = acls.get(server);
  if (a === undefined) {
    a = new Acl(server);
    acls.set(server, a);
  }
  return a;
}

/** CONFIG REWRITE's `user` lines: every user in config form, or none when an aclfile holds them. */
export function aclUserLines(server: KeydraServer): string[] {
  if (server.config.str('aclfile') !== '') return [];
  return aclOf(server)
    .sortedUsers()
    .map((u) => `user ${u.name} ${u.describe()}`);
}

/**
 * Loads `user` directives and the ACL file at start-up (Redis ACLLoadUsersAtStartup).
 * @throws Error with Redis's message for an invalid setup (the server must not start).
 */
export function loadAclAtStartup(server: KeydraServer): void {
  aclOf(server).loadAtStartup(server.config.users);
}

/** Sets a client's user, authenticated state and the dispatcher's fast-path flag. */
export function setClientUser(c: Client, u: AclUser, authenticated: boolean): void {
  c.user = u;
  c.unrestricted = u.unrestricted;
  c.authenticated = authenticated;
  c.parser.authenticated = authenticated;
}

/** Redis clientSetDefaultAuth: the default user, authenticated when it is nopass and on. */
export function setDefaultAuth(c: Client): void {
  const u = aclOf(c.server).defaultUser;
  setClientUser(c, u, u.nopass && u.enabled);
}

/**
 * AUTH/HELLO: authenticates `c` as `username` (Redis ACLAuthenticateUser). On failure adds an
 * `auth` ACL LOG entry (object: the command name as sent). @returns success.
 */
export function authenticate(c: Client, username: string, pass: string, cmdName: string): boolean {
  const acl = aclOf(c.server);
  const u = acl.users.get(username);
  if (u?.checkPassword(pass)) {
    setClientUser(c, u, true);
    return true;
  }
  c.lastCommand = cmdName.toLowerCase();
  acl.addLog(c, DENIED_AUTH, c.multi !== null ? 'multi' : 'toplevel', cmdName, username);
  return false;
}

/** redis.acl_check_cmd: whether the script caller's user may run the command (no log entry). */
export function aclAllows(caller: Client, cmd: Command, argv: string[]): boolean {
  return caller.unrestricted || aclOf(caller.server).checkUser(caller.user, cmd, argv)[0] === 0;
}

/**
 * Redis ACLUserCheckCmdWithUnrestrictedKeyAccess with CMD_KEY_ACCESS: whether one of the client's
 * user's selectors both allows this command and grants read access to every key (`allkeys`, or
 * `%R~*`/`~*`). SORT needs it for BY and GET patterns, which reach keys the ACL cannot see.
 * Unrestricted clients (the default user with full access, AOF loading) always have it.
 */
export function hasFullKeyReadAccess(c: Client, cmd: Command, argv: string[]): boolean {
  if (c.unrestricted) return true;
  const ac = aclCommandOf(cmd);
  if (ac === undefined) return true;
  let keys: { pos: number; perm: number }[] | null = null;
  for (const s of c.user.selectors) {
    const [r, , k] = checkSelector(s, cmd, ac, argv, keys);
    keys = k;
    if (r === 0 && selectorHasUnrestrictedKeyAccess(s, PERM_READ)) return true;
  }
  return false;
}

/**
 * The dispatcher's ACL check (Redis processCommand → ACLCheckAllPerm), for clients whose user is
 * not unrestricted. On denial replies NOPERM as a rejected command and logs. @returns allowed.
 */
export function aclCheck(c: Client, cmd: Command, argv: string[]): boolean {
  const acl = aclOf(c.server);
  const [r, idx] = acl.checkUser(c.user, cmd, argv);
  if (r === 0) return true;
  c.lastCommand = cmd.fullName;
  acl.addLog(c, r, c.multi !== null ? 'multi' : 'toplevel', r === DENIED_CMD ? cmd.fullName : argv[idx], c.user.name);
  const msg =
    r === DENIED_CMD
      ? `NOPERM this user has no permissions to run the '${cmd.fullName}' command`
      : r === DENIED_KEY
        ? 'NOPERM this user has no permissions to access one of the keys used as arguments'
        : 'NOPERM this user has no permissions to access one of the channels used as arguments';
  c.server.cmdStats.a[cmd.statIdx + 2]++;
  if (c.multi !== null) c.multiError = true;
  c.error(msg);
  return false;
}

/**
 * EXEC's re-check of a queued command (Redis execCommand): rules may have changed since it was
 * queued. On denial replies the NOPERM error for this command and logs. @returns allowed.
 */
export function aclExecCheck(c: Client, cmd: Command, argv: string[]): boolean {
  const acl = aclOf(c.server);
  const [r, idx] = acl.checkUser(c.user, cmd, argv);
  if (r === 0) return true;
  acl.addLog(c, r, 'multi', r === DENIED_CMD ? cmd.fullName : argv[idx], c.user.name);
  const reason =
    r === DENIED_CMD
      ? 'no permission to execute the command or subcommand'
      : r === DENIED_KEY
        ? 'no permission to touch the specified keys'
        : 'no permission to access one of the channels used as arguments';
  c.error(
    `NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: ${reason}`,
  );
  return false;
}

/**
 * A script's check of a command it calls (Redis scriptVerifyACL), as the calling client's user.
 * @returns null when allowed, else the error text (without the ERR prefix); logs with context lua.
 */
export function aclScriptCheck(caller: Client, cmd: Command, argv: string[]): string | null {
  if (caller.unrestricted) return null;
  const acl = aclOf(caller.server);
  const [r, idx] = acl.checkUser(caller.user, cmd, argv);
  if (r === 0) return null;
  // The entry shows the caller running its script command (EVAL, FCALL...), as Redis's lastcmd.
  const last = caller.lastCommand;
  caller.lastCommand = caller.lastCmd?.fullName ?? last;
  acl.addLog(caller, r, 'lua', r === DENIED_CMD ? cmd.fullName : argv[idx], caller.user.name);
  caller.lastCommand = last;
  if (r === DENIED_CMD) return "The user executing the script can't run this command or subcommand";
  if (r === DENIED_KEY) return "The user executing the script can't access at least one of the keys mentioned in the command arguments";
  return "The user executing the script can't publish to the channel mentioned in the command";
}
