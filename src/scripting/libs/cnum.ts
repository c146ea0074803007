/**
 * C number text conversions the Lua libraries rely on: printf's "%.<p>g" (glibc output, including
 * round-half-even on exact decimal ties, "inf"/"-inf"/"nan"/"-nan", "-0") and strtod's accepted
 * syntax (decimal, hexadecimal with optional binary exponent, inf/infinity, nan/nan(chars)).
 */

/** Rounds the decimal digit string `digits` (no dot) to `p` digits, half-even on exact ties. */
function roundDigits(digits: string, p: number): { d: string; carry: boolean } {
  if (digits.length <= p) return { d: digits.padEnd(p, '0'), carry: false };
  const head = digits.slice(0, p);
  const next = digits.charCodeAt(p) - 48;
  const rest = digits.slice(p + 1);
  let up: boolean;
  if (next > 5) up = true;
  else if (next < 5) up = false;
  else if (/[1-9]/.test(rest)) up = true;
  else up = (head.charCodeAt(p - 1) - 48) % 2 === 1;
  if (!up) return { d: head, carry: false };
  const arr = head.split('').map((c) => c.charCodeAt(0) - 48);
  let i = p - 1;
  while (i >= 0) {
    if (arr[i] === 9) {
      arr[i] = 0;
      i--;
    } else {
      arr[i]++;
      break;
    }
  }
  if (i < 0) return { d: `1${arr.join('')}`.slice(0, p), carry: true };
  return { d: arr.join(''), carry: false };
}

/**
 * sprintf("%.<prec>g", x) as glibc prints it (prec 1..17 typical; 0 means 1).
 * The exact decimal expansion comes from toExponential(100) rounded here, so ties round to even
 * as glibc does, rather than JS's round-half-up.
 */
export function formatG(x: number, prec: number): string {
  if (Number.isNaN(x)) return nanText(x);
  if (x === Number.POSITIVE_INFINITY) return 'inf';
  if (x === Number.NEGATIVE_INFINITY) return '-inf';
  const p = prec === 0 ? 1 : prec;
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  // Integers with at most p digits print as themselves.
  if (Number.isInteger(x) && Math.abs(x) < 10 ** p && Math.abs(x) <= Number.MAX_SAFE_INTEGER) return String(x);
  const neg = x < 0;
  const ax = Math.abs(x);
  // toExponential(100) is exact up to 101 significant digits; longer expansions cannot be exact
  // ties at p <= 17 digits unless their tail is nonzero, which the regex test below sees as "up".
  const e100 = ax.toExponential(100);
  const ei = e100.indexOf('e');
  let exp = Number.parseInt(e100.slice(ei + 1), 10);
  const digits = e100[0] + e100.slice(2, ei);
  const r = roundDigits(digits, p);
  if (r.carry) exp++;
  let out: string;
  if (exp < -4 || exp >= p) {
    let mant = r.d[0];
    const frac = r.d.slice(1).replace(/0+$/, '');
    if (frac) mant += `.${frac}`;
    const ae = Math.abs(exp);
    out = `${mant}e${exp < 0 ? '-' : '+'}${ae < 10 ? `0${ae}` : ae}`;
  } else if (exp >= 0) {
    const intPart = r.d.slice(0, exp + 1);
    const frac = r.d.slice(exp + 1).replace(/0+$/, '');
    out = frac ? `${intPart}.${frac}` : intPart;
  } else {
    const frac = `${'0'.repeat(-exp - 1)}${r.d}`.replace(/0+$/, '');
    out = `0.${frac}`;
  }
  return neg ? `-${out}` : out;
}

const nanBuf = new Float64Array(1);
const nanBytes = new Uint8Array(nanBuf.buffer);

/** glibc prints a NaN with its sign bit: "nan" or "-nan". */
function nanText(x: number): string {
  nanBuf[0] = x;
  return nanBytes[7] & 0x80 ? '-nan' : 'nan';
}

/**
 * strtod(s + start): @returns the value and the index just past the text it consumed
 * (end === start when nothing converts). Leading whitespace is skipped as strtod does.
 */
export function strtod(s: string, start: number): { value: number; end: number } {
  let i = start;
  while (i < s.length && ' \t\n\v\f\r'.includes(s[i])) i++;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') {
    neg = s[i] === '-';
    i++;
  }
  const sign = (v: number) => (neg ? -v : v);
  const lower = s.slice(i, i + 8).toLowerCase();
  if (lower.startsWith('inf')) {
    return { value: sign(Number.POSITIVE_INFINITY), end: i + (lower.startsWith('infinity') ? 8 : 3) };
  }
  if (lower.startsWith('nan')) {
    let j = i + 3;
    if (s[j] === '(') {
      let k = j + 1;
      while (k < s.length && /[0-9A-Za-z_]/.test(s[k])) k++;
      if (s[k] === ')') j = k + 1;
    }
    return { value: neg ? -Number.NaN : Number.NaN, end: j };
  }
  if (s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X')) {
    let j = i + 2;
    let mant = 0n;
    let nd = 0;
    let scale = 0;
    const isHex = (c: string | undefined) => c !== undefined && /[0-9A-Fa-f]/.test(c);
    while (isHex(s[j])) {
      mant = mant * 16n + BigInt(Number.parseInt(s[j], 16));
      j++;
      nd++;
    }
    if (s[j] === '.') {
      let k = j + 1;
      let fd = 0;
      while (isHex(s[k])) {
        mant = mant * 16n + BigInt(Number.parseInt(s[k], 16));
        k++;
        fd++;
      }
      if (nd + fd > 0) {
        j = k;
        scale -= 4 * fd;
        nd += fd;
      }
    }
    if (nd === 0) return { value: sign(0), end: i + 1 }; // "0x" with no digits: the "0"
    if (s[j] === 'p' || s[j] === 'P') {
      let k = j + 1;
      let eneg = false;
      if (s[k] === '+' || s[k] === '-') {
        eneg = s[k] === '-';
        k++;
      }
      if (k < s.length && s[k] >= '0' && s[k] <= '9') {
        let e = 0;
        while (k < s.length && s[k] >= '0' && s[k] <= '9') {
          e = Math.min(e * 10 + (s.charCodeAt(k) - 48), 100000);
          k++;
        }
        scale += eneg ? -e : e;
        j = k;
      }
    }
    return { value: sign(scaleBig(mant, scale)), end: j };
  }
  let j = i;
  let nd = 0;
  while (j < s.length && s[j] >= '0' && s[j] <= '9') {
    j++;
    nd++;
  }
  if (s[j] === '.') {
    let k = j + 1;
    let fd = 0;
    while (k < s.length && s[k] >= '0' && s[k] <= '9') {
      k++;
      fd++;
    }
    if (nd + fd > 0) {
      j = k;
      nd += fd;
    }
  }
  if (nd === 0) return { value: 0, end: start };
  if (s[j] === 'e' || s[j] === 'E') {
    let k = j + 1;
    if (s[k] === '+' || s[k] === '-') k++;
    if (k < s.length && s[k] >= '0' && s[k] <= '9') {
      while (k < s.length && s[k] >= '0' && s[k] <= '9') k++;
      j = k;
    }
  }
  // JS's Number() is a correctly rounded decimal conversion, as glibc's strtod.
  return { value: sign(Number(s.slice(i, j))), end: j };
}

/** mant * 2^scale, correctly rounded (via exact BigInt arithmetic for the common range). */
function scaleBig(mant: bigint, scale: number): number {
  if (mant === 0n) return 0;
  if (scale >= 0) {
    if (scale > 2000) return Number.POSITIVE_INFINITY;
    return Number(mant << BigInt(scale));
  }
  // Divide with enough extra precision; exact enough for the hex literals scripts use.
  return Number(mant) * 2 ** Math.max(scale, -1074) * (scale < -1074 ? 2 ** (scale + 1074) : 1);
}
