/**
 * Stream ID arguments: parsing as Redis 7.0 does (streamGenericParseIDOrReply, string2ull) and
 * replying IDs.
 * Source: Redis 7.0 t_stream.c, util.c string2ull.
 */
import { ERR_INVALID_STREAM_ID } from '../../errors.js';
import type { Client } from '../../server/client.js';
import { ID_MAX, ID_ZERO, type StreamId, U64_MAX } from '../../store/stream.js';

const SPACE_DIGITS = /^[ \t\n\v\f\r]*([+-]?)(\d+)$/;

/**
 * Parses an unsigned 64-bit decimal as Redis's string2ull: a canonical int64 must be ≥ 0;
 * otherwise strtoull's syntax (leading spaces, sign; a '-' negates modulo 2^64). @returns null when invalid.
 */
export function parseU64(s: string): bigint | null {
  const n = s.length;
  if (n === 0) return null;
  // Fast path: plain digits without a leading zero, short enough for a double.
  if (n <= 15) {
    let v = 0;
    let ok = s.charCodeAt(0) !== 48 || n === 1;
    for (let i = 0; ok && i < n; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) ok = false;
      else v = v * 10 + d;
    }
    if (ok) return BigInt(v);
  }
  const m = SPACE_DIGITS.exec(s);
  if (m === null) return null;
  // string2ll accepts "-<digits>" (canonical): negative → invalid.
  if (m[1] === '-' && /^-[1-9]\d*$/.test(s) && BigInt(s) >= -9223372036854775808n) return null;
  let v = BigInt(m[2]);
  if (v > U64_MAX) return null;
  if (m[1] === '-') v = (U64_MAX + 1n - v) & U64_MAX;
  return v;
}

/** Result of parsing an ID argument. */
export interface ParsedId {
  id: StreamId;
  /** False when the sequence was `*` (XADD `<ms>-*`). */
  seqGiven: boolean;
}

/**
 * Parses an ID argument (streamGenericParseIDOrReply). `-`/`+` mean 0-0 / max unless `strict`;
 * `<ms>` alone takes `missingSeq`; `<ms>-*` is accepted only when `allowSeqAuto`.
 * @returns the ID or null after replying the invalid-ID error (when `c` is given).
 */
export function parseStreamId(c: Client | null, s: string, missingSeq: bigint, strict: boolean, allowSeqAuto = false): ParsedId | null {
  const bad = (): null => {
    if (c !== null) c.error(ERR_INVALID_STREAM_ID);
    return null;
  };
  if (s.length > 127) return bad();
  if (!strict && s.length === 1) {
    if (s === '-') return { id: ID_ZERO, seqGiven: true };
    if (s === '+') return { id: ID_MAX, seqGiven: true };
  }
  const dash = s.indexOf('-');
  if (dash >= 0) {
    const ms = parseU64(s.slice(0, dash));
    if (ms === null) return bad();
    const rest = s.slice(dash + 1);
    if (allowSeqAuto && rest === '*') return { id: { ms, seq: 0n }, seqGiven: false };
    const seq = parseU64(rest);
    if (seq === null) return bad();
    return { id: { ms, seq }, seqGiven: true };
  }
  const ms = parseU64(s);
  if (ms === null) return bad();
  return { id: { ms, seq: missingSeq }, seqGiven: true };
}

/** Parses a strict ID (no `-`/`+`, no `*`) or replies the error. */
export function parseStrictIdOrReply(c: Client | null, s: string, missingSeq = 0n): StreamId | null {
  const p = parseStreamId(c, s, missingSeq, true);
  return p === null ? null : p.id;
}

/**
 * Parses a range bound (streamParseIntervalIDOrReply): `(` makes it exclusive (then strict).
 * @returns [id, exclusive] or null after replying.
 */
export function parseIntervalIdOrReply(c: Client, s: string, missingSeq: bigint): [StreamId, boolean] | null {
  if (s.length > 1 && s.charCodeAt(0) === 40) {
    const p = parseStreamId(c, s.slice(1), missingSeq, true);
    return p === null ? null : [p.id, true];
  }
  const p = parseStreamId(c, s, missingSeq, false);
  return p === null ? null : [p.id, false];
}

/**
 * Parses argv[from..] as strict stream IDs (XDEL, XACK), replying the error for the first bad one.
 * @returns the IDs in argument order, or null after replying.
 */
export function parseIdListOrReply(c: Client, argv: string[], from: number): StreamId[] | null {
  const ids: StreamId[] = [];
  for (let j = from; j < argv.length; j++) {
    const id = parseStrictIdOrReply(c, argv[j]);
    if (id === null) return null;
    ids.push(id);
  }
  return ids;
}
