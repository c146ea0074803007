/**
 * notify-keyspace-events: the class letters as flag bits, parsed and formatted as Redis 7.0
 * notify.c does (keyspaceEventsStringToFlags, keyspaceEventsFlagsToString), so CONFIG SET refuses
 * an unknown letter and CONFIG GET answers the canonical form (`KA` reads back as `AK`).
 * Used by the config table and by the pub/sub module that publishes the events.
 */
/** notify-keyspace-events class bits (Redis NOTIFY_*). */
export const NOTIFY: Record<string, number> = {
  K: 1 << 0,
  E: 1 << 1,
  g: 1 << 2,
  $: 1 << 3,
  l: 1 << 4,
  s: 1 << 5,
  h: 1 << 6,
  z: 1 << 7,
  x: 1 << 8,
  e: 1 << 9,
  t: 1 << 10,
  m: 1 << 11,
  d: 1 << 12,
  n: 1 << 13,
};
/** `A`: every class but m (key miss) and n (new key). */
export const NOTIFY_ALL = NOTIFY.g | NOTIFY.$ | NOTIFY.l | NOTIFY.s | NOTIFY.h | NOTIFY.z | NOTIFY.x | NOTIFY.e | NOTIFY.t | NOTIFY.d;

/**
 * Parses a notify-keyspace-events string (Redis keyspaceEventsStringToFlags).
 * @returns the bitmask, or -1 for an unknown class letter.
 */
export function parseNotifyFlags(s: string): number {
  let flags = 0;
  for (const ch of s) {
    if (ch === 'A') flags |= NOTIFY_ALL;
    else if (NOTIFY[ch] !== undefined) flags |= NOTIFY[ch];
    else return -1;
  }
  return flags;
}

/**
 * Formats flags as Redis's keyspaceEventsFlagsToString (CONFIG GET notify-keyspace-events). As in
 * Redis, `n` is not shown next to `A` (the class stays enabled: the set value is what counts).
 */
export function formatNotifyFlags(flags: number): string {
  let res = '';
  if ((flags & NOTIFY_ALL) === NOTIFY_ALL) res = 'A';
  else for (const ch of 'g$lshzxetdn') if (flags & NOTIFY[ch]) res += ch;
  if (flags & NOTIFY.K) res += 'K';
  if (flags & NOTIFY.E) res += 'E';
  if (flags & NOTIFY.m) res += 'm';
  return res;
}
