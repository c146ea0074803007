/**
 * CONFIG GET/SET/RESETSTAT/REWRITE/HELP over the directive table in src/config/config.ts.
 * Source: Redis 7.0 config.c (configGetCommand, configSetCommand, rewriteConfig).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import {
  ConfigApplyError,
  ConfigError,
  type ConfigValue,
  DIRECTIVES,
  findDirective,
  formatValue,
  parseValue,
} from '../../config/config.js';
import { getPersistence } from '../../persistence/index.js';
import { splitArgs } from '../../protocol/parser.js';
import { aclUserLines } from '../../server/acl.js';
import type { Client } from '../../server/client.js';
import { lazyfreeOf } from '../keys/lazyfree.js';
import { replyWhenChildRuns } from '../persistence/index.js';
import type { KeydraServer } from '../../server/server.js';
import { globMatch } from '../../store/glob.js';
import type { CommandDef } from '../types.js';
import { replyHelp } from '../../protocol/respTree.js';
import { isLocal } from './debug.js';
import { ERR_LOADING } from '../../errors.js';

/**
 * CONFIG GET pattern [pattern ...]: a map of every matching name to its value. Aliases are names
 * of their own (`slave-read-only` matches `*read-only*` beside `replica-read-only`); each name is
 * answered once; hidden directives only by exact name. Source: config.c configGetCommand.
 */
function configGetCommand(c: Client, argv: string[]): void {
  const seen = new Set<string>();
  const out: [string, string][] = [];
  const config = c.server.config;
  for (let i = 2; i < argv.length; i++) {
    const pat = argv[i];
    if (!/[*?[]/.test(pat)) {
      const key = pat.toLowerCase();
      const d = findDirective(pat);
      if (d && !seen.has(key)) {
        seen.add(key);
        out.push([key, formatValue(d, config.get(d.name))]);
      }
      continue;
    }
    for (const d of DIRECTIVES) {
      if (d.hidden) continue;
      for (const name of d.aliases ? [d.name, ...d.aliases] : [d.name]) {
        if (seen.has(name) || !globMatch(pat, name, true)) continue;
        seen.add(name);
        out.push([name, formatValue(d, config.get(d.name))]);
      }
    }
  }
  c.reply.mapLen(out.length);
  for (const [k, v] of out) {
    c.reply.bulk(k);
    c.reply.bulk(v);
  }
}

/**
 * CONFIG SET name value [name value ...]: validates every pair first and applies them all or
 * none (Redis 7.0 is atomic; a failing apply restores the previous values). Immutable configs
 * are refused, protected ones (dir, dbfilename) unless `enable-protected-configs` allows the
 * client. A new `port` or `bind` rebinds the listeners before the reply (the client waits);
 * failing, every value is restored and the reply is Redis's "Unable to listen on this port" /
 * "Failed to bind to specified addresses" error. Source: config.c configSetCommand.
 */
function configSetCommand(c: Client, argv: string[]): void {
  if ((argv.length - 2) % 2 !== 0) {
    c.error('ERR syntax error');
    return;
  }
  const config = c.server.config;
  const pairs: { name: string; given: string; arg: string; value: ConfigValue }[] = [];
  const seen = new Set<string>();
  const protectedOk = allowProtected(config.str('enable-protected-configs'), c);
  const fail = (name: string, why: string) => c.error(`ERR CONFIG SET failed (possibly related to argument '${name}') - ${why}`);
  // First pass as Redis: unknown names, immutable/protected ones and duplicates.
  for (let i = 2; i < argv.length; i += 2) {
    const d = findDirective(argv[i]);
    if (!d) {
      c.error(`ERR Unknown option or number of arguments for CONFIG SET - '${argv[i]}'`);
      return;
    }
    if (!d.mutable || (d.protected && !protectedOk)) {
      fail(argv[i], d.mutable ? "can't set protected config" : "can't set immutable config");
      return;
    }
    // Redis DENY_LOADING_CONFIG: refused while loading, async loading (a replica's swapdb) included.
    if (d.denyLoading && (c.server.loading || getPersistence(c.server).asyncLoading)) {
      c.error(ERR_LOADING);
      return;
    }
    if (seen.has(d.name)) {
      fail(argv[i], 'duplicate parameter');
      return;
    }
    seen.add(d.name);
  }
  for (let i = 2; i < argv.length; i += 2) {
    const d = findDirective(argv[i])!;
    try {
      const value = parseValue(d, [argv[i + 1]]);
      const bad = d.validate?.(value);
      if (bad) throw new ConfigError(bad);
      pairs.push({ name: d.name, given: argv[i], arg: argv[i + 1], value });
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      fail(argv[i], e.message);
      return;
    }
  }
  const old = pairs.map((p) => ({ name: p.name, value: formatValue(findDirective(p.name)!, config.get(p.name)) }));
  const restore = () => {
    for (const o of old) config.set(o.name, o.value === '' ? [''] : [o.value]);
  };
  for (const p of pairs) {
    try {
      config.set(p.name, [p.arg], true);
    } catch (e) {
      restore();
      fail(p.given, (e as Error).message);
      return;
    }
  }
  try {
    // Apply functions (Redis's apply callbacks, e.g. TLS contexts), once for all the pairs.
    config.applyPending();
  } catch (e) {
    if (!(e instanceof ConfigApplyError)) throw e;
    restore();
    try {
      config.applyPending();
    } catch {
      // The old values applied before; nothing more to undo.
    }
    fail(pairs.find((p) => p.name === e.directive)?.given ?? e.directive, e.message);
    return;
  }
  for (const w of config.takeStubWarnings()) c.server.log.warning(w);
  const rebind = pairs.find((p) => p.name === 'port' || p.name === 'bind' || p.name === 'tls-port');
  if (rebind === undefined) {
    // appendonly yes starts a rewrite: the reply waits for its child, as Redis's follows its fork().
    replyWhenChildRuns(c, 'config|set', () => c.reply.ok());
    return;
  }
  // The listeners follow the new port/bind: the reply waits for the sockets (Redis changeListenPort/changeBindAddr).
  const server = c.server;
  const portChanged = pairs.some((p) => p.name === 'port' || p.name === 'tls-port');
  const portName = pairs.find((p) => p.name === 'port' || p.name === 'tls-port')?.given ?? 'bind';
  const done = (err: Error | null) => {
    if (err !== null) {
      restore();
      // A TLS port without usable certificates: Redis applyTLSPort's own text.
      const why =
        err instanceof ConfigError
          ? err.message
          : portChanged
            ? 'Unable to listen on this port. Check server logs.'
            : 'Failed to bind to specified addresses.';
      fail(portName, why);
    } else {
      c.reply.ok();
    }
  };
  const inTransaction = server.execDepth > 0 || c.socket === null;
  const p = server.rebindTcp();
  if (inTransaction) {
    // Inside EXEC or a script the reply cannot wait: OK now, a failure is logged.
    c.reply.ok();
    p.catch(() => restore());
    return;
  }
  server.blockClient(c, { keys: [], deadline: 0, onReady: () => false, onTimeout: () => {}, command: 'config|set' });
  p.then(
    () => done(null),
    (e: Error) => done(e),
  ).finally(() => {
    if (c.blocked !== null) server.unblockClient(c, true);
    server.flushPendingWrites();
  });
}

/** Whether `mode` (no | yes | local) allows this client a protected action (Redis allowProtectedAction). */
function allowProtected(mode: string, c: Client): boolean {
  return mode === 'yes' || (mode === 'local' && isLocal(c));
}

/** CONFIG RESETSTAT: zeroes INFO stats, errorstats and commandstats. */
function configResetstatCommand(c: Client): void {
  resetStats(c.server);
  c.reply.ok();
}

/** Zeroes the counters INFO reports (Redis resetServerStats + resetCommandTableStats). */
export function resetStats(server: KeydraServer): void {
  const st = server.stats;
  st.total_connections_received = 0;
  st.total_commands_processed = 0;
  st.total_net_input_bytes = 0;
  st.total_net_output_bytes = 0;
  st.rejected_connections = 0;
  st.total_error_replies = 0;
  st.total_reads_processed = 0;
  st.total_writes_processed = 0;
  st.evicted_clients = 0;
  st.errors.clear();
  const ks = server.keyspace.stats;
  ks.keyspace_hits = 0;
  ks.keyspace_misses = 0;
  ks.expired_keys = 0;
  ks.evicted_keys = 0;
  lazyfreeOf(server).freed = 0; // Redis lazyfreeResetStats
  server.cmdStats.reset();
}

/** Quotes a config argument for the file when it is empty or has spaces/specials (Redis sdscatrepr). */
function quoteArg(s: string): string {
  if (s !== '' && /^[\x21-\x7e]+$/.test(s) && !/["'\\]/.test(s)) return s;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    const code = s.charCodeAt(i);
    if (ch === '\\' || ch === '"') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code > 0x7e) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** The config-file lines for one directive's current value. */
function directiveLines(name: string, value: ConfigValue): string[] {
  const d = findDirective(name)!;
  if (d.type === 'save') {
    const v = value as string[];
    return [v.length === 0 ? 'save ""' : `save ${v.join(' ')}`];
  }
  if (d.type === 'replicaof' && (value as string[]).length === 0) return [];
  if (d.type === 'list' || d.type === 'flags' || d.type === 'floats' || d.type === 'replicaof') {
    const v = value as string[];
    return [v.length === 0 ? `${name} ""` : `${name} ${v.map(quoteArg).join(' ')}`];
  }
  if (d.type === 'obuf') return (value as string[]).map((r) => `${name} ${r}`);
  return [`${name} ${quoteArg(formatValue(d, value))}`];
}

/**
 * Rewrites the config file with the current values: lines of known directives are replaced in
 * place (the first occurrence; later duplicates dropped), other lines and comments are kept, and
 * non-default values not yet in the file are appended, or every value with `forceAll` (DEBUG
 * CONFIG-REWRITE-FORCE-ALL) (Redis rewriteConfig).
 * @throws Error when the file cannot be written.
 */
export function rewriteConfigFile(server: KeydraServer, forceAll = false): void {
  const config = server.config;
  const path = config.file;
  let text = '';
  try {
    text = readFileSync(path, 'latin1');
  } catch {
    text = '';
  }
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const done = new Set<string>();
  const out: string[] = [];
  // `user` lines: the ACL users, replacing the old lines in place (none with an aclfile); Redis rewriteConfigUserOption.
  const users = aclUserLines(server);
  for (const line of lines) {
    const argv = line.trim().startsWith('#') ? null : splitArgs(line.trim());
    if (argv && argv.length > 0 && argv[0].toLowerCase() === 'user') {
      const next = users.shift();
      if (next !== undefined) out.push(next);
      continue;
    }
    const d = argv && argv.length > 0 ? findDirective(argv[0]) : undefined;
    if (!d) {
      out.push(line);
      continue;
    }
    if (done.has(d.name)) continue;
    done.add(d.name);
    out.push(...directiveLines(d.name, config.get(d.name)));
  }
  let header = false;
  for (const d of DIRECTIVES) {
    if (done.has(d.name)) continue;
    const cur = formatValue(d, config.get(d.name));
    if (!forceAll && cur === formatValue(d, d.default)) continue;
    if (!header) {
      out.push('# Generated by CONFIG REWRITE');
      header = true;
    }
    out.push(...directiveLines(d.name, config.get(d.name)));
  }
  if (users.length > 0 && !header) out.push('# Generated by CONFIG REWRITE');
  out.push(...users);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${out.join('\n')}\n`, 'latin1');
  renameSync(tmp, path);
}

/** CONFIG REWRITE (`ERR The server is running without a config file` without one). */
function configRewriteCommand(c: Client): void {
  if (c.server.config.file === '') {
    c.error('ERR The server is running without a config file');
    return;
  }
  try {
    rewriteConfigFile(c.server);
  } catch (e) {
    c.server.log.warning(`CONFIG REWRITE failed: ${(e as Error).message}`);
    c.error(`ERR Rewriting config file: ${(e as Error).message}`);
    return;
  }
  c.server.log.notice('CONFIG REWRITE executed with success.');
  c.reply.ok();
}

const HELP = [
  'CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET <pattern>',
  '    Return parameters matching the glob-like <pattern> and their values.',
  'SET <directive> <value>',
  '    Set the configuration <directive> to <value>.',
  'RESETSTAT',
  '    Reset statistics reported by the INFO command.',
  'REWRITE',
  '    Rewrite the configuration file.',
  'HELP',
  '    Prints this help.',
];

export const configDef: CommandDef = {
  name: 'config',
  subcommands: [
    { name: 'get', handler: configGetCommand },
    { name: 'set', handler: configSetCommand },
    { name: 'resetstat', handler: configResetstatCommand },
    { name: 'rewrite', handler: configRewriteCommand },
    { name: 'help', handler: (c) => replyHelp(c.reply, HELP) },
  ],
};
