/**
 * The shapes every command family shares, re-exported from the command model (src/server/command.ts)
 * so that families import them from next door.
 */
export { type CommandDef, type CommandHandler, CmdFlag, FLAG_BITS, scriptCmdFlags } from '../server/command.js';
