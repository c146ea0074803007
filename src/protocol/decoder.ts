/**
 * RESP2/RESP3 reply decoder: bytes from a server into a tagged tree.
 *
 * Used by tests, the command-metadata generator and (later) replication. Every RESP3 type keeps
 * its identity so trees can be compared and re-encoded exactly:
 *   bulk string → string (latin1)      simple string → {t:'+', v}     error → {t:'-', v}
 *   integer → number (bigint past 2^53) null bulk/array → null        double → {t:',', v}
 *   array → RespNode[]                  set → {t:'~', v: RespNode[]}  map → {t:'%', v: RespNode[] (k,v,k,v)}
 *   push → {t:'>', v}  boolean → {t:'#', v}  verbatim → {t:'=', v}  big number → {t:'(', v}
 *   RESP3 null `_` → {t:'_'}
 */
export type RespNode =
  | string
  | number
  | bigint
  | null
  | RespNode[]
  | { t: '+' | '-' | ',' | '=' | '(' | '#'; v: string }
  | { t: '~' | '%' | '>' | '|'; v: RespNode[] }
  | { t: '_' };

/** Result of decoding one reply: the node and the offset just past it, or null if incomplete. */
export interface Decoded {
  node: RespNode;
  end: number;
}

/** Decodes one reply starting at `pos`. @returns null if `buf` does not hold a whole reply yet. */
export function decodeReply(buf: Buffer, pos = 0): Decoded | null {
  if (pos >= buf.length) return null;
  const nl = buf.indexOf('\r\n', pos, 'latin1');
  if (nl < 0) return null;
  const type = String.fromCharCode(buf[pos]);
  const line = buf.toString('latin1', pos + 1, nl);
  let p = nl + 2;
  switch (type) {
    case '+':
    case '-':
    case ',':
    case '(':
    case '#':
      return { node: { t: type, v: line }, end: p };
    case ':': {
      const n = BigInt(line);
      return { node: n >= -(2n ** 53n) && n <= 2n ** 53n ? Number(n) : n, end: p };
    }
    case '_':
      return { node: { t: '_' }, end: p };
    case '$':
    case '=':
    case '!': {
      const len = Number(line);
      if (len < 0) return { node: null, end: p };
      if (p + len + 2 > buf.length) return null;
      const s = buf.toString('latin1', p, p + len);
      p += len + 2;
      return { node: type === '$' ? s : { t: type === '!' ? '-' : '=', v: s }, end: p };
    }
    case '*':
    case '~':
    case '%':
    case '>':
    case '|': {
      let n = Number(line);
      if (n < 0) return { node: null, end: p };
      if (type === '%' || type === '|') n *= 2;
      const items: RespNode[] = [];
      for (let i = 0; i < n; i++) {
        const d = decodeReply(buf, p);
        if (d === null) return null;
        items.push(d.node);
        p = d.end;
      }
      if (type === '|') {
        // An attribute precedes the real reply; keep the reply only.
        const d = decodeReply(buf, p);
        if (d === null) return null;
        return d;
      }
      return { node: type === '*' ? items : { t: type, v: items }, end: p };
    }
    default:
      throw new Error(`RESP decode: unexpected type byte ${JSON.stringify(type)} at ${pos}`);
  }
}

/** Decodes every whole reply in `buf`. @returns the replies and the number of bytes consumed. */
export function decodeAll(buf: Buffer): { replies: RespNode[]; end: number } {
  const replies: RespNode[] = [];
  let p = 0;
  for (;;) {
    const d = decodeReply(buf, p);
    if (d === null) break;
    replies.push(d.node);
    p = d.end;
  }
  return { replies, end: p };
}
