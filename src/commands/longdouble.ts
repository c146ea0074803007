/**
 * Exact emulation of the x86-64 80-bit `long double` arithmetic INCRBYFLOAT relies on.
 *
 * Redis 7.0 parses both operands with `strtold`, adds them as long doubles (64-bit significand,
 * round to nearest even) and prints the sum with `%.17Lf`, then strips trailing zeros
 * (util.c string2ld / ld2string LD_STR_HUMAN). Doubles give different digits (10.5 + 0.1 prints
 * 10.59999999999999964 with doubles, 10.6 with long doubles), so the significand is kept in a
 * bigint and every rounding step is done exactly.
 * Denormals are treated as normal numbers (only values below 1e-4931 are affected).
 */

/** A finite long double: (-1)^neg × m × 2^e, with m either 0n or exactly 64 bits wide. */
export interface LongDouble {
  neg: boolean;
  m: bigint;
  e: number;
}

/** What string2ld yields: a finite value, an infinity (still a valid float), or null (invalid). */
export type ParsedLongDouble = LongDouble | 'inf' | null;

const BITS = 64;
const TOP = 1n << 64n;
/** Largest binary exponent of a finite long double (values are below 2^16384). */
const MAX_EXP = 16384;
/** Smallest positive denormal is 2^-16445. */
const MIN_EXP = -16445;
/** Redis MAX_LONG_DOUBLE_CHARS: longer inputs are rejected. */
const MAX_CHARS = 5 * 1024;

const ZERO: LongDouble = { neg: false, m: 0n, e: 0 };

/** Number of bits of a positive bigint (0 for 0n). */
function bitLength(n: bigint): number {
  if (n === 0n) return 0;
  const hex = n.toString(16);
  return (hex.length - 1) * 4 + (32 - Math.clz32(Number.parseInt(hex[0], 16)));
}

/**
 * Rounds (-1)^neg × n × 2^e (plus a nonzero tail below n's last bit when `sticky`) to a 64-bit
 * significand, ties to even. @returns the value, or 'inf' when it overflows the exponent range.
 */
function round(neg: boolean, n: bigint, e: number, sticky: boolean): LongDouble | 'inf' {
  if (n === 0n) return { neg, m: 0n, e: 0 };
  const bl = bitLength(n);
  if (bl > BITS) {
    const shift = bl - BITS;
    const sh = BigInt(shift);
    let q = n >> sh;
    const rem = n - (q << sh);
    const half = 1n << (sh - 1n);
    if (rem > half || (rem === half && (sticky || (q & 1n) === 1n))) q += 1n;
    e += shift;
    if (q === TOP) {
      q >>= 1n;
      e += 1;
    }
    n = q;
  } else if (bl < BITS) {
    n <<= BigInt(BITS - bl);
    e -= BITS - bl;
  }
  if (e + BITS > MAX_EXP) return 'inf';
  return { neg, m: n, e };
}

function isDigit(ch: number): boolean {
  return ch >= 48 && ch <= 57;
}

function hexVal(ch: number): number {
  if (ch >= 48 && ch <= 57) return ch - 48;
  const l = ch | 32;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/**
 * Parses a float as Redis's string2ld (strtold in the C locale): optional sign, decimal or hex
 * (`0x1.8p3`) notation, `inf`/`infinity`; no leading space, no trailing garbage, no NaN, and no
 * out-of-range values (overflow, or underflow to zero). A NUL byte makes it invalid: strtold
 * stops there and string2ld then finds the parsed length short of the string's.
 */
export function parseLongDouble(s: string): ParsedLongDouble {
  if (s.length === 0 || s.length >= MAX_CHARS) return null;
  if (s.indexOf('\0') !== -1) return null;
  const len = s.length;
  let i = 0;
  let neg = false;
  const c0 = s.charCodeAt(0);
  if (c0 === 43 || c0 === 45) {
    neg = c0 === 45;
    i = 1;
  }
  if (i >= len) return null;
  const rest = s.slice(i).toLowerCase();
  if (rest === 'inf' || rest === 'infinity') return 'inf';
  if (rest.charCodeAt(0) === 48 && rest.charCodeAt(1) === 120 && i + 2 < len) {
    const r = parseHex(neg, s, i + 2);
    if (r !== undefined) return r;
    return null;
  }
  // Decimal: digits [. digits] [e [sign] digits]
  let digits = '';
  let fracDigits = 0;
  let any = false;
  for (; i < len && isDigit(s.charCodeAt(i)); i++) {
    digits += s[i];
    any = true;
  }
  if (i < len && s.charCodeAt(i) === 46) {
    i++;
    for (; i < len && isDigit(s.charCodeAt(i)); i++) {
      digits += s[i];
      fracDigits++;
      any = true;
    }
  }
  if (!any) return null;
  let exp = 0;
  if (i < len && (s.charCodeAt(i) | 32) === 101) {
    let j = i + 1;
    let eneg = false;
    if (j < len && (s.charCodeAt(j) === 43 || s.charCodeAt(j) === 45)) {
      eneg = s.charCodeAt(j) === 45;
      j++;
    }
    if (j >= len || !isDigit(s.charCodeAt(j))) return null;
    let ev = 0;
    for (; j < len && isDigit(s.charCodeAt(j)); j++) {
      if (ev < 1e9) ev = ev * 10 + (s.charCodeAt(j) - 48);
    }
    exp = eneg ? -ev : ev;
    i = j;
  }
  if (i !== len) return null;
  // Normalise the digit string: strip leading zeros, fold trailing zeros into the exponent.
  let a = 0;
  while (a < digits.length && digits.charCodeAt(a) === 48) a++;
  let b = digits.length;
  while (b > a && digits.charCodeAt(b - 1) === 48) b--;
  if (a === b) return { neg, m: 0n, e: 0 };
  const sig = digits.slice(a, b);
  const e10 = exp - fracDigits + (digits.length - b);
  const magnitude = e10 + sig.length; // value is in [10^(magnitude-1), 10^magnitude)
  if (magnitude > 4934) return null; // above LDBL_MAX (1.19e4932): ERANGE
  if (magnitude < -4952) return null; // below the smallest denormal: ERANGE, zero
  const d = BigInt(sig);
  let r: LongDouble | 'inf';
  if (e10 >= 0) {
    r = round(neg, d * 10n ** BigInt(e10), 0, false);
  } else {
    const den = 10n ** BigInt(-e10);
    // Scale so the quotient has at least 66 significant bits.
    const k = Math.max(0, bitLength(den) - bitLength(d) + BITS + 2);
    const num = d << BigInt(k);
    const q = num / den;
    r = round(neg, q, -k, q * den !== num);
  }
  if (r === 'inf') return null;
  if (r.e + BITS <= MIN_EXP) return null;
  return r;
}

/** Parses the hex part after `0x` (position i). @returns undefined when there is no hex digit. */
function parseHex(neg: boolean, s: string, i: number): ParsedLongDouble | undefined {
  const len = s.length;
  let mant = 0n;
  let any = false;
  let fracBits = 0;
  for (; i < len && hexVal(s.charCodeAt(i)) >= 0; i++) {
    mant = (mant << 4n) | BigInt(hexVal(s.charCodeAt(i)));
    any = true;
  }
  if (i < len && s.charCodeAt(i) === 46) {
    i++;
    for (; i < len && hexVal(s.charCodeAt(i)) >= 0; i++) {
      mant = (mant << 4n) | BigInt(hexVal(s.charCodeAt(i)));
      fracBits += 4;
      any = true;
    }
  }
  if (!any) return undefined;
  let exp = 0;
  if (i < len && (s.charCodeAt(i) | 32) === 112) {
    let j = i + 1;
    let eneg = false;
    if (j < len && (s.charCodeAt(j) === 43 || s.charCodeAt(j) === 45)) {
      eneg = s.charCodeAt(j) === 45;
      j++;
    }
    if (j < len && isDigit(s.charCodeAt(j))) {
      let ev = 0;
      for (; j < len && isDigit(s.charCodeAt(j)); j++) {
        if (ev < 1e9) ev = ev * 10 + (s.charCodeAt(j) - 48);
      }
      exp = eneg ? -ev : ev;
      i = j;
    }
  }
  if (i !== len) return null;
  if (mant === 0n) return { neg, m: 0n, e: 0 };
  const e2 = exp - fracBits;
  const top = e2 + bitLength(mant);
  if (top > MAX_EXP + 1) return null;
  if (top <= MIN_EXP) return null;
  const r = round(neg, mant, e2, false);
  if (r === 'inf' || r.e + BITS <= MIN_EXP) return null;
  return r;
}

/** Long double addition with one rounding (ties to even). @returns 'inf' on overflow. */
export function addLongDouble(x: LongDouble, y: LongDouble): LongDouble | 'inf' {
  if (x.m === 0n) return y.m === 0n ? { neg: x.neg && y.neg, m: 0n, e: 0 } : y;
  if (y.m === 0n) return x;
  const e = Math.min(x.e, y.e);
  let a = x.m << BigInt(x.e - e);
  let b = y.m << BigInt(y.e - e);
  if (x.neg) a = -a;
  if (y.neg) b = -b;
  const sum = a + b;
  if (sum === 0n) return ZERO;
  return sum < 0n ? round(true, -sum, e, false) : round(false, sum, e, false);
}

const SCALE = 10n ** 17n;

/**
 * Formats as Redis's ld2string LD_STR_HUMAN: `%.17Lf` (exact, ties to even), then trailing zeros
 * and a trailing dot removed, and "-0" turned into "0".
 */
export function formatLongDouble(x: LongDouble): string {
  let q: bigint;
  if (x.e >= 0) {
    q = (x.m << BigInt(x.e)) * SCALE;
  } else {
    const sh = BigInt(-x.e);
    const num = x.m * SCALE;
    q = num >> sh;
    const r2 = (num - (q << sh)) << 1n;
    const den = 1n << sh;
    if (r2 > den || (r2 === den && (q & 1n) === 1n)) q += 1n;
  }
  let digits = q.toString();
  if (digits.length < 18) digits = '0'.repeat(18 - digits.length) + digits;
  const intPart = digits.slice(0, digits.length - 17);
  let frac = digits.slice(digits.length - 17);
  let end = frac.length;
  while (end > 0 && frac.charCodeAt(end - 1) === 48) end--;
  frac = frac.slice(0, end);
  let out = frac.length === 0 ? intPart : `${intPart}.${frac}`;
  if (x.neg) out = `-${out}`;
  return out === '-0' ? '0' : out;
}

/**
 * `cur + incr` as Redis computes it in long double (HINCRBYFLOAT), formatted as Redis stores it.
 * @returns the string, null if either operand is not a valid float, 'inf' if the result (or an
 *   operand) is infinite.
 */
export function ldAddFormat(cur: string, incr: string): string | 'inf' | null {
  const a = parseLongDouble(cur);
  const b = parseLongDouble(incr);
  if (a === null || b === null) return null;
  if (a === 'inf' || b === 'inf') return 'inf';
  const r = addLongDouble(a, b);
  return r === 'inf' ? 'inf' : formatLongDouble(r);
}
