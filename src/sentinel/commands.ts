/**
 * Sentinel mode's clients and command table (sentinel.c sentinelcmds / sentinelCommand): PING,
 * SENTINEL <subcommand>, SUBSCRIBE family, PUBLISH (hello messages only), INFO, ROLE, CLIENT,
 * AUTH, HELLO, COMMAND, SHUTDOWN. Replies as redis-server --sentinel, in RESP2 or RESP3.
 */
import { accessSync, constants } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { commandSpecs } from '../assets/index.js';
import { CLIENT_HELP } from '../commands/connection/clientHelp.js';
import { globMatch } from '../store/glob.js';
import type { Sentinel } from './index.js';
import {
  announce,
  type Instance,
  SRI_FAILOVER_IN_PROGRESS,
  SRI_FORCE_FAILOVER,
  SRI_MASTER,
  SRI_O_DOWN,
  SRI_S_DOWN,
  SRI_SLAVE,
  failoverStateName,
} from './instance.js';
import { SENTINEL_COMMANDS, type SpecNode } from './commandInfo.js';
import { selectSlave, startFailover, voteLeader } from './failover.js';
import { HELLO_CHANNEL, processHelloMessage, resetMaster } from './monitor.js';
import { Reply, RequestParser } from './resp.js';

const REDIS_VERSION = '7.0.15';

/** One client connection to the Sentinel. */
export class SentinelClient {
  readonly parser = new RequestParser();
  readonly id: number;
  proto = 2;
  name = '';
  authenticated: boolean;
  /** The ACL user the connection is authenticated as. */
  user = 'default';
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  readonly createdAt = Date.now();

  constructor(
    readonly s: Sentinel,
    readonly socket: net.Socket,
  ) {
    this.id = s.nextClientId++;
    const d = s.users.get('default');
    this.authenticated = d?.enabled === true && d.nopass;
  }

  get subscriptions(): number {
    return this.channels.size + this.patterns.size;
  }

  /** Writes a pub/sub message (`message`/`pmessage`) as RESP2 array or RESP3 push. */
  writeMessage(parts: string[]): void {
    const r = new Reply(this.proto).push(parts.length);
    for (const p of parts) r.bulk(p);
    this.socket.write(r.take());
  }
}

/** Accepts a client socket: parses requests and runs them in order. */
export function handleClientData(s: Sentinel, socket: net.Socket): void {
  const c = new SentinelClient(s, socket);
  s.clients.add(c);
  s.totalConnections++;
  socket.setNoDelay(true);
  const drop = () => {
    if (!s.clients.delete(c)) return;
    for (const ch of c.channels) s.channels.get(ch)?.delete(c);
    for (const p of c.patterns) s.patterns.get(p)?.delete(c);
  };
  socket.on('error', drop);
  socket.on('close', drop);
  socket.on('data', (d) => {
    c.parser.feed(d);
    const r = new Reply(c.proto);
    for (;;) {
      const argv = c.parser.next();
      if (argv === null) break;
      if (argv.length === 0) continue;
      s.totalCommands++;
      try {
        runCommand(s, c, argv, r);
      } catch (e) {
        r.error(`ERR ${(e as Error).message}`);
      }
      r.proto = c.proto;
    }
    if (c.parser.error !== null) {
      r.error(c.parser.error);
      socket.end(r.take());
      return;
    }
    if (!r.empty) socket.write(r.take());
  });
}

/** The Sentinel command table (top-level names, as redis-server --sentinel's COMMAND COUNT). */
const KNOWN = new Set([
  'ping',
  'sentinel',
  'subscribe',
  'unsubscribe',
  'shutdown',
  'command',
  'role',
  'publish',
  'auth',
  'psubscribe',
  'hello',
  'client',
  'punsubscribe',
  'info',
  'acl',
]);


/** SENTINEL HELP: redis-sentinel 7.0.15's text (sentinelCommand). */
const SENTINEL_HELP = [
  'SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CKQUORUM <master-name>',
  '    Check if the current Sentinel configuration is able to reach the quorum',
  '    needed to failover a master and the majority needed to authorize the',
  '    failover.',
  'CONFIG SET <param> <value>',
  '    Set a global Sentinel configuration parameter.',
  'CONFIG GET <param>',
  '    Get global Sentinel configuration parameter.',
  'DEBUG [<param> <value> ...]',
  '    Show a list of configurable time parameters and their values (milliseconds).',
  '    Or update current configurable parameters values (one or more).',
  'GET-MASTER-ADDR-BY-NAME <master-name>',
  '    Return the ip and port number of the master with that name.',
  'FAILOVER <master-name>',
  '    Manually failover a master node without asking for agreement from other',
  '    Sentinels',
  'FLUSHCONFIG',
  '    Force Sentinel to rewrite its configuration on disk, including the current',
  '    Sentinel state.',
  'INFO-CACHE <master-name>',
  '    Return last cached INFO output from masters and all its replicas.',
  'IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>',
  "    Check if the master specified by ip:port is down from current Sentinel's",
  '    point of view.',
  'MASTER <master-name>',
  '    Show the state and info of the specified master.',
  'MASTERS',
  '    Show a list of monitored masters and their state.',
  'MONITOR <name> <ip> <port> <quorum>',
  '    Start monitoring a new master with the specified name, ip, port and quorum.',
  'MYID',
  '    Return the ID of the Sentinel instance.',
  'PENDING-SCRIPTS',
  '    Get pending scripts information.',
  'REMOVE <master-name>',
  "    Remove master from Sentinel's monitor list.",
  'REPLICAS <master-name>',
  '    Show a list of replicas for this master and their state.',
  'RESET <pattern>',
  '    Reset masters for specific master name matching this pattern.',
  'SENTINELS <master-name>',
  '    Show a list of Sentinel instances for this master and their state.',
  'SET <master-name> <option> <value> [<option> <value> ...]',
  '    Set configuration parameters for certain masters.',
  'SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]',
  '    Simulate a Sentinel crash.',
  'HELP',
  '    Prints this help.',
];

/** COMMAND LIST in Sentinel mode (commands and subcommands, redis-sentinel 7.0.15's order). */
const COMMAND_LIST =
  'ping sentinel sentinel|is-master-down-by-addr sentinel|pending-scripts sentinel|debug sentinel|info-cache sentinel|config sentinel|ckquorum sentinel|masters sentinel|remove sentinel|master sentinel|help sentinel|monitor sentinel|get-master-addr-by-name sentinel|myid sentinel|reset sentinel|slaves sentinel|sentinels sentinel|replicas sentinel|flushconfig sentinel|failover sentinel|set sentinel|simulate-failure subscribe unsubscribe shutdown command command|info command|count command|docs command|getkeys command|list command|help command|getkeysandflags role publish auth psubscribe hello client client|trackinginfo client|no-evict client|reply client|unblock client|setname client|kill client|unpause client|tracking client|info client|pause client|getredir client|caching client|list client|id client|help client|getname punsubscribe info acl acl|help acl|dryrun acl|cat acl|getuser acl|load acl|whoami acl|users acl|genpass acl|list acl|deluser acl|setuser acl|save acl|log'.split(
    ' ',
  );

/**
 * Arity of the subcommands Sentinel mode has (COMMAND_LIST), from Redis 7.0's command table
 * (redis-commands.json; SENTINEL's from SENTINEL_COMMANDS): `client|setname` -> 3. Built on first use.
 */
let subArities: Map<string, number> | null = null;
function subArity(full: string): number | undefined {
  if (subArities === null) {
    subArities = new Map();
    const have = new Set(COMMAND_LIST);
    const cmds = commandSpecs();
    for (const name of ['client', 'acl', 'command']) {
      const subs = (cmds[name]?.info[9] ?? []) as [string, number][];
      for (const [n, a] of subs) if (have.has(n)) subArities.set(n, a);
    }
    // SENTINEL's subcommands exist only in Sentinel mode's table (redis-sentinel's COMMAND reply).
    const sentinel = SENTINEL_COMMANDS.find((e) => e[0] === 'sentinel');
    for (const sub of (sentinel?.[9] ?? []) as SpecNode[][]) subArities.set(String(sub[0]), Number(sub[1]));
  }
  return subArities.get(full);
}

/**
 * processCommand's checks for the container commands CLIENT, ACL, COMMAND and SENTINEL (server.c): an
 * unknown subcommand gets "unknown subcommand 'x'. Try CLIENT HELP.", a wrong count of arguments
 * "wrong number of arguments for 'client|setname' command". Returns false after replying an error.
 */
function checkSubcommand(cmd: string, argv: string[], r: Reply): boolean {
  if (cmd !== 'client' && cmd !== 'acl' && cmd !== 'command' && cmd !== 'sentinel') return true;
  if (argv.length < 2) {
    if (cmd === 'command') return true;
    arity(r, cmd);
    return false;
  }
  const full = `${cmd}|${argv[1].toLowerCase()}`;
  const a = subArity(full);
  if (a === undefined) {
    r.error(`ERR unknown subcommand '${argv[1].slice(0, 128)}'. Try ${cmd.toUpperCase()} HELP.`);
    return false;
  }
  if ((a > 0 && argv.length !== a) || (a < 0 && argv.length < -a)) {
    arity(r, full);
    return false;
  }
  return true;
}

function runCommand(s: Sentinel, c: SentinelClient, argv: string[], r: Reply): void {
  const cmd = argv[0].toLowerCase();
  if (cmd === 'quit') {
    r.ok();
    c.socket.end(r.take());
    return;
  }
  if (!KNOWN.has(cmd)) {
    const args = argv
      .slice(1)
      .map((a) => `'${a}' `)
      .join('');
    r.error(`ERR unknown command '${argv[0]}', with args beginning with: ${args}`);
    return;
  }
  if (!checkSubcommand(cmd, argv, r)) return;
  if (!c.authenticated && cmd !== 'auth' && cmd !== 'hello' && cmd !== 'quit') {
    r.error('NOAUTH Authentication required.');
    return;
  }
  if (
    c.subscriptions > 0 &&
    c.proto === 2 &&
    !['ping', 'subscribe', 'unsubscribe', 'psubscribe', 'punsubscribe', 'quit', 'reset'].includes(cmd)
  ) {
    r.error(`ERR Can't execute '${cmd}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`);
    return;
  }
  switch (cmd) {
    case 'ping':
      if (argv.length > 2) {
        arity(r, cmd);
        return;
      }
      if (c.subscriptions > 0 && c.proto === 2)
        r.array(2)
          .bulk('pong')
          .bulk(argv[1] ?? '');
      else if (argv.length === 2) r.bulk(argv[1]);
      else r.status('PONG');
      return;
    case 'quit':
      r.ok();
      c.socket.end(r.take());
      return;
    case 'sentinel':
      if (argv.length < 2) {
        arity(r, cmd);
        return;
      }
      sentinelCommand(s, c, argv, r);
      return;
    case 'subscribe':
    case 'psubscribe': {
      if (argv.length < 2) {
        arity(r, cmd);
        return;
      }
      const pat = cmd === 'psubscribe';
      for (const ch of argv.slice(1)) {
        const mine = pat ? c.patterns : c.channels;
        const all = pat ? s.patterns : s.channels;
        if (!mine.has(ch)) {
          mine.add(ch);
          let set = all.get(ch);
          if (!set) all.set(ch, (set = new Set()));
          set.add(c);
        }
        r.push(3).bulk(cmd).bulk(ch).int(c.subscriptions);
      }
      return;
    }
    case 'unsubscribe':
    case 'punsubscribe': {
      const pat = cmd === 'punsubscribe';
      const mine = pat ? c.patterns : c.channels;
      const all = pat ? s.patterns : s.channels;
      const list = argv.length > 1 ? argv.slice(1) : [...mine];
      if (list.length === 0) {
        r.push(3).bulk(cmd).nullBulk().int(c.subscriptions);
        return;
      }
      for (const ch of list) {
        mine.delete(ch);
        all.get(ch)?.delete(c);
        r.push(3).bulk(cmd).bulk(ch).int(c.subscriptions);
      }
      return;
    }
    case 'publish':
      if (argv.length !== 3) {
        arity(r, cmd);
        return;
      }
      if (argv[1] !== HELLO_CHANNEL) {
        r.error('ERR Only HELLO messages are accepted by Sentinel instances.');
        return;
      }
      processHelloMessage(s, argv[2]);
      r.int(1);
      return;
    case 'info':
      r.verbatim(infoString(s, argv.slice(1)));
      return;
    case 'role': {
      if (argv.length !== 1) {
        arity(r, cmd);
        return;
      }
      r.array(2).bulk('sentinel').array(s.masters.size);
      for (const m of s.masters.values()) r.bulk(m.name);
      return;
    }
    case 'client':
      clientCommand(s, c, argv, r);
      return;
    case 'auth': {
      if (argv.length < 2 || argv.length > 3) {
        arity(r, cmd);
        return;
      }
      const user = argv.length === 3 ? argv[1] : 'default';
      const d = s.users.get('default');
      if (argv.length === 2 && d !== undefined && d.nopass && d.passwords.size === 0) {
        r.error(
          'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
        );
        return;
      }
      if (checkUser(s, user, argv[argv.length - 1])) {
        c.authenticated = true;
        c.user = user;
        r.ok();
      } else r.error('WRONGPASS invalid username-password pair or user is disabled.');
      return;
    }
    case 'hello':
      helloCommand(s, c, argv, r);
      return;
    case 'command':
      if (argv.length === 2 && argv[1].toLowerCase() === 'list') {
        r.array(COMMAND_LIST.length);
        for (const x of COMMAND_LIST) r.bulk(x);
      } else if (argv.length >= 2 && argv[1].toLowerCase() === 'count') r.int(KNOWN.size);
      else if (argv.length >= 2 && argv[1].toLowerCase() === 'docs') r.map(0);
      else if (argv.length === 1 || (argv.length === 2 && argv[1].toLowerCase() === 'info')) {
        r.array(SENTINEL_COMMANDS.length);
        for (const info of SENTINEL_COMMANDS) writeSpecNode(r, info);
      } else if (argv[1].toLowerCase() === 'info') {
        r.array(argv.length - 2);
        for (const name of argv.slice(2)) writeCommandInfo(r, name.toLowerCase());
      } else if (argv[1].toLowerCase() === 'help') {
        r.array(0);
      } else r.array(0);
      return;
    case 'acl':
      aclCommand(s, c, argv, r);
      return;
    case 'reset':
      for (const ch of c.channels) s.channels.get(ch)?.delete(c);
      for (const p of c.patterns) s.patterns.get(p)?.delete(c);
      c.channels.clear();
      c.patterns.clear();
      c.proto = 2;
      c.name = '';
      r.status('RESET');
      return;
    case 'shutdown': {
      // shutdownCommand's options: NOSAVE|SAVE, NOW, FORCE, ABORT (Sentinel saves nothing but its config).
      let save = false;
      let nosave = false;
      let abort = false;
      for (const a of argv.slice(1)) {
        const o = a.toLowerCase();
        if (o === 'nosave') nosave = true;
        else if (o === 'save') save = true;
        else if (o === 'abort') abort = true;
        else if (o !== 'now' && o !== 'force') {
          r.error('ERR syntax error');
          return;
        }
      }
      if ((save && nosave) || (abort && argv.length !== 2)) {
        r.error('ERR syntax error');
        return;
      }
      if (abort) {
        r.error('ERR No shutdown in progress.');
        return;
      }
      s.log.warning('User requested shutdown...');
      s.flushConfig();
      s.log.warning('Sentinel is now ready to exit, bye bye...');
      c.socket.end();
      s.onExit(0);
      return;
    }
  }
}

/** ACL users of Sentinel mode (a subset of acl.c: on/off and passwords; command rules are accepted as given). */
export interface SentinelUser {
  enabled: boolean;
  nopass: boolean;
  passwords: Set<string>;
  rules: string[];
}

function checkUser(s: Sentinel, name: string, pass: string): boolean {
  const u = s.users.get(name);
  return u?.enabled === true && (u.nopass || u.passwords.has(pass));
}

/** ACL SETUSER/DELUSER/WHOAMI/USERS/LIST/GETUSER for the Sentinel's own clients. */
function aclCommand(s: Sentinel, c: SentinelClient, argv: string[], r: Reply): void {
  const sub = (argv[1] ?? '').toLowerCase();
  if (sub === 'whoami' && argv.length === 2) {
    r.bulk(c.user);
  } else if (sub === 'users' && argv.length === 2) {
    const names = [...s.users.keys()].sort();
    r.array(names.length);
    for (const n of names) r.bulk(n);
  } else if (sub === 'list' && argv.length === 2) {
    const names = [...s.users.keys()].sort();
    r.array(names.length);
    for (const n of names) {
      const u = s.users.get(n) as SentinelUser;
      r.bulk(`user ${n} ${u.enabled ? 'on' : 'off'}${u.nopass ? ' nopass' : ''} ${u.rules.join(' ')}`.trim());
    }
  } else if (sub === 'setuser' && argv.length >= 3) {
    const u = s.users.get(argv[2]) ?? { enabled: false, nopass: false, passwords: new Set<string>(), rules: [] };
    for (const rule of argv.slice(3)) {
      const lr = rule.toLowerCase();
      if (lr === 'on') u.enabled = true;
      else if (lr === 'off') u.enabled = false;
      else if (lr === 'nopass') {
        u.nopass = true;
        u.passwords.clear();
      } else if (lr === 'resetpass') {
        u.nopass = false;
        u.passwords.clear();
      } else if (rule.startsWith('>')) {
        u.passwords.add(rule.slice(1));
        u.nopass = false;
      } else if (rule.startsWith('<')) u.passwords.delete(rule.slice(1));
      else if (lr === 'reset') {
        u.enabled = false;
        u.nopass = false;
        u.passwords.clear();
        u.rules = [];
      } else u.rules.push(rule);
    }
    s.users.set(argv[2], u);
    r.ok();
  } else if (sub === 'deluser' && argv.length >= 3) {
    let n = 0;
    for (const name of argv.slice(2)) {
      if (name === 'default') {
        r.error("ERR The 'default' user cannot be removed");
        return;
      }
    }
    for (const name of argv.slice(2)) {
      if (!s.users.delete(name)) continue;
      n++;
      for (const x of s.clients) if (x.user === name) setImmediate(() => x.socket.destroy());
    }
    r.int(n);
  } else {
    r.error(`ERR unknown subcommand or wrong number of arguments for '${argv[1] ?? ''}'. Try ACL HELP.`);
  }
}

function writeSpecNode(r: Reply, n: SpecNode): void {
  if (typeof n === 'number') r.int(n);
  else if (typeof n === 'string') r.bulk(n);
  else if (Array.isArray(n)) {
    r.array(n.length);
    for (const x of n) writeSpecNode(r, x);
  } else if (n.t === '+') r.status(String(n.v));
  else {
    const v = n.v as SpecNode[];
    r.raw(n.t === '~' && r.proto === 3 ? `~${v.length}\r\n` : `*${v.length}\r\n`);
    for (const x of v) writeSpecNode(r, x);
  }
}

/** COMMAND INFO's entry for `name` in Sentinel mode (redis-sentinel's); a nil for a command it does not have. */
function writeCommandInfo(r: Reply, name: string): void {
  const info = SENTINEL_COMMANDS.find((x) => x[0] === name);
  if (info === undefined) r.nullBulk();
  else writeSpecNode(r, info);
}

function arity(r: Reply, cmd: string): void {
  r.error(`ERR wrong number of arguments for '${cmd}' command`);
}

function helloCommand(s: Sentinel, c: SentinelClient, argv: string[], r: Reply): void {
  let proto = c.proto;
  let i = 1;
  if (argv.length >= 2) {
    const v = Number(argv[1]);
    if (!Number.isInteger(v)) {
      r.error('ERR Protocol version is not an integer or out of range');
      return;
    }
    if (v < 2 || v > 3) {
      r.error('NOPROTO unsupported protocol version');
      return;
    }
    proto = v;
    i = 2;
  }
  let name: string | null = null;
  for (; i < argv.length; i++) {
    const o = argv[i].toLowerCase();
    if (o === 'auth' && i + 2 < argv.length) {
      if (!checkUser(s, argv[i + 1], argv[i + 2])) {
        r.error('WRONGPASS invalid username-password pair or user is disabled.');
        return;
      }
      c.authenticated = true;
      c.user = argv[i + 1];
      i += 2;
    } else if (o === 'setname' && i + 1 < argv.length) {
      name = argv[++i];
    } else {
      r.error(`ERR Syntax error in HELLO option '${argv[i]}'`);
      return;
    }
  }
  if (!c.authenticated) {
    r.error(
      'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
    );
    return;
  }
  if (name !== null) c.name = name;
  c.proto = proto;
  r.proto = proto;
  r.map(6).bulk('server').bulk('redis').bulk('version').bulk(REDIS_VERSION).bulk('proto').int(proto).bulk('id').int(c.id);
  r.bulk('mode').bulk('sentinel').bulk('modules').array(0);
}

function clientCommand(s: Sentinel, c: SentinelClient, argv: string[], r: Reply): void {
  const sub = (argv[1] ?? '').toLowerCase();
  if (sub === 'setname' && argv.length === 3) {
    if (/[^!-~]/.test(argv[2])) {
      r.error('ERR Client names cannot contain spaces, newlines or special characters.');
      return;
    }
    c.name = argv[2];
    r.ok();
  } else if (sub === 'getname' && argv.length === 2) {
    if (c.name === '') r.nullBulk();
    else r.bulk(c.name);
  } else if (sub === 'id' && argv.length === 2) {
    r.int(c.id);
  } else if (sub === 'help') {
    r.array(CLIENT_HELP.length);
    for (const l of CLIENT_HELP) r.status(l);
  } else if (sub === 'no-evict') {
    const v = argv[2].toLowerCase();
    if (v === 'on' || v === 'off') r.ok();
    else r.error('ERR syntax error');
  } else if (sub === 'getredir') {
    r.int(-1);
  } else if ((sub === 'list' || sub === 'info') && argv.length >= 2) {
    // CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id ...] (clientCommand).
    let pick = (_: SentinelClient) => true;
    if (sub === 'list' && argv.length > 2) {
      const opt = argv[2].toLowerCase();
      if (opt === 'type' && argv.length === 4) {
        const t = argv[3].toLowerCase();
        if (!['normal', 'master', 'replica', 'slave', 'pubsub'].includes(t)) {
          r.error(`ERR Unknown client type '${argv[3]}'`);
          return;
        }
        pick = (x) => (t === 'pubsub' ? x.subscriptions > 0 : t === 'normal' && x.subscriptions === 0);
      } else if (opt === 'id' && argv.length >= 4) {
        const ids = new Set<number>();
        for (const a of argv.slice(3)) {
          if (!/^[1-9]\d*$/.test(a)) {
            r.error('ERR Invalid client ID');
            return;
          }
          ids.add(Number(a));
        }
        pick = (x) => ids.has(x.id);
      } else {
        r.error('ERR syntax error');
        return;
      }
    }
    const line = (x: SentinelClient) =>
      `id=${x.id} addr=${x.socket.remoteAddress}:${x.socket.remotePort} laddr=${x.socket.localAddress}:${x.socket.localPort} fd=0 name=${x.name} age=${Math.floor((Date.now() - x.createdAt) / 1000)} idle=0 flags=N db=0 sub=${x.channels.size} psub=${x.patterns.size} ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=client|${sub} user=default redir=-1 resp=${x.proto}\n`;
    r.verbatim(sub === 'info' ? line(c) : [...s.clients].filter(pick).map(line).join(''));
  } else if (sub === 'kill' && argv.length === 3) {
    let hit: SentinelClient | null = null;
    for (const x of s.clients) if (`${x.socket.remoteAddress}:${x.socket.remotePort}` === argv[2]) hit = x;
    if (hit === null) {
      r.error('ERR No such client');
      return;
    }
    r.ok();
    hit.socket.destroy();
  } else if (sub === 'kill' && argv.length >= 4 && argv.length % 2 === 0) {
    // CLIENT KILL <filter> <value> ... (USER, ID, ADDR, LADDR, TYPE, SKIPME).
    let skipme = true;
    const tests: ((x: SentinelClient) => boolean)[] = [];
    for (let i = 2; i < argv.length; i += 2) {
      const f = argv[i].toLowerCase();
      const v = argv[i + 1];
      if (f === 'user') tests.push((x) => x.user === v);
      else if (f === 'id') tests.push((x) => String(x.id) === v);
      else if (f === 'addr') tests.push((x) => `${x.socket.remoteAddress}:${x.socket.remotePort}` === v);
      else if (f === 'laddr') tests.push((x) => `${x.socket.localAddress}:${x.socket.localPort}` === v);
      else if (f === 'type')
        tests.push((x) => (v.toLowerCase() === 'pubsub' ? x.subscriptions > 0 : v.toLowerCase() === 'normal' && x.subscriptions === 0));
      else if (f === 'skipme') skipme = v.toLowerCase() !== 'no';
      else {
        r.error('ERR syntax error');
        return;
      }
    }
    const victims = [...s.clients].filter((x) => !(skipme && x === c) && tests.every((t) => t(x)));
    r.int(victims.length);
    for (const x of victims) {
      if (x === c) {
        x.socket.end(r.take());
        continue;
      }
      x.socket.destroy();
    }
  } else {
    r.error(`ERR unknown subcommand or wrong number of arguments for '${argv[1] ?? ''}'. Try CLIENT HELP.`);
  }
}

/** INFO in Sentinel mode: server, clients, cpu, stats, sentinel sections (sentinelInfoCommand). */
export function infoString(s: Sentinel, args: string[]): string {
  const all = ['server', 'clients', 'cpu', 'stats', 'sentinel'];
  let want = args.map((a) => a.toLowerCase());
  if (want.length === 0 || want.includes('all') || want.includes('everything') || want.includes('default')) want = all;
  const secs: string[] = [];
  const up = Math.floor((Date.now() - s.startTime) / 1000);
  if (want.includes('server')) {
    secs.push(
      [
        '# Server',
        `redis_version:${REDIS_VERSION}`,
        'redis_git_sha1:00000000',
        'redis_git_dirty:0',
        'redis_build_id:0',
        'redis_mode:sentinel',
        `os:${os.type()} ${os.release()} ${os.arch()}`,
        'arch_bits:64',
        'monotonic_clock:POSIX clock_gettime',
        'multiplexing_api:epoll',
        'atomicvar_api:c11-builtin',
        'gcc_version:0.0.0',
        `process_id:${process.pid}`,
        'process_supervised:no',
        `run_id:${s.runId}`,
        `tcp_port:${s.port}`,
        `server_time_usec:${Date.now() * 1000}`,
        `uptime_in_seconds:${up}`,
        `uptime_in_days:${Math.floor(up / 86400)}`,
        'hz:10',
        'configured_hz:10',
        'lru_clock:0',
        `executable:${process.argv[1] ?? ''}`,
        `config_file:${s.configFile}`,
        'io_threads_active:0',
      ].join('\r\n'),
    );
  }
  if (want.includes('clients')) {
    secs.push(
      [
        '# Clients',
        `connected_clients:${s.clients.size}`,
        'cluster_connections:0',
        'maxclients:10000',
        'client_recent_max_input_buffer:0',
        'client_recent_max_output_buffer:0',
        'blocked_clients:0',
        'tracking_clients:0',
        'clients_in_timeout_table:0',
      ].join('\r\n'),
    );
  }
  if (want.includes('stats')) {
    secs.push(
      [
        '# Stats',
        `total_connections_received:${s.totalConnections}`,
        `total_commands_processed:${s.totalCommands}`,
        'instantaneous_ops_per_sec:0',
        'rejected_connections:0',
        `pubsub_channels:${[...s.channels.values()].filter((x) => x.size > 0).length}`,
        `pubsub_patterns:${[...s.patterns.values()].filter((x) => x.size > 0).length}`,
      ].join('\r\n'),
    );
  }
  if (want.includes('cpu')) {
    const u = process.cpuUsage();
    secs.push(
      [
        '# CPU',
        `used_cpu_sys:${(u.system / 1e6).toFixed(6)}`,
        `used_cpu_user:${(u.user / 1e6).toFixed(6)}`,
        'used_cpu_sys_children:0.000000',
        'used_cpu_user_children:0.000000',
      ].join('\r\n'),
    );
  }
  if (want.includes('sentinel')) {
    const lines = [
      '# Sentinel',
      `sentinel_masters:${s.masters.size}`,
      `sentinel_tilt:${s.tilt ? 1 : 0}`,
      `sentinel_tilt_since_seconds:${s.tilt ? Math.floor((Date.now() - s.tiltStartTime) / 1000) : -1}`,
      'sentinel_running_scripts:0',
      'sentinel_scripts_queue_length:0',
      `sentinel_simulate_failure_flags:${s.simfailureFlags}`,
    ];
    let i = 0;
    for (const m of s.masters.values()) {
      const status = m.flags & SRI_O_DOWN ? 'odown' : m.flags & SRI_S_DOWN ? 'sdown' : 'ok';
      lines.push(
        `master${i++}:name=${m.name},status=${status},address=${announce(m.addr)}:${m.addr.port},slaves=${m.slaves.size},sentinels=${m.sentinels.size + 1}`,
      );
    }
    secs.push(lines.join('\r\n'));
  }
  return secs.length === 0 ? '' : `${secs.join('\r\n\r\n')}\r\n`;
}

/** addReplySentinelRedisInstance: the field map of one instance. */
function replyInstance(r: Reply, ri: Instance): void {
  const now = Date.now();
  const kv: (string | number)[] = [
    'name',
    ri.name,
    'ip',
    announce(ri.addr),
    'port',
    ri.addr.port,
    'runid',
    ri.runid ?? '',
    'flags',
    ri.flagsString(),
    'link-pending-commands',
    ri.link.pendingCommands,
    'link-refcount',
    ri.link.refcount,
  ];
  if (ri.flags & SRI_FAILOVER_IN_PROGRESS) kv.push('failover-state', failoverStateName(ri.failoverState));
  kv.push('last-ping-sent', ri.link.actPingTime ? now - ri.link.actPingTime : 0);
  kv.push('last-ok-ping-reply', now - ri.link.lastAvailTime, 'last-ping-reply', now - ri.link.lastPongTime);
  if (ri.flags & SRI_S_DOWN) kv.push('s-down-time', now - ri.sDownSinceTime);
  if (ri.flags & SRI_O_DOWN) kv.push('o-down-time', now - ri.oDownSinceTime);
  kv.push('down-after-milliseconds', ri.downAfterPeriod);
  if (ri.flags & (SRI_MASTER | SRI_SLAVE)) {
    kv.push('info-refresh', ri.infoRefresh ? now - ri.infoRefresh : 0);
    kv.push('role-reported', ri.roleReported === SRI_MASTER ? 'master' : 'slave', 'role-reported-time', now - ri.roleReportedTime);
  }
  if (ri.isMaster) {
    kv.push('config-epoch', ri.configEpoch, 'num-slaves', ri.slaves.size, 'num-other-sentinels', ri.sentinels.size, 'quorum', ri.quorum);
    kv.push('failover-timeout', ri.failoverTimeout, 'parallel-syncs', ri.parallelSyncs);
    if (ri.notificationScript) kv.push('notification-script', ri.notificationScript);
    if (ri.clientReconfigScript) kv.push('client-reconfig-script', ri.clientReconfigScript);
  }
  if (ri.isSlave) {
    kv.push('master-link-down-time', ri.masterLinkDownTime, 'master-link-status', ri.slaveMasterLinkStatus === 0 ? 'ok' : 'err');
    kv.push('master-host', ri.slaveMasterHost ?? '?', 'master-port', ri.slaveMasterPort, 'slave-priority', ri.slavePriority);
    kv.push('slave-repl-offset', ri.slaveReplOffset, 'replica-announced', ri.replicaAnnounced);
  }
  if (ri.isSentinel) {
    kv.push('last-hello-message', now - ri.lastHelloTime, 'voted-leader', ri.leader ?? '?', 'voted-leader-epoch', ri.leaderEpoch);
  }
  r.pairs(kv);
}

function replyInstances(r: Reply, list: Iterable<Instance>): void {
  const items = [...list].filter((x) => !(x.isSlave && !x.replicaAnnounced));
  r.array(items.length);
  for (const x of items) replyInstance(r, x);
}

function masterOrError(s: Sentinel, name: string, r: Reply): Instance | null {
  const m = s.masters.get(name);
  if (m === undefined) r.error('ERR No such master with that name');
  return m ?? null;
}

function flushAndReply(s: Sentinel, r: Reply): void {
  if (s.flushConfig()) r.ok();
  else r.error('ERR Failed to save config file. Check server logs.');
}

function sentinelCommand(s: Sentinel, c: SentinelClient, argv: string[], r: Reply): void {
  const sub = argv[1].toLowerCase();
  const n = argv.length;
  const numargs = (): void => {
    r.error(`ERR wrong number of arguments for 'sentinel|${sub}' command`);
  };
  switch (sub) {
    case 'masters':
      if (n !== 2) {
        numargs();
        return;
      }
      replyInstances(r, s.masters.values());
      return;
    case 'master': {
      if (n !== 3) {
        numargs();
        return;
      }
      const m = masterOrError(s, argv[2], r);
      if (m) replyInstance(r, m);
      return;
    }
    case 'slaves':
    case 'replicas': {
      if (n !== 3) {
        numargs();
        return;
      }
      const m = masterOrError(s, argv[2], r);
      if (m) replyInstances(r, m.slaves.values());
      return;
    }
    case 'sentinels': {
      if (n !== 3) {
        numargs();
        return;
      }
      const m = masterOrError(s, argv[2], r);
      if (m) replyInstances(r, m.sentinels.values());
      return;
    }
    case 'myid':
      if (n !== 2) {
        numargs();
        return;
      }
      r.bulk(s.myid);
      return;
    case 'is-master-down-by-addr': {
      if (n !== 6) {
        numargs();
        return;
      }
      const port = Number(argv[3]);
      const epoch = Number(argv[4]);
      if (!/^-?\d+$/.test(argv[3]) || !/^-?\d+$/.test(argv[4])) {
        r.error('ERR value is not an integer or out of range');
        return;
      }
      let ri: Instance | null = null;
      for (const m of s.masters.values())
        if (m.addr.port === port && (m.addr.ip === argv[2] || m.addr.host.toLowerCase() === argv[2].toLowerCase())) ri = m;
      const isdown = !s.tilt && ri !== null && (ri.flags & SRI_S_DOWN) !== 0;
      let leader: string | null = null;
      let leaderEpoch = 0;
      if (ri !== null && argv[5] !== '*') {
        const v = voteLeader(s, ri, epoch, argv[5]);
        leader = v.leader;
        leaderEpoch = v.epoch;
      }
      r.array(3)
        .int(isdown ? 1 : 0)
        .bulk(leader ?? '*')
        .int(leaderEpoch);
      return;
    }
    case 'reset': {
      if (n !== 3) {
        numargs();
        return;
      }
      let count = 0;
      for (const m of s.masters.values()) {
        if (!globMatch(argv[2], m.name)) continue;
        resetMaster(s, m, true, true);
        count++;
      }
      if (count) s.flushConfig();
      r.int(count);
      return;
    }
    case 'get-master-addr-by-name': {
      if (n !== 3) {
        numargs();
        return;
      }
      const m = s.masters.get(argv[2]);
      if (m === undefined) r.nullArray();
      else {
        const a = s.currentMasterAddr(m);
        r.array(2).bulk(announce(a)).bulk(a.port);
      }
      return;
    }
    case 'failover': {
      if (n !== 3) {
        numargs();
        return;
      }
      const m = masterOrError(s, argv[2], r);
      if (!m) return;
      if (m.flags & SRI_FAILOVER_IN_PROGRESS) {
        r.error('INPROG Failover already in progress');
        return;
      }
      if (selectSlave(s, m) === null) {
        r.error('NOGOODSLAVE No suitable replica to promote');
        return;
      }
      s.log.warning(`Executing user requested FAILOVER of '${m.name}'`);
      startFailover(s, m);
      m.flags |= SRI_FORCE_FAILOVER;
      r.ok();
      return;
    }
    case 'pending-scripts': {
      // sentinelPendingScriptsCommand: one map per job.
      const now = Date.now();
      r.array(s.scripts.jobs.length);
      for (const j of s.scripts.jobs) {
        r.map(5).bulk('argv').array(j.argv.length);
        for (const a of j.argv) r.bulk(a);
        r.bulk('flags')
          .bulk(j.running ? 'running' : 'scheduled')
          .bulk('pid')
          .bulk(j.pid);
        if (j.running) r.bulk('run-time').bulk(now - j.startTime);
        else r.bulk('run-delay').bulk(j.startTime !== 0 ? Math.max(0, j.startTime - now) : 0);
        r.bulk('retry-num').bulk(j.retryNum);
      }
      return;
    }
    case 'monitor': {
      if (n !== 6) {
        numargs();
        return;
      }
      if (!/^-?\d+$/.test(argv[5])) {
        r.error('ERR Invalid quorum');
        return;
      }
      if (!/^-?\d+$/.test(argv[4])) {
        r.error('ERR Invalid port');
        return;
      }
      const quorum = Number(argv[5]);
      if (quorum <= 0) {
        r.error('ERR Quorum must be 1 or greater.');
        return;
      }
      if (net.isIP(argv[3]) === 0 && !(s.resolveHostnames && /^[A-Za-z0-9.-]+$/.test(argv[3]))) {
        r.error('ERR Invalid IP address or hostname specified');
        return;
      }
      const res = s.createMaster(argv[2], argv[3], Number(argv[4]), quorum);
      if (typeof res === 'string') {
        r.error(`ERR ${res}`);
        return;
      }
      flushAndReply(s, r);
      s.event('warning', '+monitor', res, `%@ quorum ${res.quorum}`);
      return;
    }
    case 'flushconfig':
      if (n !== 2) {
        numargs();
        return;
      }
      flushAndReply(s, r);
      return;
    case 'remove': {
      if (n !== 3) {
        numargs();
        return;
      }
      const m = masterOrError(s, argv[2], r);
      if (!m) return;
      s.event('warning', '-monitor', m, '%@');
      s.releaseMasterLinks(m, true);
      s.masters.delete(argv[2]);
      flushAndReply(s, r);
      return;
    }
    case 'ckquorum': {
      if (n !== 3) {
        numargs();
        return;
      }
      const m = masterOrError(s, argv[2], r);
      if (!m) return;
      let usable = 1;
      const voters = m.sentinels.size + 1;
      for (const se of m.sentinels.values()) if (!(se.flags & (SRI_S_DOWN | SRI_O_DOWN))) usable++;
      const noQuorum = usable < m.quorum;
      const noAuth = usable < Math.floor(voters / 2) + 1;
      if (!noQuorum && !noAuth) {
        r.status(`OK ${usable} usable Sentinels. Quorum and failover authorization can be reached`);
      } else {
        let e = `NOQUORUM ${usable} usable Sentinels. `;
        if (noQuorum) e += 'Not enough available Sentinels to reach the specified quorum for this master';
        if (noAuth) {
          if (noQuorum) e += '. ';
          e += 'Not enough available Sentinels to reach the majority and authorize a failover';
        }
        r.error(e);
      }
      return;
    }
    case 'set':
      sentinelSet(s, argv, r);
      return;
    case 'config': {
      if (n < 3) {
        numargs();
        return;
      }
      const op = argv[2].toLowerCase();
      if (op === 'set' && n === 5) {
        sentinelConfigSet(s, argv[3], argv[4], r);
        return;
      }
      if (op === 'get' && n === 4) {
        const vals: [string, string | number][] = [
          ['resolve-hostnames', s.resolveHostnames ? 'yes' : 'no'],
          ['announce-hostnames', s.announceHostnames ? 'yes' : 'no'],
          ['announce-ip', s.announceIp],
          ['announce-port', s.announcePort],
          ['sentinel-user', s.sentinelUser ?? ''],
          ['sentinel-pass', s.sentinelPass ?? ''],
        ];
        const hit = vals.filter(([k]) => globMatch(argv[3], k, true));
        r.map(hit.length);
        for (const [k, v] of hit) {
          r.bulk(k);
          r.bulk(v);
        }
        return;
      }
      r.error('ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.');
      return;
    }
    case 'info-cache': {
      const now = Date.now();
      const list =
        n > 2
          ? argv
              .slice(2)
              .map((x) => s.masters.get(x))
              .filter((x): x is Instance => x !== undefined)
          : [...s.masters.values()];
      const uniq = [...new Set(list)];
      r.array(uniq.length * 2);
      for (const m of uniq) {
        r.bulk(m.name).array(m.slaves.size + 1);
        for (const x of [m, ...m.slaves.values()]) {
          r.array(2).int(m.infoRefresh ? now - x.infoRefresh : 0);
          if (x.info === null) r.nullBulk();
          else r.bulk(x.info);
        }
      }
      return;
    }
    case 'simulate-failure': {
      s.simfailureFlags = 0;
      for (const a of argv.slice(2)) {
        const o = a.toLowerCase();
        if (o === 'crash-after-election') {
          s.simfailureFlags |= 1;
          s.log.warning('Failure simulation: this Sentinel will crash after being successfully elected as failover leader');
        } else if (o === 'crash-after-promotion') {
          s.simfailureFlags |= 2;
          s.log.warning('Failure simulation: this Sentinel will crash after promoting the selected replica to master');
        }
        else if (o === 'help') {
          r.array(2).bulk('crash-after-election').bulk('crash-after-promotion');
          return;
        } else {
          r.error('ERR Unknown failure simulation specified');
          return;
        }
      }
      r.ok();
      return;
    }
    case 'debug':
      sentinelDebug(s, argv, r);
      return;
    case 'help':
      if (n !== 2) {
        numargs();
        return;
      }
      r.array(SENTINEL_HELP.length);
      for (const l of SENTINEL_HELP) r.status(l);
      return;
  }
  r.error(`ERR unknown subcommand '${argv[1]}'. Try SENTINEL HELP.`);
  void c;
}

function sentinelConfigSet(s: Sentinel, opt: string, val: string, r: Reply): void {
  const o = opt.toLowerCase();
  const bad = (): void => {
    r.error(`ERR Invalid value '${val}' to SENTINEL CONFIG SET '${opt}'`);
  };
  const yn = (v: string) => (v.toLowerCase() === 'yes' ? true : v.toLowerCase() === 'no' ? false : null);
  let drop = false;
  if (o === 'resolve-hostnames' || o === 'announce-hostnames') {
    const b = yn(val);
    if (b === null) {
      bad();
      return;
    }
    if (o === 'resolve-hostnames') s.resolveHostnames = b;
    else s.announceHostnames = b;
  } else if (o === 'announce-ip') s.announceIp = val;
  else if (o === 'announce-port') {
    const p = Number(val);
    if (!/^\d+$/.test(val) || p > 65535) {
      bad();
      return;
    }
    s.announcePort = p;
  } else if (o === 'sentinel-user') {
    s.sentinelUser = val === '' ? null : val;
    drop = true;
  } else if (o === 'sentinel-pass') {
    s.sentinelPass = val === '' ? null : val;
    drop = true;
  } else {
    r.error(`ERR Invalid argument '${opt}' to SENTINEL CONFIG SET`);
    return;
  }
  flushAndReply(s, r);
  if (drop) for (const m of s.masters.values()) for (const se of m.sentinels.values()) se.link.closeAll();
}

/** sentinelSetCommand: per-master options, applied in order; the config is flushed on success. */
function sentinelSet(s: Sentinel, argv: string[], r: Reply): void {
  if (argv.length < 5) {
    r.error("ERR wrong number of arguments for 'sentinel|set' command");
    return;
  }
  const m = masterOrError(s, argv[2], r);
  if (!m) return;
  let changed = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j].toLowerCase();
    const more = argv.length - 1 - j;
    const val = argv[j + 1];
    const badarg = (): void => {
      r.error(`ERR Invalid argument '${argv[j + 1]}' for SENTINEL SET '${argv[j]}'`);
    };
    const int = () => (/^-?\d+$/.test(val) ? Number(val) : Number.NaN);
    if (opt === 'rename-command' && more >= 2) {
      const from = argv[j + 1];
      const to = argv[j + 2];
      if (from.toLowerCase() === to.toLowerCase()) m.renamedCommands.delete(from.toLowerCase());
      else m.renamedCommands.set(from.toLowerCase(), to);
      j += 2;
      changed++;
      continue;
    }
    if (more < 1) {
      r.error(`ERR Unknown option or number of arguments for SENTINEL SET '${argv[j]}'`);
      return;
    }
    if (opt === 'down-after-milliseconds' || opt === 'failover-timeout' || opt === 'parallel-syncs' || opt === 'quorum') {
      const v = int();
      if (!(v > 0)) {
        badarg();
        return;
      }
      if (opt === 'down-after-milliseconds') s.setDownAfter(m, v);
      else if (opt === 'failover-timeout') m.failoverTimeout = v;
      else if (opt === 'parallel-syncs') m.parallelSyncs = v;
      else m.quorum = v;
    } else if (opt === 'master-reboot-down-after-period') {
      const v = int();
      if (!(v >= 0)) {
        badarg();
        return;
      }
      m.masterRebootDownAfterPeriod = v;
    } else if (opt === 'notification-script' || opt === 'client-reconfig-script') {
      if (s.denyScriptsReconfig) {
        r.error(
          'ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration',
        );
        return;
      }
      try {
        if (val !== '') accessSync(val, constants.X_OK);
      } catch {
        r.error(
          opt === 'notification-script'
            ? 'ERR Notification script seems non existing or non executable'
            : 'ERR Client reconfiguration script seems non existing or non executable',
        );
        if (changed) s.flushConfig();
        return;
      }
      if (opt === 'notification-script') m.notificationScript = val === '' ? null : val;
      else m.clientReconfigScript = val === '' ? null : val;
    } else if (opt === 'auth-pass') {
      m.authPass = val === '' ? null : val;
      s.releaseMasterLinks(m, false);
    } else if (opt === 'auth-user') {
      m.authUser = val === '' ? null : val;
      s.releaseMasterLinks(m, false);
    } else {
      r.error(`ERR Unknown option or number of arguments for SENTINEL SET '${argv[j]}'`);
      return;
    }
    s.event('warning', '+set', m, `%@ ${argv[j]} ${opt === 'auth-pass' ? '******' : val}`);
    j++;
    changed++;
  }
  flushAndReply(s, r);
}

/** SENTINEL DEBUG [param value ...]: the timing tunables (sentinelSetDebugConfigParameters). */
function sentinelDebug(s: Sentinel, argv: string[], r: Reply): void {
  const t = s.timing;
  const names: [string, keyof typeof t][] = [
    ['info-period', 'infoPeriod'],
    ['ping-period', 'pingPeriod'],
    ['ask-period', 'askPeriod'],
    ['publish-period', 'publishPeriod'],
    ['default-down-after', 'defaultDownAfter'],
    ['default-failover-timeout', 'defaultFailoverTimeout'],
    ['tilt-trigger', 'tiltTrigger'],
    ['tilt-period', 'tiltPeriod'],
    ['slave-reconf-timeout', 'slaveReconfTimeout'],
    ['min-link-reconnect-period', 'minLinkReconnectPeriod'],
    ['election-timeout', 'electionTimeout'],
  ];
  if (argv.length === 2) {
    r.map(names.length + 2);
    for (const [k, f] of names) r.bulk(k.toUpperCase()).bulk(t[f]);
    r.bulk('SCRIPT-MAX-RUNTIME').bulk(s.scripts.maxRuntime).bulk('SCRIPT-RETRY-DELAY').bulk(s.scripts.retryDelay);
    return;
  }
  for (let j = 2; j < argv.length; j++) {
    const opt = argv[j].toLowerCase();
    if ((opt === 'script-max-runtime' || opt === 'script-retry-delay') && j + 1 < argv.length) {
      const v = Number(argv[j + 1]);
      if (!Number.isInteger(v) || v <= 0) {
        r.error(`ERR Invalid argument '${argv[j + 1]}' for SENTINEL DEBUG '${argv[j]}'`);
        return;
      }
      if (opt === 'script-max-runtime') s.scripts.maxRuntime = v;
      else s.scripts.retryDelay = v;
      j++;
      continue;
    }
    const e = names.find(([k]) => k === opt);
    if (!e || j + 1 >= argv.length) {
      r.error(`ERR Unknown option or number of arguments for SENTINEL DEBUG '${argv[j]}'`);
      return;
    }
    const v = Number(argv[j + 1]);
    if (!Number.isInteger(v) || v <= 0) {
      r.error(`ERR Invalid argument '${argv[j + 1]}' for SENTINEL DEBUG '${argv[j]}'`);
      return;
    }
    t[e[1]] = v;
    j++;
  }
  r.ok();
}
