/**
 * The cluster bus wire format of Redis 7.0 (cluster.h clusterMsg): a fixed 2256-byte header, then
 * a type-dependent body, all integers big-endian. PING/PONG/MEET carry `count` gossip entries
 * (clusterMsgDataGossip, 104 bytes each) followed by `extensions` ping extensions (8-byte aligned,
 * each `length u32, type u16, unused u16` then data; 7.0 knows the hostname extension, type 0).
 * FAIL carries a node name, PUBLISH/PUBLISHSHARD channel and message lengths and bytes, UPDATE a
 * config epoch, node name and slot bitmap; FAILOVER_AUTH_REQUEST/ACK and MFSTART are a bare header.
 * Byte offsets are cluster.h's static_asserts. Source: Redis 7.0 cluster.h, cluster.c
 * clusterBuildMessageHdr, clusterSendPing, clusterProcessPacket (length checks).
 */
import { CLUSTER_NAMELEN, CLUSTER_SLOTS } from '../node.js';

/** Message types (cluster.h CLUSTERMSG_TYPE_*). */
export const enum MsgType {
  Ping = 0,
  Pong = 1,
  Meet = 2,
  Fail = 3,
  Publish = 4,
  AuthRequest = 5,
  AuthAck = 6,
  Update = 7,
  MfStart = 8,
  Module = 9,
  PublishShard = 10,
}
/** Number of message types (CLUSTERMSG_TYPE_COUNT). */
export const MSG_TYPE_COUNT = 11;

/** CLUSTER INFO names of the types (clusterGetMessageTypeString). */
export const MSG_TYPE_NAMES = [
  'ping',
  'pong',
  'meet',
  'fail',
  'publish',
  'auth-req',
  'auth-ack',
  'update',
  'mfstart',
  'module',
  'publishshard',
];

/** mflags[0] bits (CLUSTERMSG_FLAG0_*). */
export const MFLAG0_PAUSED = 1;
export const MFLAG0_FORCEACK = 2;
export const MFLAG0_EXT_DATA = 4;

/** Ping extension types (clusterMsgPingtypes): 7.0 has the hostname only. */
export const EXT_HOSTNAME = 0;

/** Header size: offsetof(clusterMsg, data) (CLUSTERMSG_MIN_LEN). */
export const HDR_LEN = 2256;
/** sizeof(clusterMsgDataGossip). */
export const GOSSIP_LEN = 104;
/** NET_IP_STR_LEN. */
export const IP_LEN = 46;
const SLOTS_BYTES = CLUSTER_SLOTS / 8;

// Field offsets (cluster.h static_asserts).
const O_TOTLEN = 4;
const O_VER = 8;
const O_PORT = 10;
const O_TYPE = 12;
const O_COUNT = 14;
const O_CURRENT_EPOCH = 16;
const O_CONFIG_EPOCH = 24;
const O_OFFSET = 32;
const O_SENDER = 40;
const O_MYSLOTS = 80;
const O_SLAVEOF = 2128;
const O_MYIP = 2168;
const O_EXTENSIONS = 2214;
const O_PPORT = 2246;
const O_CPORT = 2248;
const O_FLAGS = 2250;
const O_STATE = 2252;
const O_MFLAGS = 2253;

/** The header fields this node sends (clusterBuildMessageHdr); a received header has them too. */
export interface OutHeader {
  currentEpoch: bigint;
  configEpoch: bigint;
  offset: bigint;
  sender: string;
  /** Slot bitmap (the primary's for a replica); a view into the message buffer when received. */
  myslots: Uint8Array;
  /** Name of our primary, or null (all zeros on the wire). */
  slaveof: string | null;
  /** cluster-announce-ip, or '' (the receiver takes the connection's address). */
  myip: string;
  port: number;
  pport: number;
  cport: number;
  flags: number;
  /** 0 = ok, 1 = fail (CLUSTER_OK / CLUSTER_FAIL). */
  state: number;
  mflags0: number;
}

/** A received header: the sent fields plus the framing ones. */
export interface InHeader extends OutHeader {
  totlen: number;
  ver: number;
  type: number;
  count: number;
  extensions: number;
}

/** One gossip entry (clusterMsgDataGossip); ping_sent and pong_received in seconds as sent. */
export interface Gossip {
  name: string;
  pingSent: number;
  pongReceived: number;
  ip: string;
  port: number;
  cport: number;
  flags: number;
  pport: number;
}

/** A NUL-terminated string in a fixed field. */
function cstr(buf: Buffer, at: number, len: number): string {
  let end = at;
  const max = at + len;
  while (end < max && buf[end] !== 0) end++;
  return buf.toString('latin1', at, end);
}

/** Writes `s` into a fixed zero-filled field (truncated to len-1 bytes to keep a NUL). */
function putStr(buf: Buffer, at: number, len: number, s: string): void {
  buf.write(s.length >= len ? s.slice(0, len - 1) : s, at, 'latin1');
}

/**
 * A zero-filled message of `totlen` bytes with the header written (totlen included). The body
 * starts at HDR_LEN.
 */
export function buildMessage(type: MsgType, h: OutHeader, totlen: number): Buffer {
  const b = Buffer.alloc(Math.max(totlen, HDR_LEN));
  b.write('RCmb', 0, 'latin1');
  b.writeUInt32BE(totlen, O_TOTLEN);
  b.writeUInt16BE(1, O_VER);
  b.writeUInt16BE(h.port, O_PORT);
  b.writeUInt16BE(type, O_TYPE);
  b.writeBigUInt64BE(h.currentEpoch, O_CURRENT_EPOCH);
  b.writeBigUInt64BE(h.configEpoch, O_CONFIG_EPOCH);
  b.writeBigUInt64BE(h.offset < 0n ? 0n : h.offset, O_OFFSET);
  b.write(h.sender, O_SENDER, CLUSTER_NAMELEN, 'latin1');
  b.set(h.myslots, O_MYSLOTS);
  if (h.slaveof !== null) b.write(h.slaveof, O_SLAVEOF, CLUSTER_NAMELEN, 'latin1');
  if (h.myip !== '') putStr(b, O_MYIP, IP_LEN, h.myip);
  b.writeUInt16BE(h.pport, O_PPORT);
  b.writeUInt16BE(h.cport, O_CPORT);
  b.writeUInt16BE(h.flags & 0xffff, O_FLAGS);
  b[O_STATE] = h.state;
  b[O_MFLAGS] = h.mflags0;
  return b;
}

/** Sets the gossip count, extension count and extension flag of a PING/PONG/MEET. */
export function setPingCounts(b: Buffer, count: number, extensions: number): void {
  b.writeUInt16BE(count, O_COUNT);
  b.writeUInt16BE(extensions, O_EXTENSIONS);
  if (extensions > 0) b[O_MFLAGS] |= MFLAG0_EXT_DATA;
}

/** Reads the header of a whole message (the caller checked the signature and length). */
export function readHeader(b: Buffer): InHeader {
  const slaveofZero = b.subarray(O_SLAVEOF, O_SLAVEOF + CLUSTER_NAMELEN).every((x) => x === 0);
  return {
    totlen: b.readUInt32BE(O_TOTLEN),
    ver: b.readUInt16BE(O_VER),
    type: b.readUInt16BE(O_TYPE),
    count: b.readUInt16BE(O_COUNT),
    currentEpoch: b.readBigUInt64BE(O_CURRENT_EPOCH),
    configEpoch: b.readBigUInt64BE(O_CONFIG_EPOCH),
    offset: b.readBigUInt64BE(O_OFFSET),
    sender: b.toString('latin1', O_SENDER, O_SENDER + CLUSTER_NAMELEN),
    myslots: b.subarray(O_MYSLOTS, O_MYSLOTS + SLOTS_BYTES),
    slaveof: slaveofZero ? null : b.toString('latin1', O_SLAVEOF, O_SLAVEOF + CLUSTER_NAMELEN),
    myip: cstr(b, O_MYIP, IP_LEN),
    extensions: b.readUInt16BE(O_EXTENSIONS),
    port: b.readUInt16BE(O_PORT),
    pport: b.readUInt16BE(O_PPORT),
    cport: b.readUInt16BE(O_CPORT),
    flags: b.readUInt16BE(O_FLAGS),
    state: b[O_STATE],
    mflags0: b[O_MFLAGS],
  };
}

/** Writes gossip entry `i` of a PING/PONG/MEET (clusterSetGossipEntry; times in seconds). */
export function writeGossip(b: Buffer, i: number, g: Gossip): void {
  const at = HDR_LEN + i * GOSSIP_LEN;
  b.write(g.name, at, CLUSTER_NAMELEN, 'latin1');
  b.writeUInt32BE(g.pingSent >>> 0, at + 40);
  b.writeUInt32BE(g.pongReceived >>> 0, at + 44);
  putStr(b, at + 48, IP_LEN, g.ip);
  b.writeUInt16BE(g.port, at + 94);
  b.writeUInt16BE(g.cport, at + 96);
  b.writeUInt16BE(g.flags & 0xffff, at + 98);
  b.writeUInt16BE(g.pport, at + 100);
}

/** Reads gossip entry `i`. */
export function readGossip(b: Buffer, i: number): Gossip {
  const at = HDR_LEN + i * GOSSIP_LEN;
  return {
    name: b.toString('latin1', at, at + CLUSTER_NAMELEN),
    pingSent: b.readUInt32BE(at + 40),
    pongReceived: b.readUInt32BE(at + 44),
    ip: cstr(b, at + 48, IP_LEN),
    port: b.readUInt16BE(at + 94),
    cport: b.readUInt16BE(at + 96),
    flags: b.readUInt16BE(at + 98),
    pport: b.readUInt16BE(at + 100),
  };
}

/** Size of the hostname extension for `hostname` (0 when empty): 8-byte header + NUL-terminated, 8-aligned. */
export function hostnameExtSize(hostname: string): number {
  return hostname === '' ? 0 : 8 + Math.ceil((hostname.length + 1) / 8) * 8;
}

/** Writes the hostname extension at `at`; returns its size. */
export function writeHostnameExt(b: Buffer, at: number, hostname: string): number {
  const size = hostnameExtSize(hostname);
  b.writeUInt32BE(size, at);
  b.writeUInt16BE(EXT_HOSTNAME, at + 4);
  b.write(hostname, at + 8, 'latin1');
  return size;
}

/** A ping extension as read: its type and data (after the 8-byte extension header). */
export interface PingExt {
  type: number;
  data: Buffer;
}

/**
 * The expected total length of a message from its header, or -1 when its extensions are
 * malformed (clusterProcessPacket's explen); `reason` tells why for the log.
 */
export function expectedLength(b: Buffer, h: InHeader): number {
  const t = h.type;
  if (t === MsgType.Ping || t === MsgType.Pong || t === MsgType.Meet) {
    let explen = HDR_LEN + GOSSIP_LEN * h.count;
    if (h.mflags0 & MFLAG0_EXT_DATA) {
      let at = explen;
      for (let n = h.extensions; n > 0; n--) {
        if (at + 8 > b.length) return -1;
        const extlen = b.readUInt32BE(at);
        if (extlen % 8 !== 0 || extlen < 8 || h.totlen - explen < extlen) return -1;
        explen += extlen;
        at += extlen;
      }
    }
    return explen;
  }
  if (t === MsgType.Fail) return HDR_LEN + CLUSTER_NAMELEN;
  if (t === MsgType.Publish || t === MsgType.PublishShard) {
    if (b.length < HDR_LEN + 8) return -1;
    return HDR_LEN + 8 + b.readUInt32BE(HDR_LEN) + b.readUInt32BE(HDR_LEN + 4);
  }
  if (t === MsgType.AuthRequest || t === MsgType.AuthAck || t === MsgType.MfStart) return HDR_LEN;
  if (t === MsgType.Update) return HDR_LEN + 8 + CLUSTER_NAMELEN + SLOTS_BYTES;
  if (t === MsgType.Module) {
    if (b.length < HDR_LEN + 12) return -1;
    return HDR_LEN + 13 + b.readUInt32BE(HDR_LEN + 8);
  }
  return h.totlen;
}

/** The ping extensions of a PING/PONG/MEET whose length was checked. */
export function readPingExts(b: Buffer, h: InHeader): PingExt[] {
  const out: PingExt[] = [];
  if ((h.mflags0 & MFLAG0_EXT_DATA) === 0) return out;
  let at = HDR_LEN + GOSSIP_LEN * h.count;
  for (let n = h.extensions; n > 0; n--) {
    const len = b.readUInt32BE(at);
    out.push({ type: b.readUInt16BE(at + 4), data: b.subarray(at + 8, at + len) });
    at += len;
  }
  return out;
}

/** The NUL-terminated string at the start of an extension's data. */
export function extString(data: Buffer): string {
  const z = data.indexOf(0);
  return data.toString('latin1', 0, z === -1 ? data.length : z);
}

/** Body of a PUBLISH / PUBLISHSHARD: channel and message (binary strings). */
export function buildPublish(type: MsgType, h: OutHeader, channel: Buffer, message: Buffer): Buffer {
  const totlen = HDR_LEN + 8 + channel.length + message.length;
  const b = buildMessage(type, h, totlen);
  b.writeUInt32BE(channel.length, HDR_LEN);
  b.writeUInt32BE(message.length, HDR_LEN + 4);
  channel.copy(b, HDR_LEN + 8);
  message.copy(b, HDR_LEN + 8 + channel.length);
  return b;
}

/** Reads a PUBLISH body. */
export function readPublish(b: Buffer): { channel: string; message: string } {
  const cl = b.readUInt32BE(HDR_LEN);
  const ml = b.readUInt32BE(HDR_LEN + 4);
  const at = HDR_LEN + 8;
  return { channel: b.toString('latin1', at, at + cl), message: b.toString('latin1', at + cl, at + cl + ml) };
}

/** FAIL body: the failing node's name. */
export function failNodeName(b: Buffer): string {
  return b.toString('latin1', HDR_LEN, HDR_LEN + CLUSTER_NAMELEN);
}

/** UPDATE body: config epoch, node name, slots. */
export function readUpdate(b: Buffer): { configEpoch: bigint; name: string; slots: Uint8Array } {
  return {
    configEpoch: b.readBigUInt64BE(HDR_LEN),
    name: b.toString('latin1', HDR_LEN + 8, HDR_LEN + 8 + CLUSTER_NAMELEN),
    slots: b.subarray(HDR_LEN + 8 + CLUSTER_NAMELEN, HDR_LEN + 8 + CLUSTER_NAMELEN + SLOTS_BYTES),
  };
}

/** Writes an UPDATE body. */
export function writeUpdate(b: Buffer, configEpoch: bigint, name: string, slots: Uint8Array): void {
  b.writeBigUInt64BE(configEpoch, HDR_LEN);
  b.write(name, HDR_LEN + 8, CLUSTER_NAMELEN, 'latin1');
  b.set(slots, HDR_LEN + 8 + CLUSTER_NAMELEN);
}

/** Writes a FAIL body. */
export function writeFail(b: Buffer, name: string): void {
  b.write(name, HDR_LEN, CLUSTER_NAMELEN, 'latin1');
}

/** Size of FAIL and UPDATE messages. */
export const FAIL_LEN = HDR_LEN + CLUSTER_NAMELEN;
export const UPDATE_LEN = HDR_LEN + 8 + CLUSTER_NAMELEN + SLOTS_BYTES;
