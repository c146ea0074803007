/**
 * RDB codec for streams, registered with rdb.ts on import: saves RDB_TYPE_STREAM_LISTPACKS_2 (19)
 * exactly as redis-server 7.0 writes it, loads types 19 and 15 (Redis 5/6 files).
 *
 * Payload (all lengths are rdbSaveLen lengths, IDs are two lengths `ms seq` unless raw):
 *
 *   nodes  { master-ID (RDB string of 16 bytes: ms and seq big-endian)  listpack (RDB string) }*
 *   length  last-id  [first-id  max-deleted-entry-id  entries-added]            (type 19 only)
 *   groups { name  last-id  [entries-read]  (type 19 only; -1 is saved as 2^64-1)
 *            PEL-count { raw 16-byte ID  delivery-time (8 bytes LE ms)  delivery-count }*
 *            consumers { name  seen-time (8 bytes LE ms)  PEL-count { raw 16-byte ID }* }* }*
 *
 * Node listpack (t_stream.c streamAppendItem): the master entry `count deleted n-fields field..
 * 0`, then per entry `flags ms-diff seq-diff [n-fields field value ..| value ..] lp-count`, where
 * flags is 0, SAMEFIELDS (2, the entry has the master's fields, only values are stored) or
 * DELETED (1, a tombstone: skipped on load); ms-diff and seq-diff are the entry ID minus the
 * master ID as wrapping 64-bit integers; lp-count is the number of listpack items of the entry
 * minus one. Integers use listpack integer encodings (lpAppendInteger).
 * Nodes are cut where Redis 7.0 cuts them with the default stream-node-max-bytes 4096 and
 * stream-node-max-entries 100, so a stream built by XADD alone saves byte-identically.
 *
 * Loading validates everything it reads (listpack structure, lp-counts, entry IDs strictly
 * increasing and not above last-id, length, PEL references) and throws RdbError before any
 * stream object escapes, so a corrupt payload never yields a partial stream.
 * Source: Redis 7.0 rdb.c (rdbSaveObject, rdbLoadObject, rdbSaveStreamPEL,
 * rdbSaveStreamConsumers), t_stream.c (streamAppendItem, streamGetEdgeID,
 * streamEstimateDistanceFromFirstEverEntry, streamValidateListpackIntegrity).
 */
import { ObjType, RObject } from '../../store/db.js';
import { Stream, type StreamGroup, type StreamId, type StreamNack, streamLimits } from '../../store/stream.js';
import { decodeListpack, encodeEntry, encodeListpack } from './listpack.js';
import { type RdbReader, RdbType, type RdbWriter, registerTypeCodec } from './rdb.js';

const FLAG_DELETED = 1;
const FLAG_SAMEFIELDS = 2;
/** stream-node-max-bytes / stream-node-max-entries defaults of Redis 7.0. */
const NODE_MAX_BYTES = 4096;
const NODE_MAX_ENTRIES = 100;
/** SCG_INVALID_ENTRIES_READ: a group's entries-read counter that is unknown. */
const INVALID_ENTRIES_READ = -1;

// ---- IDs ---------------------------------------------------------------------------------

/** The 16-byte big-endian form of an ID (streamEncodeID), as a latin1 string. */
export function encodeRawId(id: StreamId): string {
  const b = Buffer.allocUnsafe(16);
  b.writeBigUInt64BE(id.ms, 0);
  b.writeBigUInt64BE(id.seq, 8);
  return b.toString('latin1');
}

function decodeRawId(b: Buffer, at: number): StreamId {
  return { ms: b.readBigUInt64BE(at), seq: b.readBigUInt64BE(at + 8) };
}

function cmpId(a: StreamId, b: StreamId): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

function idString(id: StreamId): string {
  return `${id.ms}-${id.seq}`;
}

/** rdbSaveLen for a full 64-bit unsigned value. */
function writeLen64(w: RdbWriter, v: bigint): void {
  if (v <= 0xffffffffn) w.len(Number(v));
  else {
    w.byte(0x81);
    const b = Buffer.allocUnsafe(8);
    b.writeBigUInt64BE(v, 0);
    w.bytes(b);
  }
}

/** rdbLoadLen for a full 64-bit unsigned value. */
function readLen64(r: RdbReader): bigint {
  r.need(1);
  if (r.buf[r.pos] === 0x81) {
    r.pos++;
    r.need(8);
    const v = r.buf.readBigUInt64BE(r.pos);
    r.pos += 8;
    return v;
  }
  return BigInt(r.len());
}

function readId(r: RdbReader): StreamId {
  const ms = readLen64(r);
  return { ms, seq: readLen64(r) };
}

function writeId(w: RdbWriter, id: StreamId): void {
  writeLen64(w, id.ms);
  writeLen64(w, id.seq);
}

/** An integer listpack entry (lpAppendInteger) for a signed 64-bit value. */
function lpInt(v: bigint | number): Buffer {
  return encodeEntry(String(v));
}

// ---- save --------------------------------------------------------------------------------

/**
 * What the codec reads of one node of the in-memory stream (src/store/stream.ts StreamNode):
 * Keydra keeps Redis's node layout (master ID and fields, deleted entries flagged in place), so
 * the saved listpacks are the ones redis-server would hold for the same command history.
 */
interface NodeView {
  masterMs: bigint;
  masterSeq: bigint;
  /** Master field names, flattened as [f1, '', f2, '', ...]. */
  master: string[];
  /** Slots used (live + deleted). */
  n: number;
  live: number;
  idAt(i: number): StreamId;
  fieldsAt(i: number): string[];
  isDeleted(i: number): boolean;
}

/** The stream's nodes, or null if the structure does not expose them (then entries are re-split). */
function nodeViews(s: Stream): NodeView[] | null {
  const nodes = (s as unknown as { nodes?: NodeView[] }).nodes;
  if (!Array.isArray(nodes)) return null;
  if (nodes.length > 0 && typeof nodes[0].isDeleted !== 'function') return null;
  return nodes;
}

/** One listpack node being built: the master ID and fields and the encoded items. */
interface NodeBuilder {
  master: StreamId;
  masterFields: string[];
  items: Buffer[];
  bytes: number;
  live: number;
  deleted: number;
}

function startNode(id: StreamId, masterFields: string[]): NodeBuilder {
  const items = [lpInt(1), lpInt(0), lpInt(masterFields.length)];
  for (const f of masterFields) items.push(encodeEntry(f));
  items.push(lpInt(0));
  let bytes = 7;
  for (const b of items) bytes += b.length;
  return { master: id, masterFields, items, bytes, live: 0, deleted: 0 };
}

function fieldNames(fields: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < fields.length; i += 2) out.push(fields[i]);
  return out;
}

/** Appends one entry as streamAppendItem lays it out (SAMEFIELDS when the names equal the master's). */
function appendEntry(n: NodeBuilder, id: StreamId, fields: string[], deleted: boolean): void {
  const nf = fields.length / 2;
  let same = nf === n.masterFields.length;
  for (let i = 0; same && i < nf; i++) if (fields[i * 2] !== n.masterFields[i]) same = false;
  const add = (b: Buffer) => {
    n.items.push(b);
    n.bytes += b.length;
  };
  add(lpInt((same ? FLAG_SAMEFIELDS : 0) | (deleted ? FLAG_DELETED : 0)));
  add(lpInt(BigInt.asIntN(64, id.ms - n.master.ms)));
  add(lpInt(BigInt.asIntN(64, id.seq - n.master.seq)));
  if (!same) add(lpInt(nf));
  for (let i = 0; i < nf; i++) {
    if (!same) add(encodeEntry(fields[i * 2]));
    add(encodeEntry(fields[i * 2 + 1]));
  }
  add(lpInt(same ? nf + 3 : 2 * nf + 4));
  if (deleted) n.deleted++;
  else n.live++;
}

function finishNode(n: NodeBuilder): [StreamId, Buffer] {
  n.items[0] = lpInt(n.live);
  n.items[1] = lpInt(n.deleted);
  return [n.master, encodeListpack([], n.items)];
}

/**
 * The nodes to save: the stream's own nodes (deleted entries included, as Redis keeps them), or
 * the live entries split by Redis's streamAppendItem rule with the default limits.
 */
function buildNodes(s: Stream): [StreamId, Buffer][] {
  const out: [StreamId, Buffer][] = [];
  const views = nodeViews(s);
  if (views !== null) {
    for (const v of views) {
      if (v.live === 0) continue;
      const nb = startNode({ ms: v.masterMs, seq: v.masterSeq }, fieldNames(v.master));
      for (let i = 0; i < v.n; i++) appendEntry(nb, v.idAt(i), v.fieldsAt(i), v.isDeleted(i));
      out.push(finishNode(nb));
    }
    return out;
  }
  let cur: NodeBuilder | null = null;
  for (const [id, fields] of s.entries()) {
    if (cur !== null) {
      // streamAppendItem: a new node when lp_bytes + the entry's field/value bytes reach the
      // byte limit, or when the node already holds stream-node-max-entries entries.
      let elen = 0;
      for (const f of fields) elen += f.length;
      if (cur.bytes + elen >= NODE_MAX_BYTES || cur.live >= NODE_MAX_ENTRIES) {
        out.push(finishNode(cur));
        cur = null;
      }
    }
    if (cur === null) cur = startNode(id, fieldNames(fields));
    appendEntry(cur, id, fields, false);
  }
  if (cur !== null) out.push(finishNode(cur));
  return out;
}

/** Writes the node count and nodes (master key + listpack) of a stream's entries. */
function saveNodes(w: RdbWriter, s: Stream): void {
  const nodes = buildNodes(s);
  w.len(nodes.length);
  for (const [master, lp] of nodes) {
    w.string(encodeRawId(master));
    w.string(lp.toString('latin1'));
  }
}

/** Groups (or consumers) in the order Redis's rax iterates them: by name bytes. */
function byName<T>(m: Map<string, T>): [string, T][] {
  return [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function savePel(w: RdbWriter, nacks: StreamNack[], full: boolean): void {
  w.len(nacks.length);
  for (const n of nacks) {
    w.latin1(encodeRawId(n.id));
    if (full) {
      w.int64LE(n.deliveryTime);
      w.len(n.deliveryCount);
    }
  }
}

function saveGroup(w: RdbWriter, name: string, g: StreamGroup): void {
  w.string(name);
  writeId(w, g.lastId);
  writeLen64(w, BigInt.asUintN(64, BigInt(g.entriesRead)));
  savePel(w, [...g.pelEntries()], true);
  const consumers = byName(g.consumers);
  w.len(consumers.length);
  for (const [cname, c] of consumers) {
    w.string(cname);
    w.int64LE(c.seenTime);
    savePel(w, [...c.pelEntries()], false);
  }
}

// ---- load --------------------------------------------------------------------------------

/** Parses an integer item of a stream listpack (lpGetInteger); null if it is not one. */
function lpInteger(s: string | undefined): bigint | null {
  if (s === undefined || !/^-?(0|[1-9][0-9]{0,18})$/.test(s)) return null;
  const v = BigInt(s);
  return v === BigInt.asIntN(64, v) ? v : null;
}

/** An entry read from a node listpack; `first` marks the first entry of its node. */
interface LoadedEntry {
  id: StreamId;
  fields: string[];
  deleted: boolean;
  first: boolean;
}

/**
 * Decodes one node's listpack into its entries (deleted ones flagged), validating its structure
 * (streamValidateListpackIntegrity, deep mode). @throws Error naming what is wrong.
 */
function decodeNode(master: StreamId, lp: Buffer, out: LoadedEntry[]): void {
  const items = decodeListpack(lp);
  let p = 0;
  const int = (what: string): bigint => {
    const v = lpInteger(items[p]);
    if (v === null) throw new Error(`${what} is not an integer`);
    p++;
    return v;
  };
  if (items.length === 0) throw new Error('Empty listpack inside stream');
  const count = int('master entry count');
  const deleted = int('master entry deleted count');
  const nmf = int('master entry field count');
  if (count < 0n || deleted < 0n || nmf < 0n || nmf > BigInt(items.length)) throw new Error('bad master entry');
  const masterFields = items.slice(p, p + Number(nmf));
  if (masterFields.length !== Number(nmf)) throw new Error('master fields overrun');
  p += Number(nmf);
  if (int('master entry terminator') !== 0n) throw new Error('master entry terminator is not 0');
  let live = 0n;
  let dead = 0n;
  while (p < items.length) {
    const start = p;
    const flags = int('entry flags');
    if (flags < 0n || flags > 3n) throw new Error(`bad entry flags ${flags}`);
    const ms = BigInt.asUintN(64, master.ms + int('entry ms-diff'));
    const seq = BigInt.asUintN(64, master.seq + int('entry seq-diff'));
    const same = (flags & BigInt(FLAG_SAMEFIELDS)) !== 0n;
    const nf = same ? nmf : int('entry field count');
    if (nf <= 0n || nf > BigInt(items.length)) throw new Error('bad entry field count');
    const n = Number(nf);
    const fields: string[] = new Array(n * 2);
    for (let i = 0; i < n; i++) {
      if (same) fields[i * 2] = masterFields[i];
      else {
        if (p >= items.length) throw new Error('entry overruns the listpack');
        fields[i * 2] = items[p++];
      }
      if (p >= items.length) throw new Error('entry overruns the listpack');
      fields[i * 2 + 1] = items[p++];
    }
    const lpCount = int('entry lp-count');
    if (lpCount !== BigInt(p - start - 1)) throw new Error('entry lp-count mismatch');
    const deleted = (flags & BigInt(FLAG_DELETED)) !== 0n;
    if (deleted) dead++;
    else live++;
    out.push({ id: { ms, seq }, fields, deleted, first: start === 3 + Number(nmf) + 1 });
  }
  if (live !== count || dead !== deleted) throw new Error('master entry counts do not match the entries');
}

/** streamEstimateDistanceFromFirstEverEntry (Redis 7.0): entries-read of a group loaded from a type-15 file. */
function estimateEntriesRead(s: Stream, id: StreamId): number {
  if (!s.entriesAdded) return 0;
  const cmpLast = cmpId(id, s.lastId);
  if (cmpLast === 0) return s.entriesAdded;
  if (cmpLast > 0) return INVALID_ENTRIES_READ;
  const first = s.firstId();
  const zero = s.maxDeletedId.ms === 0n && s.maxDeletedId.seq === 0n;
  if (zero || cmpId(s.maxDeletedId, first) < 0) {
    const c = cmpId(id, first);
    if (c < 0) return s.entriesAdded - s.length;
    if (c === 0) return s.entriesAdded - s.length + 1;
  }
  return INVALID_ENTRIES_READ;
}

function loadStream(r: RdbReader, rdbType: number): RObject {
  const nodes = r.len();
  const entries: LoadedEntry[] = [];
  let prev: StreamId | null = null;
  let live = 0;
  for (let i = 0; i < nodes; i++) {
    const keyAt = r.pos;
    const key = r.blob();
    if (key.length !== 16) {
      r.pos = keyAt;
      r.fail('Stream node key entry is not the size of a stream ID');
    }
    const master = decodeRawId(key, 0);
    if (prev !== null && cmpId(master, prev) <= 0) {
      r.pos = keyAt;
      r.fail('Stream node keys are not in increasing order');
    }
    const lpAt = r.pos;
    const lp = r.blob();
    const first = entries.length;
    try {
      decodeNode(master, lp, entries);
    } catch (e) {
      r.pos = lpAt;
      r.fail(`Stream listpack integrity check failed: ${(e as Error).message}`);
    }
    for (let j = first; j < entries.length; j++) {
      const e = entries[j];
      if (cmpId(e.id, master) < 0 || (prev !== null && cmpId(e.id, prev) <= 0)) {
        r.pos = lpAt;
        r.fail(`Stream entry ID ${idString(e.id)} is out of order (node ${idString(master)}, previous ${prev ? idString(prev) : 'none'})`);
      }
      prev = e.id;
      if (!e.deleted) live++;
    }
    prev ??= master;
  }
  const length = r.len();
  const lastId = readId(r);
  if (length !== live) r.fail(`Stream length ${length} does not match its ${live} entries`);
  if (prev !== null && cmpId(prev, lastId) > 0) r.fail('Stream last ID is smaller than its last entry');
  const s = buildStream(entries);
  s.lastId = lastId;
  if (rdbType === RdbType.StreamListpacks2) {
    // first-id is derived from the entries (Redis records the same value: the first live entry,
    // or 0-0 when empty), so the stored one is read and not kept.
    readId(r);
    s.maxDeletedId = readId(r);
    s.entriesAdded = Number(readLen64(r));
  } else {
    // Redis 5/6 files: no tombstone info; the counter starts at the length (rdbLoadObject).
    s.maxDeletedId = { ms: 0n, seq: 0n };
    s.entriesAdded = length;
  }
  const ngroups = r.len();
  for (let i = 0; i < ngroups; i++) loadGroup(r, rdbType, s);
  return new RObject(ObjType.Stream, s);
}

/**
 * Rebuilds the stream with the file's node boundaries and tombstones, so that later XTRIM ~ and
 * XINFO see the nodes redis-server would have after loading the same file: each node's first
 * entry is appended with the node limits forcing a new node, the rest with no limit, then the
 * deleted entries are flagged.
 */
function buildStream(entries: LoadedEntry[]): Stream {
  const s = new Stream();
  const saved = { ...streamLimits };
  try {
    for (const e of entries) {
      if (e.first) {
        streamLimits.nodeMaxEntries = 1;
        streamLimits.nodeMaxBytes = saved.nodeMaxBytes;
      } else {
        streamLimits.nodeMaxEntries = 0;
        streamLimits.nodeMaxBytes = 0;
      }
      s.appendEntry(e.id, e.fields);
    }
  } finally {
    Object.assign(streamLimits, saved);
  }
  for (const e of entries) if (e.deleted) s.delete(e.id);
  return s;
}

function loadGroup(r: RdbReader, rdbType: number, s: Stream): void {
  const nameAt = r.pos;
  const name = r.string();
  const lastId = readId(r);
  let entriesRead: number;
  if (rdbType === RdbType.StreamListpacks2) {
    const v = BigInt.asIntN(64, readLen64(r));
    entriesRead = v < 0n ? INVALID_ENTRIES_READ : Number(v);
  } else entriesRead = estimateEntriesRead(s, lastId);
  if (s.groups.has(name)) {
    r.pos = nameAt;
    r.fail(`Duplicated consumer group name ${name}`);
  }
  const g = s.addGroup(name, lastId, entriesRead);
  const pel = new Map<string, StreamNack>();
  const npel = r.len();
  for (let i = 0; i < npel; i++) {
    r.need(16);
    const raw = r.buf.toString('latin1', r.pos, r.pos + 16);
    const id = decodeRawId(r.buf, r.pos);
    r.pos += 16;
    const time = r.int64LE();
    const count = r.len();
    if (pel.has(raw)) r.fail('Duplicated global PEL entry loading stream consumer group');
    pel.set(raw, g.pelAdd(id, time, count));
  }
  const nconsumers = r.len();
  for (let i = 0; i < nconsumers; i++) {
    const cname = r.string();
    if (g.consumers.has(cname)) r.fail('Duplicate stream consumer detected.');
    const c = g.addConsumer(cname, r.int64LE());
    const n = r.len();
    for (let j = 0; j < n; j++) {
      r.need(16);
      const raw = r.buf.toString('latin1', r.pos, r.pos + 16);
      const nack = pel.get(raw);
      if (nack === undefined) r.fail('Consumer entry not found in group global PEL');
      if (nack.consumer !== null) r.fail('Duplicated consumer PEL entry loading a stream consumer group');
      r.pos += 16;
      c.pelAttach(nack);
    }
  }
  for (const nack of pel.values()) if (nack.consumer === null) r.fail('Stream CG PEL entry without consumer');
}

registerTypeCodec(ObjType.Stream, {
  rdbTypes: [RdbType.StreamListpacks, RdbType.StreamListpacks2],
  save(w: RdbWriter, o: RObject): number {
    const s = o.value as Stream;
    saveNodes(w, s);
    w.len(s.length);
    writeId(w, s.lastId);
    writeId(w, s.length === 0 ? { ms: 0n, seq: 0n } : s.firstId());
    writeId(w, s.maxDeletedId);
    writeLen64(w, BigInt(s.entriesAdded));
    const groups = byName(s.groups);
    w.len(groups.length);
    for (const [name, g] of groups) saveGroup(w, name, g);
    return RdbType.StreamListpacks2;
  },
  load: loadStream,
});

/** Exposed for tests: the node split and listpack layout of a stream. */
export const _internal = { buildNodes, decodeNode };
