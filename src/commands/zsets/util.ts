/**
 * Helpers shared by the sorted-set commands: range parsing, reply emission, reading sets as
 * zsets (score 1), a small glob matcher for ZSCAN MATCH, and blocking timeouts.
 * Source: Redis 7.0 t_zset.c (zslParseRange, zslParseLexRange), util.c stringmatchlen,
 * timeout.c getTimeoutFromObjectOrReply.
 */
import { parseDouble } from '../args.js';
import { ERR_TIMEOUT_NEGATIVE, ERR_TIMEOUT_NOT_FLOAT } from '../../errors.js';
import { ERR_WRONGTYPE } from '../../errors.js';
import type { Client } from '../../server/client.js';
import { ObjType, type RObject } from '../../store/db.js';
import type { ZSet } from '../../store/zset.js';
import { type LexRange, MAX_LEX, MIN_LEX, type ScoreRange } from '../../store/skiplist.js';

const HEX_RE = /^[+-]?0[xX][0-9a-fA-F]+$/;

/**
 * Parses a double as Redis getDoubleFromObject: like parseDouble, but a finite literal that
 * overflows to ±inf or underflows to 0 (strtod ERANGE) is rejected. @returns the number or null.
 */
export function parseDoubleStrict(s: string): number | null {
  // Fast path: a plain integer of up to 15 digits (exact as a double), the common ZADD score.
  const len = s.length;
  if (len > 0 && len <= 15) {
    const neg = s.charCodeAt(0) === 45;
    let i = neg ? 1 : 0;
    if (i < len) {
      let v = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i) - 48;
        if (c < 0 || c > 9) break;
        v = v * 10 + c;
      }
      if (i === len) return neg ? -v : v;
    }
  }
  if (HEX_RE.test(s)) {
    const v = Number.parseInt(s.replace(/^[+-]?0[xX]/, ''), 16);
    return s.charCodeAt(0) === 45 ? -v : v;
  }
  const d = parseDouble(s);
  if (d === null) return null;
  if (!Number.isFinite(d) && !/inf/i.test(s)) return null;
  if (d === 0 && /[1-9]/.test(s.replace(/[eE].*$/, ''))) return null;
  return d;
}

/** Parses one score bound (`1.5`, `(1.5`, `-inf`). @returns [value, exclusive] or null. */
function parseScoreBound(s: string): [number, boolean] | null {
  if (s.charCodeAt(0) === 40) {
    const d = parseDouble(s.slice(1));
    return d === null ? null : [d, true];
  }
  const d = parseDouble(s);
  return d === null ? null : [d, false];
}

/** Parses min/max score bounds (zslParseRange). @returns the range or null when malformed. */
export function parseScoreRange(min: string, max: string): ScoreRange | null {
  const a = parseScoreBound(min);
  const b = parseScoreBound(max);
  if (a === null || b === null) return null;
  return { min: a[0], minex: a[1], max: b[0], maxex: b[1] };
}

function parseLexBound(s: string): [LexRange['min'], boolean] | null {
  const ch = s.charCodeAt(0);
  if (ch === 43) return s.length === 1 ? [MAX_LEX, true] : null; // '+'
  if (ch === 45) return s.length === 1 ? [MIN_LEX, true] : null; // '-'
  if (ch === 40) return [s.slice(1), true]; // '('
  if (ch === 91) return [s.slice(1), false]; // '['
  return null;
}

/** Parses lex bounds `[a` `(a` `-` `+` (zslParseLexRange). @returns the range or null. */
export function parseLexRange(min: string, max: string): LexRange | null {
  const a = parseLexBound(min);
  const b = parseLexBound(max);
  if (a === null || b === null) return null;
  return { min: a[0], minex: a[1], max: b[0], maxex: b[1] };
}

/**
 * Parses a blocking timeout in seconds (may be fractional) into an absolute deadline in ms,
 * 0 meaning forever; replies the error and returns null when invalid (getTimeoutFromObjectOrReply).
 */
export function parseTimeoutOrReply(c: Client, s: string, now: number): number | null {
  const d = parseDouble(s);
  if (d === null || !Number.isFinite(d)) {
    c.error(ERR_TIMEOUT_NOT_FLOAT);
    return null;
  }
  if (d < 0) {
    c.error(ERR_TIMEOUT_NEGATIVE);
    return null;
  }
  const ms = Math.ceil(d * 1000);
  return ms > 0 ? now + ms : 0;
}

/** Glob match as Redis stringmatchlen (`*`, `?`, `[a-z]`, `[^x]`, `\x`), byte-wise. */
export function globMatch(p: string, s: string, pi = 0, si = 0): boolean {
  while (pi < p.length) {
    const ch = p[pi];
    if (ch === '*') {
      while (pi + 1 < p.length && p[pi + 1] === '*') pi++;
      if (pi + 1 === p.length) return true;
      for (let k = si; k <= s.length; k++) if (globMatch(p, s, pi + 1, k)) return true;
      return false;
    }
    if (si >= s.length) return false;
    if (ch === '?') {
      si++;
      pi++;
      continue;
    }
    if (ch === '[') {
      pi++;
      const not = p[pi] === '^';
      if (not) pi++;
      let match = false;
      while (pi < p.length && p[pi] !== ']') {
        if (p[pi] === '\\' && pi + 1 < p.length) {
          pi++;
          if (p[pi] === s[si]) match = true;
          pi++;
        } else if (pi + 2 < p.length && p[pi + 1] === '-') {
          let lo = p.charCodeAt(pi);
          let hi = p.charCodeAt(pi + 2);
          if (lo > hi) [lo, hi] = [hi, lo];
          const c = s.charCodeAt(si);
          if (c >= lo && c <= hi) match = true;
          pi += 3;
        } else {
          if (p[pi] === s[si]) match = true;
          pi++;
        }
      }
      if (not) match = !match;
      if (!match) return false;
      pi++;
      si++;
      continue;
    }
    if (ch === '\\' && pi + 1 < p.length) pi++;
    if (p[pi] !== s[si]) return false;
    pi++;
    si++;
  }
  return si === s.length;
}

/** The zset in `o`: undefined when absent, null after replying WRONGTYPE. */
function zsetOf(c: Client, o: RObject | undefined): ZSet | undefined | null {
  if (o === undefined) return undefined;
  if (o.type !== ObjType.ZSet) {
    c.error(ERR_WRONGTYPE);
    return null;
  }
  return o.value as ZSet;
}

/** The zset under `key` for reading (lookupRead): undefined when absent; null after replying WRONGTYPE. Used by zsets and GEO. */
export function readZset(c: Client, key: string): ZSet | undefined | null {
  return zsetOf(c, c.db.lookupRead(key));
}

/** As readZset, with write lookup semantics (lookupWrite). */
export function writeZset(c: Client, key: string): ZSet | undefined | null {
  return zsetOf(c, c.db.lookupWrite(key));
}
