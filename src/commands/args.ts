/**
 * Argument parsing shared by every family, with Redis's strictness: integers as string2ll
 * (no sign '+', no leading zeros or spaces, 64-bit range), doubles as strtod (with inf/-inf,
 * never NaN). Each `*OrReply` helper replies Redis's error and returns null on failure, so a
 * handler reads `const n = parseIntOrReply(c, argv[2]); if (n === null) return;`.
 * Source: Redis 7.0 util.c string2ll/string2ld, object.c getLongLongFromObjectOrReply.
 */
import { ERR_NOT_FLOAT, ERR_NOT_INTEGER } from '../errors.js';
import { MAX_REPLY_BYTES } from '../protocol/reply.js';
import { type Client, outputLimited } from '../server/client.js';
import { parseInt64 } from '../store/int64.js';

export { parseInt64 };

/** Like parseInt64, but only safe-integer results (counts, indexes, ms). Larger values → null. */
export function parseSafeInt(s: string): number | null {
  const v = parseInt64(s);
  return typeof v === 'number' ? v : null;
}

/**
 * Parses a safe integer or replies `ERR value is not an integer or out of range` (or `msg`).
 * Values beyond ±2^53 are clamped to ±MAX_SAFE_INTEGER: indexes and counts that large behave the same.
 */
export function parseIntOrReply(c: Client, s: string, msg = ERR_NOT_INTEGER): number | null {
  const v = parseInt64(s);
  if (v === null) {
    c.error(msg);
    return null;
  }
  if (typeof v === 'bigint') return v < 0n ? -Number.MAX_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  return v;
}

/** Parses an int64 exactly (bigint) or replies the integer error. */
export function parseBigIntOrReply(c: Client, s: string, msg = ERR_NOT_INTEGER): bigint | null {
  const v = parseInt64(s);
  if (v === null) {
    c.error(msg);
    return null;
  }
  return BigInt(v);
}

const FLOAT_RE = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)$/;
const INF_RE = /^[+-]?inf(?:inity)?$/i;

/**
 * Parses a double as Redis's strtod-based parsers: decimal or exponent notation, `inf`,
 * `+inf`, `-inf`, `infinity`; no spaces, no NaN. @returns the number or null.
 */
export function parseDouble(s: string): number | null {
  if (s.length === 0 || s.length > 5000) return null;
  if (FLOAT_RE.test(s)) {
    const d = Number(s);
    return Number.isNaN(d) ? null : d;
  }
  if (INF_RE.test(s)) return s.charCodeAt(0) === 45 ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  return null;
}

/** Parses a double or replies `ERR value is not a valid float` (or `msg`). */
export function parseDoubleOrReply(c: Client, s: string, msg = ERR_NOT_FLOAT): number | null {
  const d = parseDouble(s);
  if (d === null) c.error(msg);
  return d;
}

/** Case-insensitive comparison of an argument with an ASCII keyword given in lowercase. */
export function isKeyword(arg: string, lower: string): boolean {
  return arg.length === lower.length && (arg === lower || arg.toLowerCase() === lower);
}

/**
 * Largest element count a repeating-random reply (SRANDMEMBER/HRANDFIELD/ZRANDMEMBER with a
 * negative count) may ask for: each element takes at least 7 bytes (`$1\r\nx\r\n`), so beyond
 * MAX_REPLY_BYTES / 7 the reply could never be built. Refusing up front keeps such a request from
 * occupying the server for tens of seconds (Redis 7.0 itself crashes on these counts).
 */
export const MAX_REPLY_ELEMENTS = Math.floor(MAX_REPLY_BYTES / 7);

/**
 * Replies `ERR value is out of range` and returns false when `count` exceeds MAX_REPLY_ELEMENTS,
 * unless client-output-buffer-limit bounds the client's output: then the reply streams and the
 * command stops when the client is closed for its output (`c.closeAsap`), as Redis 7.0 does.
 */
export function replyCountOk(c: Client, count: number): boolean {
  if (count <= MAX_REPLY_ELEMENTS || outputLimited(c)) return true;
  c.error('ERR value is out of range');
  return false;
}
