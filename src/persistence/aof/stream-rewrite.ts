/**
 * AOF rewrite of a stream as commands (Redis 7.0 aof.c rewriteStreamObject), for a command-form
 * AOF base (aof-use-rdb-preamble no) and anything else that needs a stream as a command list:
 *
 *   XADD key <id> f v ...                            per entry, in ID order
 *   XADD key MAXLEN 0 0-1 x y                        instead, when the stream is empty
 *   XSETID key <last-id> ENTRIESADDED <n> MAXDELETEDID <id>
 *   per group (by name bytes):
 *     XGROUP CREATE key <group> <last-id> ENTRIESREAD <n>
 *     per consumer (by name bytes): XGROUP CREATECONSUMER key <group> <consumer> when its PEL is
 *     empty, else per pending entry
 *     XCLAIM key <group> <consumer> 0 <id> TIME <delivery-ms> RETRYCOUNT <count> JUSTID FORCE
 *
 * Consumers' seen-times are not part of the rewrite (Redis does not write them either).
 */
import type { Stream, StreamId } from '../../store/stream.js';

const idArg = (id: StreamId) => `${id.ms}-${id.seq}`;

function byName<T>(m: Map<string, T>): [string, T][] {
  return [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/**
 * The commands that rebuild stream `s` under `key` (latin1 strings), in Redis's order.
 * @returns argv arrays; the caller frames them as RESP.
 */
export function rewriteStreamObject(key: string, s: Stream): string[][] {
  const out: string[][] = [];
  if (s.length > 0) {
    for (const [id, fields] of s.entries()) out.push(['XADD', key, idArg(id), ...fields]);
  } else {
    out.push(['XADD', key, 'MAXLEN', '0', '0-1', 'x', 'y']);
  }
  out.push(['XSETID', key, idArg(s.lastId), 'ENTRIESADDED', String(s.entriesAdded), 'MAXDELETEDID', idArg(s.maxDeletedId)]);
  for (const [name, g] of byName(s.groups)) {
    out.push(['XGROUP', 'CREATE', key, name, idArg(g.lastId), 'ENTRIESREAD', String(g.entriesRead)]);
    for (const [cname, c] of byName(g.consumers)) {
      let any = false;
      for (const n of c.pelEntries()) {
        any = true;
        out.push([
          'XCLAIM',
          key,
          name,
          cname,
          '0',
          idArg(n.id),
          'TIME',
          String(n.deliveryTime),
          'RETRYCOUNT',
          String(n.deliveryCount),
          'JUSTID',
          'FORCE',
        ]);
      }
      if (!any) out.push(['XGROUP', 'CREATECONSUMER', key, name, cname]);
    }
  }
  return out;
}
