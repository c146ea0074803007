/**
 * Server-assisted client-side caching (CLIENT TRACKING): the keys a tracking client reads are
 * remembered (key → client ids); a later change of the key (write, expiry, eviction) sends the
 * client an invalidation — a RESP3 `invalidate` push, or for a redirect target in RESP2 a
 * `__redis__:invalidate` pub/sub message. BCAST mode instead notifies every client registered for
 * a matching prefix; FLUSHALL/FLUSHDB send a null invalidation to every tracking client.
 * Invalidations are queued while a command runs and sent after its reply (Redis 7.0 defers those
 * of the current client the same way).
 * Also CLIENT REPLY ON|OFF|SKIP's reply suppression, applied after each command.
 * Source: Redis 7.0 tracking.c (enableTracking, trackingRememberKeys, trackingInvalidateKey,
 * sendTrackingMessage, trackingInvalidateKeysOnFlush, trackingBroadcastInvalidationMessages),
 * networking.c clientCommand (REPLY, TRACKING, CACHING, GETREDIR, TRACKINGINFO).
 */
import { getKeysFromSpecs } from './keySpecs.js';
import type { Command } from './command.js';
import { CmdFlag } from './command.js';
import type { Client } from './client.js';
import type { KeydraServer } from './server.js';

/** A client's tracking options (Redis CLIENT_TRACKING_* flags). */
export interface TrackingOptions {
  /** Client id invalidations go to; 0 = the client itself. */
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  /** BCAST prefixes ("" matches every key). */
  prefixes: string[];
  /** CLIENT CACHING YES/NO for the next command (null: not given). */
  caching: boolean | null;
  /** The redirect client is gone (reported once). */
  brokenRedir: boolean;
}

/** Per-server tracking state. */
class TrackingState {
  /** Tracking clients and their options. */
  readonly clients = new Map<Client, TrackingOptions>();
  /** Key → ids of the clients that may cache it (Redis TrackingTable). */
  readonly table = new Map<string, Set<number>>();
  /** BCAST prefix → clients registered for it. */
  readonly prefixes = new Map<string, Set<Client>>();
  /** Tracked keys invalidated since the last flush. */
  pending: string[] = [];
  /** Keys changed under BCAST prefixes, not yet attributed to a command's client. */
  bcastRaw: string[] = [];
  /** Keys for BCAST clients with the id of the client that changed them (0: none), sent after the batch. */
  bcastPending: { key: string; by: number }[] = [];
  flushPending = false;
  scheduled = false;
  /** CLIENT REPLY OFF/SKIP state per client. */
  readonly replyModes = new Map<Client, { off: boolean; skip: boolean; skipNext: boolean }>();
  /** tracking-table-max-keys (0: no limit), and how many runs in a row could not get under it. */
  maxKeys: number;
  private limitRuns = 0;

  constructor(readonly server: KeydraServer) {
    this.maxKeys = server.config.num('tracking-table-max-keys');
    server.config.onChange('tracking-table-max-keys', (v) => {
      this.maxKeys = v as number;
    });
    // Also when idle: a CONFIG SET lowering the limit takes effect without another command (serverCron).
    server.cronHooks.push(() => {
      if (this.clients.size !== 0) this.limitUsedSlots();
    });
    server.keyModifiedHooks.push((_db, key) => this.keyModified(key));
    server.clientFreeHooks.push((c) => {
      if (this.clients.has(c)) disableTracking(c);
      this.replyModes.delete(c);
    });
  }

  keyModified(key: string): void {
    if (this.clients.size === 0) return;
    if (this.table.has(key)) this.pending.push(key);
    if (this.prefixes.size !== 0) this.bcastRaw.push(key);
    if (this.pending.length + this.bcastRaw.length !== 0) this.schedule();
  }

  /** Sends queued work after the current batch of commands (Redis beforeSleep), e.g. BCAST messages. */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.flush(null);
      this.flushBcast();
      this.server.flushPendingWrites();
    });
  }

  /**
   * Sends the queued per-key invalidations (and a flush's null ones); `current` is the client
   * whose command caused them (NOLOOP). Keys modified by it are also attributed for BCAST.
   */
  flush(current: Client | null): void {
    const curId = current?.id ?? 0;
    if (this.bcastRaw.length !== 0) {
      for (const key of this.bcastRaw) this.bcastPending.push({ key, by: curId });
      this.bcastRaw = [];
    }
    if (this.flushPending) {
      this.flushPending = false;
      for (const [c] of this.clients) sendInvalidate(this, c, null);
      this.table.clear();
    }
    if (this.pending.length === 0) return;
    const pending = this.pending;
    this.pending = [];
    for (const key of pending) this.invalidateKey(key, curId);
  }

  /** Sends `key`'s invalidation to the clients that may cache it and forgets them (trackingInvalidateKey). */
  private invalidateKey(key: string, curId: number): void {
    const ids = this.table.get(key);
    if (ids === undefined) return;
    this.table.delete(key);
    for (const id of ids) {
      const c = this.server.clients.get(id);
      if (c === undefined) continue;
      const o = this.clients.get(c);
      if (o === undefined || o.bcast) continue;
      if (o.noloop && id === curId) continue;
      sendInvalidate(this, c, [key]);
    }
  }

  /**
   * Keeps the tracking table within tracking-table-max-keys by invalidating keys, with an effort
   * of 100 keys per run, growing while runs in a row stay over the limit (Redis
   * trackingLimitUsedSlots; Redis picks keys by a random walk, here the oldest go first).
   */
  limitUsedSlots(): void {
    const max = this.maxKeys;
    if (max === 0 || this.table.size <= max) {
      this.limitRuns = 0;
      return;
    }
    let effort = 100 * (this.limitRuns + 1);
    for (const key of this.table.keys()) {
      if (effort-- <= 0) break;
      this.invalidateKey(key, 0);
      if (this.table.size <= max) {
        this.limitRuns = 0;
        return;
      }
    }
    this.limitRuns++;
  }

  /**
   * BCAST: for each prefix (in byte order), one message per client registered for it with the
   * changed keys under that prefix, less those it changed itself under NOLOOP
   * (trackingBroadcastInvalidationMessages: a client with two matching prefixes gets two messages).
   */
  flushBcast(): void {
    if (this.bcastPending.length === 0) return;
    const pending = this.bcastPending;
    this.bcastPending = [];
    const prefixes = [...this.prefixes.keys()].sort();
    for (const prefix of prefixes) {
      const set = this.prefixes.get(prefix);
      if (set === undefined) continue;
      // Key -> id of the client that changed it last (0: none), as Redis's per-prefix rax.
      const keys = new Map<string, number>();
      for (const { key, by } of pending) if (key.startsWith(prefix)) keys.set(key, by);
      if (keys.size === 0) continue;
      const sorted = [...keys.keys()].sort();
      for (const c of set) {
        const o = this.clients.get(c);
        if (o === undefined) continue;
        const list = o.noloop ? sorted.filter((k) => keys.get(k) !== c.id) : sorted;
        if (list.length !== 0) sendInvalidate(this, c, list);
      }
    }
  }
}

const states = new WeakMap<KeydraServer, TrackingState>();
/** True once any server of the process used tracking or CLIENT REPLY (fast path for the hook). */
let used = false;

function stateOf(server: KeydraServer): TrackingState {
  let s = states.get(server);
  if (s === undefined) {
    s = new TrackingState(server);
    states.set(server, s);
    used = true;
  }
  return s;
}

/**
 * Sends one invalidation for `c` (Redis sendTrackingMessage): `keys` null is the flush (null)
 * message. Goes to the redirect client when set: RESP3 push, RESP2 `message` on
 * `__redis__:invalidate` if it is subscribed to it; a vanished redirect target is reported to `c`
 * once with a `tracking-redir-broken` push (RESP3 only).
 */
function sendInvalidate(st: TrackingState, c: Client, keys: string[] | null): void {
  const o = st.clients.get(c);
  if (o === undefined) return;
  let target = c;
  if (o.redirect !== 0) {
    const t = st.server.clients.get(o.redirect);
    if (t === undefined) {
      if (!o.brokenRedir) {
        o.brokenRedir = true;
        if (c.resp !== 3) return;
        c.reply.pushLen(2);
        c.reply.bulk('tracking-redir-broken');
        c.reply.integer(o.redirect);
        c.reply.pushEnd();
        st.server.markPendingWrite(c);
      }
      return;
    }
    target = t;
  }
  const w = target.reply;
  if (target.resp === 3) {
    w.pushLen(2);
    w.bulk('invalidate');
  } else {
    if (!target.channels.has('__redis__:invalidate')) return;
    w.arrayLen(3);
    w.bulk('message');
    w.bulk('__redis__:invalidate');
  }
  if (keys === null) {
    w.nullBulk();
  } else {
    w.arrayLen(keys.length);
    for (const k of keys) w.bulk(k);
  }
  w.pushEnd();
  st.server.markPendingWrite(target);
}

/** The tracking options of `c`, or undefined when tracking is off. */
export function trackingOptions(c: Client): TrackingOptions | undefined {
  return states.get(c.server)?.clients.get(c);
}

/**
 * Turns tracking on (or updates prefixes when already on) for `c` (Redis enableTracking).
 * Validation of the option combination is the caller's (CLIENT TRACKING).
 */
export function enableTracking(c: Client, opts: Omit<TrackingOptions, 'caching' | 'brokenRedir'>): void {
  const st = stateOf(c.server);
  const old = st.clients.get(c);
  const o: TrackingOptions = old ?? { ...opts, prefixes: [], caching: null, brokenRedir: false };
  o.redirect = opts.redirect;
  o.noloop = opts.noloop;
  o.brokenRedir = false;
  o.bcast = opts.bcast;
  o.optin = opts.optin;
  o.optout = opts.optout;
  st.clients.set(c, o);
  if (opts.bcast) {
    const list = opts.prefixes.length === 0 ? [''] : opts.prefixes;
    for (const p of list) {
      if (o.prefixes.includes(p)) continue;
      o.prefixes.push(p);
      let set = st.prefixes.get(p);
      if (set === undefined) st.prefixes.set(p, (set = new Set()));
      set.add(c);
    }
  }
}

/** Turns tracking off for `c` (Redis disableTracking): leaves its BCAST prefixes. */
export function disableTracking(c: Client): void {
  const st = states.get(c.server);
  const o = st?.clients.get(c);
  if (st === undefined || o === undefined) return;
  for (const p of o.prefixes) {
    const set = st.prefixes.get(p);
    set?.delete(c);
    if (set?.size === 0) st.prefixes.delete(p);
  }
  st.clients.delete(c);
}

/** Sets CLIENT REPLY mode: 'on', 'off' or 'skip' (the next command's reply is dropped). */
export function setReplyMode(c: Client, mode: 'on' | 'off' | 'skip'): void {
  const st = stateOf(c.server);
  let m = st.replyModes.get(c);
  if (m === undefined) {
    if (mode === 'on') return;
    m = { off: false, skip: false, skipNext: false };
    st.replyModes.set(c, m);
  }
  if (mode === 'on') {
    // ON also ends a SKIP under way: its own +OK is sent (Redis clears REPLY_SKIP and REPLY_OFF).
    m.off = false;
    m.skip = false;
    m.skipNext = false;
  } else if (mode === 'off') m.off = true;
  else m.skipNext = true;
}

/** Read-only script commands: not tracked themselves (their commands are, for the caller). */
const RO_SCRIPT_COMMANDS = new Set(['eval_ro', 'evalsha_ro', 'fcall_ro']);

/** Whether OPTIN/OPTOUT and CLIENT CACHING let the current command's keys be remembered. */
function cacheWanted(o: TrackingOptions): boolean {
  return o.optin ? o.caching === true : o.optout ? o.caching !== false : true;
}

/** Records that client `id` may cache `key` (Redis trackingRememberKeys). */
function remember(table: Map<string, Set<number>>, key: string, id: number): void {
  let ids = table.get(key);
  if (ids === undefined) table.set(key, (ids = new Set()));
  ids.add(id);
}

/**
 * Sends the invalidations queued before `c`'s command started (the keys processCommand's
 * evictions just freed) at once, so they precede the command's reply: Redis trackingInvalidateKey
 * defers only those of a client that is executing a command (CLIENT_EXECUTING_COMMAND, set in
 * call()). `c` counts as the current client for NOLOOP.
 */
export function trackingBeforeCall(c: Client): void {
  if (!used) return;
  const st = states.get(c.server);
  if (st === undefined || st.pending.length === 0 || c.server.execDepth !== 0) return;
  st.flush(c);
}

/**
 * After-command work for tracking and CLIENT REPLY (dispatcher `call` through afterCall):
 * remembers the keys a tracking client read, sends queued invalidations (after the reply), drops
 * the reply under CLIENT REPLY OFF/SKIP. @param replyStart the reply position before the command.
 */
export function trackingAfterCall(c: Client, cmd: Command, argv: string[], replyStart: number): void {
  if (!used) return;
  const st = states.get(c.server);
  if (st === undefined) return;
  if (st.replyModes.size !== 0 && c.server.execDepth === 0) {
    const m = st.replyModes.get(c);
    if (m !== undefined) {
      // Pushes (pub/sub, invalidations) written meanwhile are kept (Redis CLIENT_PUSHING).
      if (m.off || m.skip) c.reply.silenceSince(replyStart);
      m.skip = m.skipNext;
      m.skipNext = false;
      // The next command's pushes are recorded while it is silenced.
      c.reply.pushSpans = m.off || m.skip ? (c.reply.pushSpans ?? []) : null;
      if (!m.off && !m.skip) st.replyModes.delete(c);
    }
  }
  if (st.clients.size === 0) {
    // FLUSHALL frees the tracking table even with no client tracking now (keys read by clients
    // that turned tracking off stay in it until then, as in Redis).
    if (st.table.size !== 0 && cmd.fullName === 'flushall') st.table.clear();
    return;
  }
  const name = cmd.fullName;
  if (name === 'flushall' || name === 'flushdb') st.flushPending = true;
  // A read-only command run by a script tracks the keys its caller declared (Redis call():
  // script_caller); read-only script commands themselves track nothing, only what they run.
  const t = c.isScript && c.scriptCaller !== null ? c.scriptCaller : c;
  const tracked = t === c ? undefined : st.clients.get(t);
  if (tracked !== undefined && (cmd.flags & CmdFlag.Readonly) !== 0 && !tracked.bcast && cacheWanted(tracked)) {
    for (const key of c.scriptKeys ?? []) remember(st.table, key, t.id);
  }
  const o = st.clients.get(c);
  if (o !== undefined) {
    if ((cmd.flags & CmdFlag.Readonly) !== 0 && !o.bcast && !RO_SCRIPT_COMMANDS.has(name) && cacheWanted(o)) {
      for (const k of getKeysFromSpecs(cmd, argv)) remember(st.table, argv[k.pos], c.id);
    }
    // CLIENT CACHING applies to the next command only (Redis resetClient keeps it after CLIENT * and in MULTI).
    if (o.caching !== null && c.server.execDepth === 0 && c.multi === null && !name.startsWith('client|')) o.caching = null;
  }
  if (c.server.execDepth === 0) {
    // Pending invalidations caused by this command go out after its reply.
    st.flush(c);
    if (st.bcastPending.length !== 0) st.schedule();
    if (st.maxKeys !== 0 && st.table.size > st.maxKeys) st.limitUsedSlots();
  }
}

/**
 * INFO numbers of client-side caching (Redis 7.0 server.c genRedisInfoString): tracking clients,
 * keys in the tracking table, key-client pairs in it, and BCAST prefixes.
 */
export function trackingInfo(server: KeydraServer): { clients: number; keys: number; items: number; prefixes: number } {
  const st = states.get(server);
  if (st === undefined) return { clients: 0, keys: 0, items: 0, prefixes: 0 };
  let items = 0;
  for (const ids of st.table.values()) items += ids.size;
  return { clients: st.clients.size, keys: st.table.size, items, prefixes: st.prefixes.size };
}
