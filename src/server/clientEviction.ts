/**
 * Client memory accounting and client eviction under `maxmemory-clients` (Redis 7.0).
 *
 * Each client's memory is computed as Redis's getClientMemoryUsage does (networking.c): output
 * buffers, query buffer allocation, the client structure, the reply buffer, the arguments of the
 * command being read or run, MULTI queue, WATCH, pub/sub and tracking-prefix overheads.
 *
 * With `maxmemory-clients` set (bytes, or `N%` of maxmemory, at least 128 KB: getClientEvictionLimit),
 * every evictable client (normal or pubsub, without CLIENT NO-EVICT) sits in one of 19 buckets by
 * log2 of its memory (32 KB and below ... above 4 GB: server.c getMemUsageBucket). Its memory and
 * bucket are updated after its input is processed, after its output is written, and by the clients
 * cron (updateClientMemUsageAndBucket). When the normal and pubsub clients together use at least
 * the limit, clients are freed from the largest bucket down until under it (evictClients), each
 * logged and counted in INFO `evicted_clients`.
 *
 * Without `maxmemory-clients` and `maxmemory` nothing of this runs per command: the server's
 * `clientEviction` is null and the connection layer only tests that; the clients cron keeps the
 * totals (INFO). Under maxmemory the clients' memory is tracked per event too: used_memory counts it.
 * Source: Redis 7.0 server.c (updateClientMemUsageAndBucket, clientEvictionAllowed,
 * removeClientFromMemUsageBucket), networking.c (getClientMemoryUsage, evictClients,
 * getClientEvictionLimit), config.c (applyClientMaxMemoryUsage).
 */
import type { Client, ClientType } from './client.js';
import type { KeydraServer } from './server.js';
import { trackingOptions } from './tracking.js';

/** Bucket sizes start at up to 32 KB (2^15) and end with sizes above 4 GB (Redis CLIENT_MEM_USAGE_BUCKET_*_LOG). */
const BUCKET_MIN_LOG = 15;
const BUCKET_MAX_LOG = 33;
const BUCKETS = 1 + BUCKET_MAX_LOG - BUCKET_MIN_LOG;
/** The least eviction limit (getClientEvictionLimit: 128 KB). */
const MIN_LIMIT = 128 * 1024;

/** Redis's `sizeof(client)` as allocated (jemalloc's 768-byte class on 64-bit Redis 7.0), bytes. */
export const CLIENT_STRUCT_BYTES = 768;
/** A pointer (robj* of each argument, dict slots), bytes. */
const PTR = 8;
/** listNode + watchedKey per WATCHed key (multiStateMemOverhead), bytes. */
const WATCHED_KEY_BYTES = 24 + 24;
/** sizeof(multiCmd), per queued command slot, bytes. */
const MULTI_CMD_BYTES = 24;
/** sizeof(listNode) per pattern, sizeof(dictEntry) per channel (pubsubMemOverhead), bytes. */
const LIST_NODE_BYTES = 24;
const DICT_ENTRY_BYTES = 24;
/** sizeof(raxNode) * sizeof(raxNode*) per tracking prefix rax node (getClientMemoryUsage), bytes. */
const RAX_NODE_BYTES = 4 * 8;

/** Sum of the argument lengths (Redis argv_len_sum). */
export function argvBytes(argv: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < argv.length; i++) n += argv[i].length;
  return n;
}

/** Slots of a Redis dict holding `n` entries (a power of two, at least 4; 0 when empty). */
function dictSlots(n: number): number {
  if (n === 0) return 0;
  let s = 4;
  while (s < n) s *= 2;
  return s;
}

/**
 * What malloc gives for an sds string with room for `alloc` bytes (Redis sdsZmallocSize under
 * jemalloc): the header (3, 5 or 9 bytes by size) and terminator, rounded up to jemalloc's size
 * class (four classes per power of two).
 */
export function sdsMallocSize(alloc: number): number {
  const n = alloc + (alloc < 256 ? 3 : alloc < 65536 ? 5 : 9) + 1;
  if (n <= 16) return n <= 8 ? 8 : 16;
  const step = 2 ** (Math.floor(Math.log2(n - 1)) - 2);
  return Math.ceil(n / step) * step;
}

/**
 * Memory of the MULTI state (Redis multiStateMemOverhead): queued arguments with a pointer each,
 * the queue's command slots (grown by doubling from 2), and the WATCH list's nodes.
 */
export function multiStateMemory(c: Client): number {
  let mem = c.watched.size * WATCHED_KEY_BYTES;
  const q = c.multi;
  if (q !== null && q.length > 0) {
    let alloc = 2;
    while (alloc < q.length) alloc *= 2;
    mem += alloc * MULTI_CMD_BYTES;
    for (const argv of q) mem += argvBytes(argv) + PTR * argv.length;
  }
  return mem;
}

/**
 * A client's memory in bytes as Redis getClientMemoryUsage computes it: output waiting
 * (Client.outputMemory), the query buffer's allocation, the client structure, the reply buffer
 * (rbs), the arguments of the command running (`argv`, when the caller knows it) or being read
 * (complete arguments of a partial multibulk), MULTI/WATCH, pub/sub and tracking prefix overheads.
 */
export function clientMemoryUsage(c: Client, argv: readonly string[] | null = null): number {
  const parser = c.parser;
  let mem = c.outputMemory;
  mem += sdsMallocSize(Math.max(parser.qbAlloc, parser.queryBufferLength));
  mem += CLIENT_STRUCT_BYTES + c.rbs;
  if (argv !== null) mem += argvBytes(argv) + PTR * argv.length;
  else mem += parser.partialArgvBytes + PTR * parser.partialArgc;
  mem += multiStateMemory(c);
  mem += c.patterns.size * LIST_NODE_BYTES;
  mem += c.channels.size * DICT_ENTRY_BYTES + dictSlots(c.channels.size) * PTR;
  mem += c.shardChannels.size * DICT_ENTRY_BYTES + dictSlots(c.shardChannels.size) * PTR;
  const tracking = trackingOptions(c);
  // Redis counts the prefix rax's nodes: about two per prefix (an inner node and a key node).
  if (tracking !== undefined && tracking.prefixes.length > 0) mem += tracking.prefixes.length * 2 * RAX_NODE_BYTES;
  return mem;
}

/** Per-client accounting state (Redis client last_memory_usage, last_memory_type, mem_usage_bucket). */
interface ClientMem {
  usage: number;
  type: ClientType;
  /** Bucket index, -1 when in none. */
  bucket: number;
}

/**
 * Per-server client memory state: the memory of each client class (Redis
 * stat_clients_type_memory) and, while `maxmemory-clients` is set, the buckets.
 */
export class ClientMemory {
  /** Tracked memory per client class, bytes (INFO mem_clients_normal is normal + pubsub + master). */
  readonly typeMemory: Record<ClientType, number> = { normal: 0, pubsub: 0, replica: 0, master: 0 };
  /** Clients by bucket (largest last), or null when client eviction is off. */
  private buckets: Set<Client>[] | null = null;
  private readonly mem = new WeakMap<Client, ClientMem>();
  private evicting = false;

  constructor(readonly server: KeydraServer) {}

  /** True while client eviction is on (maxmemory-clients in effect). */
  get enabled(): boolean {
    return this.buckets !== null;
  }

  /** The eviction limit in bytes, 0 when client eviction is off (Redis getClientEvictionLimit). */
  limit(): number {
    const cfg = this.server.config.num('maxmemory-clients');
    let limit: number;
    const maxmemory = this.server.maxmemory;
    if (cfg < 0 && maxmemory > 0) limit = Math.floor((maxmemory * -cfg) / 100);
    else if (cfg > 0) limit = cfg;
    else return 0;
    return Math.max(limit, MIN_LIMIT);
  }

  /** True when `c` may be evicted (Redis clientEvictionAllowed): eviction on, no NO-EVICT, a normal or pubsub client. */
  evictionAllowed(c: Client): boolean {
    if (this.buckets === null || c.noEvict || c.conn === null) return false;
    const t = c.type;
    return t === 'normal' || t === 'pubsub';
  }

  private stateOf(c: Client): ClientMem {
    let m = this.mem.get(c);
    if (m === undefined) {
      m = { usage: 0, type: 'normal', bucket: -1 };
      this.mem.set(c, m);
    }
    return m;
  }

  /** Updates `c`'s memory and its class's total (Redis updateClientMemoryUsage). */
  updateUsage(c: Client, argv: readonly string[] | null = null): number {
    const m = this.stateOf(c);
    const usage = clientMemoryUsage(c, argv);
    const type = c.type;
    this.typeMemory[m.type] -= m.usage;
    this.typeMemory[type] += usage;
    m.type = type;
    m.usage = usage;
    return usage;
  }

  /**
   * Updates `c`'s memory and moves it to its bucket (Redis updateClientMemUsageAndBucket).
   * @returns false (and takes it out of the buckets) when it may not be evicted.
   */
  update(c: Client): boolean {
    if (c.closed || c.closeAsap) {
      // Being freed (an output limit closes it with precedence): not counted any more.
      this.forget(c);
      return false;
    }
    if (!this.evictionAllowed(c)) {
      this.removeFromBucket(c);
      return false;
    }
    const usage = this.updateUsage(c);
    const m = this.stateOf(c);
    const b = bucketOf(usage);
    if (b !== m.bucket) {
      const buckets = this.buckets as Set<Client>[];
      if (m.bucket >= 0) buckets[m.bucket].delete(c);
      buckets[b].add(c);
      m.bucket = b;
    }
    return true;
  }

  /** Takes `c` out of its bucket, if any (Redis removeClientFromMemUsageBucket with no eviction). */
  removeFromBucket(c: Client): void {
    const m = this.mem.get(c);
    if (m === undefined || m.bucket < 0) return;
    this.buckets?.[m.bucket].delete(c);
    m.bucket = -1;
  }

  /** Forgets a freed client: its bucket and its memory in its class's total (Redis freeClient). */
  forget(c: Client): void {
    const m = this.mem.get(c);
    if (m === undefined) return;
    this.removeFromBucket(c);
    this.typeMemory[m.type] -= m.usage;
    this.mem.delete(c);
  }

  /**
   * Applies `maxmemory-clients` / `maxmemory` (Redis applyClientMaxMemoryUsage): turning eviction
   * on puts every client in its bucket; turning it off empties them. The server's `clientEviction`
   * is this object while the limit or maxmemory is set, null otherwise (the read and write paths
   * test it). A limit now exceeded evicts at once (Redis: at the next beforeSleep).
   */
  apply(): void {
    const on = this.limit() > 0;
    if (on && this.buckets === null) {
      this.buckets = Array.from({ length: BUCKETS }, () => new Set<Client>());
      for (const c of this.server.clients.values()) this.update(c);
    } else if (!on && this.buckets !== null) {
      for (const c of this.server.clients.values()) this.removeFromBucket(c);
      this.buckets = null;
    }
    // Per-event tracking also under maxmemory: used_memory counts the clients' memory.
    const track = on || this.server.maxmemory > 0;
    if (track && this.server.clientEviction === null) for (const c of this.server.clients.values()) this.updateUsage(c);
    this.server.clientEviction = track ? this : null;
    if (on) this.evict();
  }

  /**
   * Bytes used by the clients, replicas included (Redis used_memory counts them all): the tracked
   * totals, or with `fresh` each client's memory computed now.
   */
  total(fresh: boolean): number {
    const t = this.typeMemory;
    if (!fresh) return t.normal + t.pubsub + t.master + t.replica;
    let n = 0;
    for (const c of this.server.clients.values()) if (c.conn !== null) n += clientMemoryUsage(c);
    return n;
  }

  /**
   * Frees the largest evictable clients while normal and pubsub clients together use at least
   * the limit (Redis evictClients). @returns true when it freed any client.
   */
  evict(): boolean {
    const buckets = this.buckets;
    if (buckets === null || this.evicting) return false;
    const limit = this.limit();
    if (limit === 0 || this.typeMemory.normal + this.typeMemory.pubsub < limit) return false;
    const server = this.server;
    this.evicting = true;
    let any = false;
    try {
      let b = BUCKETS - 1;
      while (this.typeMemory.normal + this.typeMemory.pubsub >= limit) {
        const next = buckets[b].values().next();
        if (next.done === true) {
          if (--b < 0) {
            server.log.warning('Over client maxmemory after evicting all evictable clients');
            break;
          }
          continue;
        }
        const c = next.value;
        const info = server.commands.hooks.clientInfo(c);
        server.log.notice(`Evicting client: ${info}`);
        server.freeClient(c);
        this.forget(c); // also done by the free hook; a client already closed is gone from its bucket here
        server.stats.evicted_clients++;
        any = true;
      }
    } finally {
      this.evicting = false;
    }
    return any;
  }
}

/** Bucket index of a client using `mem` bytes (Redis getMemUsageBucket: bit length, clamped). */
function bucketOf(mem: number): number {
  let bits = mem > 0 ? Math.floor(Math.log2(mem)) + 1 : 0;
  if (bits > BUCKET_MAX_LOG) bits = BUCKET_MAX_LOG;
  else if (bits < BUCKET_MIN_LOG) bits = BUCKET_MIN_LOG;
  return bits - BUCKET_MIN_LOG;
}

const states = new WeakMap<KeydraServer, ClientMemory>();

/** The server's client memory state, created on first use. */
export function clientMemoryOf(server: KeydraServer): ClientMemory {
  let s = states.get(server);
  if (s === undefined) {
    s = new ClientMemory(server);
    states.set(server, s);
  }
  return s;
}

/**
 * Installs client memory accounting on a server: the free hook, and `maxmemory-clients` /
 * `maxmemory` changes (a lower limit evicts at once, as Redis's next beforeSleep does).
 */
export function setupClientEviction(server: KeydraServer): void {
  const st = clientMemoryOf(server);
  server.clientFreeHooks.push((c) => st.forget(c));
  server.config.onChange('maxmemory-clients', () => st.apply());
  server.config.onChange('maxmemory', () => st.apply());
  st.apply();
}

/**
 * After a client's input was processed or its output written (Redis readQueryFromClient /
 * writeToClient → updateClientMemUsageAndBucket, then evictClients as beforeSleep would).
 * Only called while client memory is tracked (server.clientEviction not null).
 */
export function clientMemoryChanged(st: ClientMemory, c: Client): void {
  if (st.update(c)) st.evict();
  else if (!c.closed && !c.closeAsap) st.updateUsage(c);
}
