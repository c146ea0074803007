/**
 * The keyspace side of Redis Cluster's commands: CLUSTER KEYSLOT, COUNTKEYSINSLOT, GETKEYSINSLOT
 * (subcommands merged into CLUSTER by ./cluster.ts) and the connection commands READONLY,
 * READWRITE, ASKING. With cluster-enabled no every one replies Redis's "cluster support disabled"
 * error (clusterCommand checks cluster_enabled first, KEYSLOT included).
 * COUNTKEYSINSLOT and GETKEYSINSLOT read db 0's per-slot index (src/store/slotIndex.ts): O(1) and
 * O(count), no keyspace scan.
 * Source: Redis 7.0 cluster.c clusterCommand, readonlyCommand, readwriteCommand, askingCommand.
 */
import { ERR_NOT_INTEGER } from '../../errors.js';
import type { Client } from '../../server/client.js';
import { parseInt64 } from '../../store/int64.js';
import { keyHashSlot } from '../../store/keyslot.js';
import type { CommandDef } from '../types.js';

export const ERR_CLUSTER_DISABLED = 'ERR This instance has cluster support disabled';
const ERR_INVALID_SLOT = 'ERR Invalid slot';
const ERR_INVALID_SLOT_OR_COUNT = 'ERR Invalid slot or number of keys';

/** Replies the cluster-disabled error (every cluster command on a server with cluster-enabled no). */
export function clusterDisabled(c: Client): void {
  c.error(ERR_CLUSTER_DISABLED);
}

/** True when cluster mode is on; else replies the cluster-disabled error. */
function enabledOrReply(c: Client): boolean {
  if (c.server.cluster !== null) return true;
  c.error(ERR_CLUSTER_DISABLED);
  return false;
}

/** A long long argument (getLongLongFromObjectOrReply), as a number (bigints are out of any slot range anyway). */
function longOrReply(c: Client, s: string): number | null {
  const v = parseInt64(s);
  if (v === null) {
    c.error(ERR_NOT_INTEGER);
    return null;
  }
  return typeof v === 'bigint' ? (v < 0n ? -1 : Number.MAX_SAFE_INTEGER) : v;
}

/** CLUSTER KEYSLOT key: the key's hash slot (hash tags honoured). */
function keyslotCommand(c: Client, argv: string[]): void {
  if (!enabledOrReply(c)) return;
  c.reply.integer(keyHashSlot(argv[2]));
}

/** CLUSTER COUNTKEYSINSLOT slot: keys of db 0 in the slot, O(1). Errors: integer, `ERR Invalid slot`. */
function countkeysinslotCommand(c: Client, argv: string[]): void {
  if (!enabledOrReply(c)) return;
  const slot = longOrReply(c, argv[2]);
  if (slot === null) return;
  if (slot < 0 || slot >= 16384) {
    c.error(ERR_INVALID_SLOT);
    return;
  }
  c.reply.integer(c.server.keyspace.dbs[0].slots?.count(slot) ?? 0);
}

/**
 * CLUSTER GETKEYSINSLOT slot count: up to `count` keys of the slot (db 0), in the order they were
 * added. Errors: integer, `ERR Invalid slot or number of keys` (slot out of range, count < 0).
 */
function getkeysinslotCommand(c: Client, argv: string[]): void {
  if (!enabledOrReply(c)) return;
  const slot = longOrReply(c, argv[2]);
  if (slot === null) return;
  const max = longOrReply(c, argv[3]);
  if (max === null) return;
  if (slot < 0 || slot >= 16384 || max < 0) {
    c.error(ERR_INVALID_SLOT_OR_COUNT);
    return;
  }
  const keys = c.server.keyspace.dbs[0].slots?.keys(slot, max) ?? [];
  c.reply.arrayLen(keys.length);
  for (const k of keys) c.reply.bulk(k);
}

/** CLUSTER subcommands about keys and slots (COMMAND DOCS cluster). */
export const clusterKeySubcommands: CommandDef[] = [
  { name: 'keyslot', handler: keyslotCommand },
  { name: 'countkeysinslot', handler: countkeysinslotCommand },
  { name: 'getkeysinslot', handler: getkeysinslotCommand },
];

/** READONLY, READWRITE, ASKING: client flags read by the query router (src/server/clusterRouter.ts). */
export const clusterConnectionDefs: CommandDef[] = [
  {
    name: 'readonly',
    handler: (c) => {
      if (!enabledOrReply(c)) return;
      c.clusterReadonly = true;
      c.reply.ok();
    },
  },
  {
    name: 'readwrite',
    handler: (c) => {
      if (!enabledOrReply(c)) return;
      c.clusterReadonly = false;
      c.reply.ok();
    },
  },
  {
    name: 'asking',
    handler: (c) => {
      if (!enabledOrReply(c)) return;
      c.asking = true;
      c.reply.ok();
    },
  },
];
