/**
 * Writes a decoded RESP tree (src/protocol/decoder.ts format) to a ReplyWriter, so metadata kept
 * as Redis sent it (COMMAND INFO/DOCS) is replayed exactly: RESP3 sets, maps, doubles, booleans
 * and verbatim strings degrade to RESP2 forms as Redis 7.0 does for a RESP2 client.
 */
import type { RespNode } from './decoder.js';
import type { ReplyWriter } from './reply.js';

/** Encodes `node` (and its children) to `w` in the writer's protocol version. */
export function writeNode(w: ReplyWriter, node: RespNode): void {
  if (typeof node === 'string') {
    w.bulk(node);
    return;
  }
  if (typeof node === 'number' || typeof node === 'bigint') {
    w.integer(node);
    return;
  }
  if (node === null) {
    w.nullBulk();
    return;
  }
  if (Array.isArray(node)) {
    w.arrayLen(node.length);
    for (const n of node) writeNode(w, n);
    return;
  }
  switch (node.t) {
    case '+':
      w.simple(node.v);
      return;
    case '-':
      w.error(node.v);
      return;
    case ',':
      if (w.resp === 3) w.raw(Buffer.from(`,${node.v}\r\n`, 'latin1'));
      else w.bulk(node.v);
      return;
    case '(':
      if (w.resp === 3) w.raw(Buffer.from(`(${node.v}\r\n`, 'latin1'));
      else w.bulk(node.v);
      return;
    case '#':
      w.bool(node.v === 't');
      return;
    case '=':
      w.verbatim(node.v.slice(4), node.v.slice(0, 3));
      return;
    case '_':
      w.nullBulk();
      return;
    case '~':
      w.setLen(node.v.length);
      for (const n of node.v) writeNode(w, n);
      return;
    case '%':
      w.mapLen(node.v.length / 2);
      for (const n of node.v) writeNode(w, n);
      return;
    case '>':
      w.pushLen(node.v.length);
      for (const n of node.v) writeNode(w, n);
      return;
    case '|':
      return;
  }
}

/** Looks up `key` in a RESP3 map node; undefined when absent or when `node` is not a map. */
export function mapGet(node: RespNode, key: string): RespNode | undefined {
  if (node === null || typeof node !== 'object' || Array.isArray(node) || node.t !== '%') return undefined;
  const v = node.v;
  for (let i = 0; i < v.length; i += 2) if (v[i] === key) return v[i + 1];
  return undefined;
}

/** The elements of a set or array node ([] otherwise). */
export function elements(node: RespNode | undefined): RespNode[] {
  if (Array.isArray(node)) return node;
  if (node !== null && typeof node === 'object' && 'v' in node && Array.isArray(node.v)) return node.v;
  return [];
}

/** Replies a help text as Redis's addReplyHelp: an array of status lines. */
export function replyHelp(w: ReplyWriter, lines: readonly string[]): void {
  w.arrayLen(lines.length);
  for (const l of lines) w.simple(l);
}
