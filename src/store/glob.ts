/**
 * Glob-style pattern matching exactly as Redis's `stringmatchlen` (KEYS, SCAN MATCH, PSUBSCRIBE,
 * CONFIG GET, ...): `*` any run of bytes, `?` one byte, `[abc]` / `[^abc]` / `[a-z]` classes,
 * `\x` a literal x. Patterns and subjects are latin1 strings (one char per byte); byte
 * comparisons in ranges use C's signed `char`, as Redis does.
 * Source: Redis 7.0 util.c stringmatchlen_impl (with the nesting limit and the
 * skip-longer-matches pruning of CVE-2022-36021).
 */

/** Set when a `*` found no match for the rest of the pattern anywhere: longer matches cannot help. */
let skipLonger = false;

/** C's `tolower` in the C locale, on a byte. */
function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** A byte as C's signed char (for range comparisons, where Redis reads `char`s into ints). */
function signed(c: number): number {
  return c >= 128 ? c - 256 : c;
}

function matchImpl(p: string, pi: number, s: string, si: number, nocase: boolean, nesting: number): boolean {
  if (nesting > 1000) return false;
  const pend = p.length;
  const send = s.length;
  while (pi < pend && si < send) {
    const pc = p.charCodeAt(pi);
    switch (pc) {
      case 42: {
        // '*'
        while (pi + 1 < pend && p.charCodeAt(pi + 1) === 42) pi++;
        if (pi + 1 === pend) return true;
        while (si < send) {
          if (matchImpl(p, pi + 1, s, si, nocase, nesting + 1)) return true;
          if (skipLonger) return false;
          si++;
        }
        skipLonger = true;
        return false;
      }
      case 63: // '?'
        si++;
        break;
      case 91: {
        // '['
        pi++;
        const not = pi < pend && p.charCodeAt(pi) === 94;
        if (not) pi++;
        let match = false;
        const sc = s.charCodeAt(si);
        for (;;) {
          const rem = pend - pi;
          const c0 = rem > 0 ? p.charCodeAt(pi) : 0;
          if (c0 === 92 && rem >= 2) {
            pi++;
            if (p.charCodeAt(pi) === sc) match = true;
          } else if (rem > 0 && c0 === 93) {
            break;
          } else if (rem === 0) {
            pi--;
            break;
          } else if (rem >= 3 && p.charCodeAt(pi + 1) === 45) {
            let start = signed(c0);
            let end = signed(p.charCodeAt(pi + 2));
            let c = signed(sc);
            if (start > end) {
              const t = start;
              start = end;
              end = t;
            }
            if (nocase) {
              start = lower(start);
              end = lower(end);
              c = lower(c);
            }
            pi += 2;
            if (c >= start && c <= end) match = true;
          } else if (!nocase) {
            if (c0 === sc) match = true;
          } else if (lower(c0) === lower(sc)) {
            match = true;
          }
          pi++;
        }
        if (not) match = !match;
        if (!match) return false;
        si++;
        break;
      }
      default: {
        let lit = pc;
        if (pc === 92 && pend - pi >= 2) {
          // '\\' escapes the next byte
          pi++;
          lit = p.charCodeAt(pi);
        }
        const sc = s.charCodeAt(si);
        if (nocase ? lower(lit) !== lower(sc) : lit !== sc) return false;
        si++;
        break;
      }
    }
    pi++;
    if (si === send) {
      while (pi < pend && p.charCodeAt(pi) === 42) pi++;
      break;
    }
  }
  return pi === pend && si === send;
}

/**
 * Whether `s` matches the glob `pattern` (Redis stringmatchlen). `nocase` folds ASCII letters.
 * Fast path: the pattern `*` matches any non-empty string without scanning (as in Redis, the
 * empty string matches no pattern that needs a byte, not even `*`).
 */
export function globMatch(pattern: string, s: string, nocase = false): boolean {
  if (pattern.length === 1 && pattern.charCodeAt(0) === 42) return s.length > 0;
  skipLonger = false;
  return matchImpl(pattern, 0, s, 0, nocase, 0);
}
