/**
 * Redis's string2ll (util.c): the one integer syntax of the protocol, shared by the store (intset
 * and integer encodings) and the command argument parsers (src/commands/args.ts re-exports it).
 */
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Parses a signed 64-bit integer as Redis's string2ll.
 * @returns a number when it is a safe integer, a bigint when it is beyond 2^53 but within int64,
 *   or null when malformed or out of range.
 */
export function parseInt64(s: string): number | bigint | null {
  const len = s.length;
  if (len === 0 || len > 20) return null;
  let i = 0;
  const neg = s.charCodeAt(0) === 45;
  if (neg) {
    i = 1;
    if (len === 1) return null;
  }
  const first = s.charCodeAt(i);
  if (first === 48) return len === 1 ? 0 : null; // "0" only; "-0", "01" are invalid
  if (first < 49 || first > 57) return null;
  if (len - i <= 15) {
    let n = 0;
    for (; i < len; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return null;
      n = n * 10 + d;
    }
    return neg ? -n : n;
  }
  for (let j = i; j < len; j++) {
    const d = s.charCodeAt(j) - 48;
    if (d < 0 || d > 9) return null;
  }
  const b = BigInt(s);
  if (b < INT64_MIN || b > INT64_MAX) return null;
  return Number.isSafeInteger(Number(b)) ? Number(b) : b;
}

/**
 * parseInt64 over the bytes `buf[start, end)` (a value kept inline in the keyspace table), without
 * making a string: same syntax and results.
 */
export function parseInt64Bytes(buf: Uint8Array, start: number, end: number): number | bigint | null {
  const len = end - start;
  if (len === 0 || len > 20) return null;
  let i = start;
  const neg = buf[i] === 45;
  if (neg) {
    i++;
    if (len === 1) return null;
  }
  const first = buf[i];
  if (first === 48) return len === 1 ? 0 : null; // "0" only; "-0", "01" are invalid
  if (first < 49 || first > 57) return null;
  if (end - i > 15) return parseInt64(String.fromCharCode(...buf.subarray(start, end)));
  let n = 0;
  for (; i < end; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  return neg ? -n : n;
}
