/**
 * MODULE LIST / LOAD / LOADEX / UNLOAD / HELP. Keydra loads no native Redis modules (they are
 * C shared objects for Redis's module API), so LIST is always empty, LOAD/LOADEX fail as a
 * module that does not load does in Redis (with its log line), and UNLOAD finds no module. As in
 * Redis 7.0, LOAD/LOADEX/UNLOAD are refused unless `enable-module-command` is yes (or local, from
 * a local connection).
 * Source: Redis 7.0 module.c moduleCommand, server.c (enable-module-command, protected configs).
 */
import type { Client } from '../../server/client.js';
import type { CommandDef } from '../types.js';
import { isLocal } from './debug.js';
import { replyHelp } from '../../protocol/respTree.js';

const HELP = [
  'MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'LIST',
  '    Return a list of loaded modules.',
  'LOAD <path> [<arg> ...]',
  '    Load a module library from <path>, passing to it any optional arguments.',
  'LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]',
  '    Load a module library from <path>, while passing it module configurations and optional arguments.',
  'UNLOAD <name>',
  '    Unload a module.',
  'HELP',
  '    Prints this help.',
];

/** The enable-module-command gate (Redis processCommand, PROTECTED commands). @returns false after replying. */
function moduleCommandAllowed(c: Client): boolean {
  const mode = c.server.config.str('enable-module-command');
  if (mode === 'yes' || (mode === 'local' && isLocal(c))) return true;
  c.error(
    'ERR MODULE command not allowed. If the enable-module-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.',
  );
  return false;
}

/** MODULE LOAD/LOADEX path: nothing can be loaded; Redis logs why and replies this error. */
function moduleLoadCommand(c: Client, argv: string[]): void {
  if (!moduleCommandAllowed(c)) return;
  c.server.log.warning(`Module ${argv[2]} failed to load: Keydra does not load native Redis modules`);
  c.error('ERR Error loading the extension. Please check the server logs.');
}

/** MODULE UNLOAD name: no module is loaded. */
function moduleUnloadCommand(c: Client): void {
  if (!moduleCommandAllowed(c)) return;
  c.error('ERR Error unloading module: no such module with that name');
}

export const moduleDef: CommandDef = {
  name: 'module',
  subcommands: [
    { name: 'list', handler: (c) => c.reply.arrayLen(0) },
    { name: 'load', handler: moduleLoadCommand },
    { name: 'loadex', handler: moduleLoadCommand },
    { name: 'unload', handler: moduleUnloadCommand },
    { name: 'help', handler: (c) => replyHelp(c.reply, HELP) },
  ],
};
