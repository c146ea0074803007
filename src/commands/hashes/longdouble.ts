/**
 * Exact emulation of the x87 80-bit `long double` arithmetic Redis uses for HINCRBYFLOAT (and
 * INCRBYFLOAT): strtold parsing (round to nearest, 64-bit significand), one addition, and
 * `%.17Lf` formatting with trailing zeros trimmed (Redis util.c ld2string LD_STR_HUMAN).
 * Values are sign * m * 2^e with m a bigint below 2^64. Hex floats are not accepted.
 * Source: Redis 7.0 t_hash.c hincrbyfloatCommand, util.c string2ld/ld2string.
 */

interface LD {
  neg: boolean;
  m: bigint;
  e: number;
}

const TWO64 = 1n << 64n;
const MAX_EXP = 16384; // values ≥ 2^16384 overflow long double
const DEC_RE = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const INF_RE = /^[+-]?inf(inity)?$/i;

function bitlen(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/** Rounds a non-negative integer x·2^e to a 64-bit significand (half to even). */
function round64(neg: boolean, x: bigint, e: number): LD {
  const bl = bitlen(x);
  if (bl <= 64) return { neg, m: x, e };
  let shift = BigInt(bl - 64);
  let q = x >> shift;
  const rem = x & ((1n << shift) - 1n);
  const half = 1n << (shift - 1n);
  if (rem > half || (rem === half && (q & 1n) === 1n)) q++;
  if (q === TWO64) {
    q >>= 1n;
    shift++;
  }
  return { neg, m: q, e: e + Number(shift) };
}

/** strtold of a decimal string; null when Redis's string2ld rejects it; 'inf' for infinities. */
function parseLD(s: string): LD | 'inf' | null {
  if (s.length === 0 || s.length > 5 * 1024) return null;
  const mt = DEC_RE.exec(s);
  if (mt === null) return INF_RE.test(s) ? 'inf' : null;
  const intp = mt[2] ?? '';
  const frac = mt[3] ?? '';
  if (intp.length + frac.length === 0) return null;
  const neg = mt[1] === '-';
  let d = BigInt(intp + frac || '0');
  const e10 = (mt[4] ? Number(mt[4]) : 0) - frac.length;
  if (d === 0n) return { neg, m: 0n, e: 0 };
  if (e10 > 5000) return null;
  if (e10 < -6000) return null;
  let num = d;
  let den = 1n;
  if (e10 >= 0) num = d * 10n ** BigInt(e10);
  else den = 10n ** BigInt(-e10);
  // scale so that num·2^k / den has ≥ 66 bits, then round
  let k = 66 - (bitlen(num) - bitlen(den));
  if (k > 0) num <<= BigInt(k);
  else if (k < 0) den <<= BigInt(-k);
  const q = num / den;
  const r = num % den;
  d = (q << 1n) | (r !== 0n ? 1n : 0n); // sticky bit
  k += 1;
  const v = round64(neg, d, -k);
  if (v.e + bitlen(v.m) > MAX_EXP) return null; // ERANGE overflow
  if (v.e + bitlen(v.m) < -16445) return null; // ERANGE underflow
  return v;
}

function addLD(a: LD, b: LD): LD | 'inf' {
  const emin = Math.min(a.e, b.e);
  const A = (a.m << BigInt(a.e - emin)) * (a.neg ? -1n : 1n);
  const B = (b.m << BigInt(b.e - emin)) * (b.neg ? -1n : 1n);
  let s = A + B;
  if (s === 0n) return { neg: a.neg && b.neg, m: 0n, e: 0 };
  const neg = s < 0n;
  if (neg) s = -s;
  const v = round64(neg, s, emin);
  if (v.e + bitlen(v.m) > MAX_EXP) return 'inf';
  return v;
}

const E17 = 10n ** 17n;

/** `%.17Lf` with trailing zeros (and a bare '.') removed; "-0" becomes "0". */
function formatLD(v: LD): string {
  let digits: bigint;
  if (v.e >= 0) digits = (v.m << BigInt(v.e)) * E17;
  else {
    const f = BigInt(-v.e);
    const n = v.m * E17;
    digits = n >> f;
    const rem = n & ((1n << f) - 1n);
    const half = 1n << (f - 1n);
    if (rem > half || (rem === half && (digits & 1n) === 1n)) digits++;
  }
  let s = digits.toString().padStart(18, '0');
  const ip = s.slice(0, s.length - 17);
  const fp = s.slice(s.length - 17).replace(/0+$/, '');
  s = fp.length ? `${ip}.${fp}` : ip;
  if (v.neg && s !== '0') s = `-${s}`;
  return s;
}

/**
 * `cur + incr` as Redis computes it in long double, formatted as Redis replies/stores it.
 * @returns the string, null if either operand is not a valid float, 'inf' if the result (or an
 *   operand) is infinite.
 */
export function ldAddFormat(cur: string, incr: string): string | 'inf' | null {
  const a = parseLD(cur);
  const b = parseLD(incr);
  if (a === null || b === null) return null;
  if (a === 'inf' || b === 'inf') return 'inf';
  const r = addLD(a, b);
  if (r === 'inf') return 'inf';
  return formatLD(r);
}
