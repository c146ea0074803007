/**
 * Hashes commands. Source: Redis 7.0 docs.
 */
import type { CommandDef } from '../types.js';

const commands: CommandDef[] = [];
export default commands;
