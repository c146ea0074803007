/**
 * Reading configuration the way redis-server does: a redis.conf-syntax file (one directive per
 * line, `#` comments, quoted arguments, `include`), then `--directive value ...` command-line
 * options, which are appended to the file's text as extra lines.
 * Source: Redis 7.0 config.c loadServerConfig/loadServerConfigFromString, server.c main.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { splitArgs } from '../protocol/parser.js';
import { type Config, ConfigError, type Directive, findDirective } from './config.js';

/** A config error located in a file (or the command line), formatted as Redis prints it. */
export class ConfigFileError extends Error {
  constructor(
    readonly source: string,
    readonly line: number,
    readonly text: string,
    readonly reason: string,
  ) {
    // Without a line (a check after reading, e.g. the log file), only the reason, as Redis.
    super(
      line === 0 && source === ''
        ? `\n*** FATAL CONFIG FILE ERROR (Keydra) ***\n${reason}`
        : `\n*** FATAL CONFIG FILE ERROR (Keydra) ***\nReading the configuration file, at line ${line} of ${source}\n>>> '${text}'\n${reason}`,
    );
  }
}

/**
 * Applies config text (redis.conf syntax) to `config`.
 * @param source file name for messages ('(command line)' for options)
 * @throws ConfigFileError naming the source, line and directive.
 */
export function loadConfigText(config: Config, text: string, source: string, depth = 0): void {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const argv = splitArgs(line);
    if (argv === null) throw new ConfigFileError(source, i + 1, line, 'Unbalanced quotes in configuration line');
    if (argv.length === 0) continue;
    const name = argv[0].toLowerCase();
    if (name === 'include') {
      if (argv.length !== 2) throw new ConfigFileError(source, i + 1, line, 'Bad directive or wrong number of arguments');
      if (depth > 10) throw new ConfigFileError(source, i + 1, line, 'include nesting too deep');
      const path = resolve(source.startsWith('(') ? '.' : dirname(source), argv[1]);
      let inc: string;
      try {
        inc = readFileSync(path, 'latin1');
      } catch (e) {
        throw new ConfigFileError(source, i + 1, line, `Fatal error, can't open config file '${path}': ${(e as Error).message}`);
      }
      loadConfigText(config, inc, path, depth + 1);
      continue;
    }
    const d = findDirective(name);
    if (!d) {
      const special = specialDirective(config, argv);
      if (special === null) continue;
      throw new ConfigFileError(source, i + 1, line, special);
    }
    // One argument, except for the multi-argument directives (Redis MULTI_ARG_CONFIG), whose
    // single non-empty argument is split on spaces (`--save "900 1 300 10"`); a bare `save` is `save ""`.
    const multi = MULTI_ARG.has(d.type);
    if (!multi && argv.length !== 2) throw new ConfigFileError(source, i + 1, line, 'wrong number of arguments');
    const args = argv.slice(1);
    const was = config.reading;
    config.reading = true;
    try {
      config.set(name, args);
    } catch (e) {
      if (e instanceof ConfigError) throw new ConfigFileError(source, i + 1, line, e.message);
      throw e;
    } finally {
      config.reading = was;
    }
  }
}

/** Directive types that take several arguments (Redis MULTI_ARG_CONFIG). */
const MULTI_ARG = new Set<Directive['type']>(['save', 'list', 'obuf', 'flags', 'floats', 'replicaof']);

/** Directives Redis 7.0 ignores (config.c deprecated_configs): name → [min, max] argument count with the name. */
const DEPRECATED: Record<string, [number, number]> = {
  'list-max-ziplist-entries': [2, 2],
  'list-max-ziplist-value': [2, 2],
  'lua-replicate-commands': [2, 2],
};

/**
 * The directives outside the config table (Redis loadServerConfigFromString): `rename-command`,
 * `loadmodule`, module configs (`name.option value`), `sentinel`, and the deprecated ones.
 * @returns null when accepted, else the error text.
 */
function specialDirective(config: Config, argv: string[]): string | null {
  const name = argv[0].toLowerCase();
  const dep = DEPRECATED[name];
  if (dep && argv.length >= dep[0] && argv.length <= dep[1]) return null;
  if (name === 'rename-command' && argv.length === 3) {
    // The command table is the commands layer's: the CLI hands its rename function to the config.
    const err = config.renameCommand === null ? 'No such command in rename-command' : config.renameCommand(argv[1], argv[2]);
    if (err !== null) return err;
    config.renamedCommands.push([argv[1], argv[2]]);
    return null;
  }
  if (name === 'user' && argv.length >= 2) {
    config.set('user', argv.slice(1));
    return null;
  }
  if (name === 'loadmodule' && argv.length >= 2) {
    config.ignored.push(`Module '${argv[1]}' not loaded: Keydra does not load native Redis modules`);
    return null;
  }
  if (name.includes('.')) {
    if (argv.length < 2) return 'Module config specified without value';
    config.ignored.push(`Module config '${argv[0]}' ignored: Keydra does not load native Redis modules`);
    return null;
  }
  if (name === 'sentinel') {
    if (argv.length !== 1) return 'sentinel directive while not in sentinel mode';
    return null;
  }
  return 'Bad directive or wrong number of arguments';
}

/** Reads a config file. @throws ConfigFileError if it cannot be read or is invalid. */
export function loadConfigFile(config: Config, path: string): void {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (e) {
    throw new ConfigFileError(path, 0, '', `Fatal error, can't open config file '${path}': ${(e as Error).message}`);
  }
  config.file = resolve(path);
  loadConfigText(config, text, path);
}

/** Parsed redis-server style command line. */
export interface CommandLine {
  /** The config file (first argument not starting with `-`), or null. */
  configFile: string | null;
  /** `-` as first or last argument: config text is also read from stdin (after the file). */
  stdin: boolean;
  /** `--directive value` options as config text, one directive per line. */
  optionsText: string;
  version: boolean;
  help: boolean;
}

/**
 * Parses `[config-file] [--directive value ...] [-]` exactly as redis-server 7.0's main() does:
 * `--name` starts a directive line unless the previous directive still lacks a value (so
 * `--port --loglevel verbose` gives `port "--loglevel" "verbose"`, an error as in Redis); a
 * `"--name value"` argument holds both; `--save` followed by another option or at the end means
 * `save ""`. Values are quoted (Redis sdscatrepr). `-` as first or last argument reads stdin.
 */
export function parseCommandLine(args: string[]): CommandLine {
  const out: CommandLine = { configFile: null, stdin: false, optionsText: '', version: false, help: false };
  if (args.length > 0 && (args[0] === '-v' || args[0] === '--version')) out.version = true;
  if (args.length > 0 && (args[0] === '-h' || args[0] === '--help')) out.help = true;
  let j = 0;
  if (args.length > 0 && !args[0].startsWith('-')) {
    out.configFile = args[0];
    j = 1;
  }
  let options = '';
  let handledLast = true;
  const last = args.length - 1;
  for (; j < args.length; j++) {
    const a = args[j];
    if (a === '-' && (j === 0 || j === last)) {
      out.stdin = true;
    } else if (handledLast && a.startsWith('--')) {
      if (options !== '') options += '\n';
      options += `${a.slice(2)} `;
      const parts = splitArgs(a);
      if (parts !== null && parts.length === 1) {
        handledLast = false;
        const nextIsOption = j !== last && args[j + 1].startsWith('--');
        const name = a.toLowerCase();
        if (name === '--save' && nextIsOption) {
          options += '""';
          handledLast = true;
        } else if (name === '--save' && j === last) {
          options += '""';
        } else if (name === '--sentinel' && nextIsOption) {
          handledLast = true;
        }
      } else {
        handledLast = true;
      }
    } else {
      options += `${quote(a)} `;
      handledLast = true;
    }
  }
  out.optionsText = options;
  return out;
}

/** Quotes an argument as Redis's sdscatrepr: `"..."` with \\, \", \n, \r, \t, \a, \b and \xHH escapes. */
function quote(s: string): string {
  let o = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    const code = s.charCodeAt(i);
    if (ch === '\\' || ch === '"') o += `\\${ch}`;
    else if (ch === '\n') o += '\\n';
    else if (ch === '\r') o += '\\r';
    else if (ch === '\t') o += '\\t';
    else if (code === 7) o += '\\a';
    else if (code === 8) o += '\\b';
    else if (code < 0x20 || code > 0x7e) o += `\\x${code.toString(16).padStart(2, '0')}`;
    else o += ch;
  }
  return `${o}"`;
}
