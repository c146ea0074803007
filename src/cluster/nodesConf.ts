/**
 * The node table as text: CLUSTER NODES lines, which are also the lines of the cluster config
 * file (nodes.conf), followed there by `vars currentEpoch N lastVoteEpoch N`. Loading parses
 * the same lines back (myself's name, epochs, slots, open slots). Saving writes a temp file,
 * fsyncs it and renames it over the old one, so a crash leaves the old or the new file.
 * Source: Redis 7.0 cluster.c clusterGenNodeDescription, clusterGenNodesDescription,
 * representClusterNodeFlags, clusterLoadConfig, clusterSaveConfig.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { CLUSTER_NAMELEN, CLUSTER_SLOTS, ClusterNode, NodeFlag } from './node.js';
import type { ClusterState } from './state.js';

/** Flag names in Redis's order (redisNodeFlagsTable). */
const FLAG_NAMES: [number, string][] = [
  [NodeFlag.Myself, 'myself'],
  [NodeFlag.Primary, 'master'],
  [NodeFlag.Replica, 'slave'],
  [NodeFlag.PFail, 'fail?'],
  [NodeFlag.Fail, 'fail'],
  [NodeFlag.Handshake, 'handshake'],
  [NodeFlag.NoAddr, 'noaddr'],
  [NodeFlag.NoFailover, 'nofailover'],
];

/** Comma-separated flag names, `noflags` when none (representClusterNodeFlags). */
export function flagsText(flags: number): string {
  const out: string[] = [];
  for (const [bit, name] of FLAG_NAMES) if (flags & bit) out.push(name);
  return out.length === 0 ? 'noflags' : out.join(',');
}

/** Slot ranges per owner from the slot table (clusterGenNodesSlotsInfo): node → [start, end, ...]. */
export function slotRangesByOwner(state: ClusterState): Map<ClusterNode, number[]> {
  const out = new Map<ClusterNode, number[]>();
  let n: ClusterNode | null = null;
  let start = -1;
  for (let i = 0; i <= CLUSTER_SLOTS; i++) {
    const cur = i === CLUSTER_SLOTS ? null : state.slots[i];
    if (cur === n) continue;
    if (n !== null) {
      let l = out.get(n);
      if (l === undefined) out.set(n, (l = []));
      l.push(start, i - 1);
    }
    n = cur;
    start = i;
  }
  return out;
}

/** Ranges of a node's own bitmap (used when the slot table names it nowhere). */
function bitmapRanges(node: ClusterNode): number[] {
  const out: number[] = [];
  let start = -1;
  for (let j = 0; j <= CLUSTER_SLOTS; j++) {
    const bit = j < CLUSTER_SLOTS && node.hasSlot(j);
    if (bit && start === -1) start = j;
    if (!bit && start !== -1) {
      out.push(start, j - 1);
      start = -1;
    }
  }
  return out;
}

/**
 * One CLUSTER NODES line without the newline (clusterGenNodeDescription):
 * `<id> <ip>:<port>@<cport>[,<hostname>] <flags> <primary|-> <ping-sent> <pong-recv> <config-epoch>
 * <link-state> <slot> ... [<slot>->-<id>] [<slot>-<-<id>]`.
 * @param ranges the node's slot ranges from slotRangesByOwner, or undefined.
 */
export function describeNode(state: ClusterState, node: ClusterNode, ranges: number[] | undefined, usePport = false): string {
  // usePport: a plaintext client of a TLS cluster sees the plaintext ports (Redis use_pport).
  let ci = `${node.name} ${node.ip}:${usePport && node.pport !== 0 ? node.pport : node.port}@${node.cport}`;
  if (node.hostname !== '') ci += `,${node.hostname}`;
  ci += ` ${flagsText(node.flags)} ${node.replicaOf !== null ? node.replicaOf.name : '-'}`;
  const epoch = node.isReplica && node.replicaOf !== null ? node.replicaOf.configEpoch : node.configEpoch;
  const connected = node.link !== null || node.isMyself;
  ci += ` ${node.pingSent} ${node.pongReceived} ${epoch} ${connected ? 'connected' : 'disconnected'}`;
  const r = ranges ?? (node.numSlots > 0 ? bitmapRanges(node) : []);
  for (let i = 0; i < r.length; i += 2) ci += r[i] === r[i + 1] ? ` ${r[i]}` : ` ${r[i]}-${r[i + 1]}`;
  if (node.isMyself) {
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      const to = state.migratingSlotsTo[j];
      const from = state.importingSlotsFrom[j];
      if (to !== null) ci += ` [${j}->-${to.name}]`;
      else if (from !== null) ci += ` [${j}-<-${from.name}]`;
    }
  }
  return ci;
}

/** Every node's line, each ending with "\n", skipping nodes with a flag in `filter` (clusterGenNodesDescription). */
export function describeNodes(state: ClusterState, filter = 0, usePport = false): string {
  const ranges = slotRangesByOwner(state);
  let out = '';
  for (const node of state.nodes.values()) {
    if (node.flags & filter) continue;
    out += `${describeNode(state, node, ranges.get(node), usePport)}\n`;
  }
  return out;
}

/** True for a valid node name: 40 characters of [a-z0-9] (verifyClusterNodeId). */
export function validNodeName(name: string): boolean {
  return name.length === CLUSTER_NAMELEN && /^[a-z0-9]+$/.test(name);
}

/** Thrown when nodes.conf cannot be parsed (Redis: "Unrecoverable error: corrupted cluster config file."). */
export class NodesConfError extends Error {}

/** What loading found, applied by the caller. */
export interface LoadedConf {
  myself: ClusterNode;
  currentEpoch: bigint;
  lastVoteEpoch: bigint;
  nodes: ClusterNode[];
  /** slot → owner. */
  slots: [number, ClusterNode][];
  migrating: [number, ClusterNode][];
  importing: [number, ClusterNode][];
}

/**
 * Parses nodes.conf (clusterLoadConfig). Returns null when the file is missing or empty.
 * @throws NodesConfError for a malformed file; Error for other read errors.
 */
export function loadNodesConf(path: string): LoadedConf | null {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  if (text.length === 0) return null;
  const byName = new Map<string, ClusterNode>();
  const get = (name: string): ClusterNode => {
    if (!validNodeName(name)) throw new NodesConfError('bad node name');
    let n = byName.get(name);
    if (n === undefined) byName.set(name, (n = new ClusterNode(name, 0)));
    return n;
  };
  let myself: ClusterNode | null = null;
  let currentEpoch = 0n;
  let lastVoteEpoch = 0n;
  const slots: [number, ClusterNode][] = [];
  const migrating: [number, ClusterNode][] = [];
  const importing: [number, ClusterNode][] = [];
  const now = Date.now();
  for (const line of text.split('\n')) {
    const argv = line
      .trim()
      .split(/\s+/)
      .filter((x) => x !== '');
    if (argv.length === 0) continue;
    if (argv[0].toLowerCase() === 'vars') {
      if (argv.length % 2 === 0) throw new NodesConfError('bad vars');
      for (let j = 1; j < argv.length; j += 2) {
        const k = argv[j].toLowerCase();
        const v = /^\d+$/.test(argv[j + 1]) ? BigInt(argv[j + 1]) : 0n;
        if (k === 'currentepoch') currentEpoch = v;
        else if (k === 'lastvoteepoch') lastVoteEpoch = v;
      }
      continue;
    }
    if (argv.length < 8) throw new NodesConfError('short line');
    const n = get(argv[0]);
    let addr = argv[1];
    const comma = addr.indexOf(',');
    n.hostname = comma === -1 ? '' : addr.slice(comma + 1);
    if (comma !== -1) addr = addr.slice(0, comma);
    const colon = addr.lastIndexOf(':');
    if (colon === -1) throw new NodesConfError('bad address');
    n.ip = addr.slice(0, colon);
    const ports = addr.slice(colon + 1).split('@');
    n.port = Number.parseInt(ports[0], 10) || 0;
    n.cport = ports.length > 1 ? Number.parseInt(ports[1], 10) || 0 : n.port + 10000;
    for (const f of argv[2].split(',')) {
      switch (f.toLowerCase()) {
        case 'myself':
          if (myself !== null) throw new NodesConfError('two myself');
          myself = n;
          n.flags |= NodeFlag.Myself;
          break;
        case 'master':
          n.flags |= NodeFlag.Primary;
          break;
        case 'slave':
          n.flags |= NodeFlag.Replica;
          break;
        case 'fail?':
          n.flags |= NodeFlag.PFail;
          break;
        case 'fail':
          n.flags |= NodeFlag.Fail;
          n.failTime = now;
          break;
        case 'handshake':
          n.flags |= NodeFlag.Handshake;
          break;
        case 'noaddr':
          n.flags |= NodeFlag.NoAddr;
          break;
        case 'nofailover':
          n.flags |= NodeFlag.NoFailover;
          break;
        case 'noflags':
          break;
        default:
          throw new NodesConfError('Unknown flag in redis cluster config file');
      }
    }
    if (argv[3][0] !== '-') {
      const primary = get(argv[3]);
      n.replicaOf = primary;
      if (!primary.replicas.includes(n)) primary.replicas.push(n);
    }
    if (Number.parseInt(argv[4], 10)) n.pingSent = now;
    if (Number.parseInt(argv[5], 10)) n.pongReceived = now;
    n.configEpoch = n.isReplica && n.replicaOf !== null ? 0n : /^\d+$/.test(argv[6]) ? BigInt(argv[6]) : 0n;
    for (let j = 8; j < argv.length; j++) {
      const a = argv[j];
      if (a[0] === '[') {
        const m = /^\[(\d+)-([<>])-([a-z0-9]+)\]$/.exec(a);
        if (m === null) throw new NodesConfError('bad open slot');
        const slot = Number(m[1]);
        if (slot >= CLUSTER_SLOTS) throw new NodesConfError('bad slot');
        (m[2] === '>' ? migrating : importing).push([slot, get(m[3])]);
        continue;
      }
      const dash = a.indexOf('-');
      const start = Number.parseInt(dash === -1 ? a : a.slice(0, dash), 10);
      const stop = dash === -1 ? start : Number.parseInt(a.slice(dash + 1), 10);
      if (!(start >= 0 && start < CLUSTER_SLOTS && stop >= 0 && stop < CLUSTER_SLOTS)) throw new NodesConfError('bad slot');
      for (let s = start; s <= stop; s++) slots.push([s, n]);
    }
  }
  if (myself === null) throw new NodesConfError('no myself');
  return { myself, currentEpoch, lastVoteEpoch, nodes: [...byName.values()], slots, migrating, importing };
}

/**
 * Writes `content` to `path` atomically: a temp file in the same directory, written, fsynced
 * (when `fsync`), then renamed over `path`.
 * @throws the file system error.
 */
export function saveNodesConf(path: string, content: string, fsync: boolean): void {
  const tmp = join(dirname(path), `temp-${process.pid}-${basename(path)}`);
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, content, null, 'latin1');
    if (fsync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
