/**
 * The replication stream of one server: its replication IDs and offsets, the backlog, and the
 * replicas it feeds. Every write a primary propagates (a command, a MULTI/EXEC unit, a script's
 * effects, an expiry or eviction as DEL) is encoded here once, as RESP, with a SELECT whenever the
 * db differs from the previous unit's; the bytes go to the backlog and to every attached sink.
 * A replica does not encode: it proxies the bytes it applied from its primary (`feedRaw`), so its
 * own replicas see the very stream, with the same replid and offsets (PSYNC2).
 *
 * `offset` is master_repl_offset: the number of stream bytes ever produced under the current
 * history. It only moves while a backlog exists, as in Redis (a primary that never had a replica
 * does not count its writes).
 * Source: Redis 7.0 replication.c (replicationFeedSlaves, replicationFeedStreamFromMasterStream,
 * shiftReplicationId, changeReplicationId, clearReplicationId2), server.h (replid, replid2,
 * master_repl_offset, second_replid_offset, slaveseldb).
 */
import { Backlog } from './backlog.js';

/** Something fed with the stream's bytes: a replica's connection on the primary. */
export interface StreamSink {
  /** Receives stream bytes; `data` is only valid during the call (copy what is kept). */
  write(data: Buffer): void;
}

/** A new random replication ID: 40 hex characters (Redis getRandomHexChars, CONFIG_RUN_ID_SIZE). */
export function newReplid(): string {
  // node:crypto loads on first use (an embedded server that never replicates does not load it).
  return process.getBuiltinModule('node:crypto').randomBytes(20).toString('hex');
}

const ZERO_REPLID = '0000000000000000000000000000000000000000';

/** Writes the decimal digits of `v` (a non-negative integer) at `p`; @returns the position after them. */
function writeDecimal(b: Buffer, p: number, v: number): number {
  if (v < 10) {
    b[p] = 48 + v;
    return p + 1;
  }
  let digits = 0;
  for (let x = v; x > 0; x = Math.floor(x / 10)) digits++;
  for (let i = p + digits - 1; i >= p; i--) {
    b[i] = 48 + (v % 10);
    v = Math.floor(v / 10);
  }
  return p + digits;
}

/** One server's replication stream (see module doc). */
export class ReplicationStream {
  private currentReplid: string | null = null;

  /** Current replication ID (master_replid), made when first read. */
  get replid(): string {
    this.currentReplid ??= newReplid();
    return this.currentReplid;
  }

  set replid(id: string) {
    this.currentReplid = id;
  }
  /** The previous ID this history continues, or forty zeros (master_replid2). */
  replid2 = ZERO_REPLID;
  /** Bytes produced (master_repl_offset). */
  offset = 0;
  /** Offset up to which replid2 is valid, plus one; -1 without replid2 (second_repl_offset). */
  secondOffset = -1;
  /** The backlog, created when the first replica attaches (or a replica starts following a primary). */
  backlog: Backlog | null = null;
  /** Unix ms when the last replica left, for repl-backlog-ttl; 0 while replicas are attached. */
  noReplicasSince = 0;
  /** The db the last encoded unit selected; -1 forces a SELECT before the next one (slaveseldb). */
  selectedDb = -1;
  /** Replicas being fed (online, or buffering writes during their full sync). */
  readonly sinks = new Set<StreamSink>();
  /** When true this server follows a primary: `feed` is ignored, only `feedRaw` adds bytes. */
  proxying = false;

  private scratch = Buffer.allocUnsafe(64 * 1024);

  /**
   * @param backlogSize repl-backlog-size in bytes, read when the backlog is created or resized.
   */
  constructor(private backlogSize: () => number) {}

  /** True when a propagated write would be recorded (a backlog or a replica exists, and we are a primary). */
  get active(): boolean {
    return !this.proxying && (this.backlog !== null || this.sinks.size !== 0);
  }

  /** Creates the backlog if missing (createReplicationBacklog); offsets continue from `offset`. */
  createBacklog(): void {
    if (this.backlog === null) this.backlog = new Backlog(this.backlogSize(), this.offset + 1);
  }

  /** Frees the backlog (repl-backlog-ttl elapsed without replicas: freeReplicationBacklog). */
  freeBacklog(): void {
    this.backlog = null;
  }

  /** Applies a new repl-backlog-size to the existing backlog. */
  resizeBacklog(): void {
    this.backlog?.resize(this.backlogSize());
  }

  /**
   * Records one propagated command of a primary (replicationFeedSlaves): SELECT first when `dbId`
   * differs from the last unit's (`dbId` -1: no SELECT, e.g. PING, EXEC). A no-op on a replica
   * and when nothing records the stream.
   */
  feed(dbId: number, argv: string[]): void {
    if (!this.active) return;
    if (dbId >= 0 && dbId !== this.selectedDb) {
      this.append(this.encode(['SELECT', String(dbId)]));
      this.selectedDb = dbId;
    }
    this.append(this.encode(argv));
  }

  /** Adds bytes a replica applied from its primary, unchanged (replicationFeedStreamFromMasterStream). */
  feedRaw(data: Buffer): void {
    if (data.length === 0) return;
    this.append(data);
  }

  private append(data: Buffer): void {
    this.offset += data.length;
    if (this.backlog !== null) this.backlog.append(data);
    for (const s of this.sinks) s.write(data);
  }

  /**
   * Encodes argv (latin1 strings) as a RESP array into the scratch buffer; the view is valid until
   * the next call. Per command of every write while replicas are attached: headers and short
   * arguments are stored byte by byte (Buffer#write's encoding dispatch cost more than the copy).
   */
  private encode(argv: string[]): Buffer {
    let n = 16;
    for (let i = 0; i < argv.length; i++) n += argv[i].length + 16;
    if (n > this.scratch.length) this.scratch = Buffer.allocUnsafe(Math.max(n, this.scratch.length * 2));
    const b = this.scratch;
    b[0] = 42; // '*'
    let p = writeDecimal(b, 1, argv.length);
    b[p++] = 13;
    b[p++] = 10;
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i];
      const len = a.length;
      b[p++] = 36; // '$'
      p = writeDecimal(b, p, len);
      b[p++] = 13;
      b[p++] = 10;
      if (len <= 32) {
        for (let j = 0; j < len; j++) b[p + j] = a.charCodeAt(j);
        p += len;
      } else p += b.latin1Write(a, p, len);
      b[p++] = 13;
      b[p++] = 10;
    }
    return b.subarray(0, p);
  }

  /**
   * Starts a new history after a promotion (shiftReplicationId): the old replid becomes replid2,
   * valid up to the current offset, so replicas of the old primary can still continue.
   */
  shiftReplid(): void {
    this.replid2 = this.replid;
    this.secondOffset = this.offset + 1;
    this.replid = newReplid();
  }

  /** A fresh replid with no replid2 (changeReplicationId + clearReplicationId2). */
  resetReplid(): void {
    this.replid = newReplid();
    this.clearReplid2();
  }

  /** Forgets replid2 (clearReplicationId2). */
  clearReplid2(): void {
    this.replid2 = ZERO_REPLID;
    this.secondOffset = -1;
  }

  /**
   * Whether a PSYNC for `replid` at `psyncOffset` (the next byte the replica wants) can continue
   * from the backlog (masterTryPartialResynchronization): the replid is ours, or our replid2 up to
   * second_repl_offset, and the backlog holds the bytes from there. @returns null when it can,
   * else the reason a full resync is needed (for the log).
   */
  canContinue(replid: string, psyncOffset: number): string | null {
    if (replid !== this.replid && (replid !== this.replid2 || psyncOffset > this.secondOffset)) {
      if (replid === this.replid2)
        return `Partial resynchronization not accepted: Requested offset for second ID was ${psyncOffset}, but I can reply up to ${this.secondOffset}`;
      return `Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '${replid}', my replication IDs are '${this.replid}' and '${this.replid2}')`;
    }
    if (this.backlog === null || !this.backlog.holds(psyncOffset)) return 'Unable to partial resync with replica: lack of backlog';
    return null;
  }
}
