/**
 * Pub/sub: channel and pattern subscriptions, PUBLISH fan-out, shard channels, and keyspace
 * notifications (`notify-keyspace-events`) published on `__keyspace@<db>__:<key>` and
 * `__keyevent@<db>__:<event>`.
 *
 * Messages are written into each subscriber's ReplyWriter as RESP2 arrays or RESP3 pushes and
 * flushed with the batch; a subscriber that does not read is bounded by
 * client-output-buffer-limit pubsub (src/server/client.ts, outputLimitReached).
 * Source: Redis 7.0 pubsub.c, notify.c.
 */
import { NOTIFY, parseNotifyFlags } from '../config/notify.js';
import { globMatch } from '../store/glob.js';
import type { Client } from './client.js';
import type { KeydraServer } from './server.js';

/** Which subscription kind: regular channels, patterns, or shard channels. */
export type SubKind = 'channel' | 'pattern' | 'shard';

export class PubSub {
  readonly channels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, Set<Client>>();
  readonly shardChannels = new Map<string, Set<Client>>();
  /** notify-keyspace-events as a bitmask (0: notifications off). */
  notifyFlags = 0;

  constructor(private readonly server: KeydraServer) {
    const cfg = server.config;
    this.notifyFlags = Math.max(0, parseNotifyFlags(cfg.str('notify-keyspace-events')));
    cfg.onChange('notify-keyspace-events', (v) => {
      this.notifyFlags = Math.max(0, parseNotifyFlags(v as string));
    });
    server.clientFreeHooks.push((c) => this.unsubscribeAll(c));
  }

  private registry(kind: SubKind): Map<string, Set<Client>> {
    return kind === 'channel' ? this.channels : kind === 'pattern' ? this.patterns : this.shardChannels;
  }

  private clientSet(c: Client, kind: SubKind): Set<string> {
    return kind === 'channel' ? c.channels : kind === 'pattern' ? c.patterns : c.shardChannels;
  }

  /** Subscription count reported in (un)subscribe replies: channels+patterns, or shard channels. */
  private count(c: Client, kind: SubKind): number {
    return kind === 'shard' ? c.shardChannels.size : c.channels.size + c.patterns.size;
  }

  /** Subscribes `c` and writes the confirmation ([kind, name, count]). */
  subscribe(c: Client, kind: SubKind, name: string): void {
    const mine = this.clientSet(c, kind);
    if (!mine.has(name)) {
      mine.add(name);
      const reg = this.registry(kind);
      const set = reg.get(name);
      if (set) set.add(c);
      else reg.set(name, new Set([c]));
    }
    this.confirm(c, kind === 'channel' ? 'subscribe' : kind === 'pattern' ? 'psubscribe' : 'ssubscribe', name, this.count(c, kind));
  }

  /** Unsubscribes `c` from `name`; `notify` writes the confirmation. */
  unsubscribe(c: Client, kind: SubKind, name: string, notify: boolean): void {
    const mine = this.clientSet(c, kind);
    if (mine.delete(name)) {
      const reg = this.registry(kind);
      const set = reg.get(name);
      if (set) {
        set.delete(c);
        if (set.size === 0) reg.delete(name);
      }
    }
    if (notify) {
      this.confirm(c, kind === 'channel' ? 'unsubscribe' : kind === 'pattern' ? 'punsubscribe' : 'sunsubscribe', name, this.count(c, kind));
      // Also sent when another client caused it (a shard channel whose slot moved away).
      c.server.markPendingWrite(c);
    }
  }

  /** Unsubscribes from every name of a kind; with none subscribed, confirms once with a nil name. */
  unsubscribeKind(c: Client, kind: SubKind, notify: boolean): void {
    const mine = this.clientSet(c, kind);
    if (mine.size === 0) {
      if (notify)
        this.confirm(
          c,
          kind === 'channel' ? 'unsubscribe' : kind === 'pattern' ? 'punsubscribe' : 'sunsubscribe',
          null,
          this.count(c, kind),
        );
      return;
    }
    for (const name of [...mine]) this.unsubscribe(c, kind, name, notify);
  }

  /** Drops every subscription without replies (disconnect, RESET). */
  unsubscribeAll(c: Client): void {
    this.unsubscribeKind(c, 'channel', false);
    this.unsubscribeKind(c, 'pattern', false);
    this.unsubscribeKind(c, 'shard', false);
  }

  private confirm(c: Client, kind: string, name: string | null, count: number): void {
    const r = c.reply;
    r.pushLen(3);
    r.bulk(kind);
    if (name === null) r.nullBulk();
    else r.bulk(name);
    r.integer(count);
    r.pushEnd();
  }

  /**
   * Delivers a message to channel subscribers and matching pattern subscribers.
   * @returns the number of clients that received it (PUBLISH's reply).
   */
  publish(channel: string, message: string, shard = false): number {
    let n = 0;
    const server = this.server;
    const subs = (shard ? this.shardChannels : this.channels).get(channel);
    if (subs !== undefined) {
      for (const c of subs) {
        const r = c.reply;
        r.pushLen(3);
        r.bulk(shard ? 'smessage' : 'message');
        r.bulk(channel);
        r.bulk(message);
        r.pushEnd();
        server.markPendingWrite(c);
        n++;
      }
    }
    if (!shard && this.patterns.size > 0) {
      for (const [pattern, set] of this.patterns) {
        if (!globMatch(pattern, channel)) continue;
        for (const c of set) {
          const r = c.reply;
          r.pushLen(4);
          r.bulk('pmessage');
          r.bulk(pattern);
          r.bulk(channel);
          r.bulk(message);
          r.pushEnd();
          server.markPendingWrite(c);
          n++;
        }
      }
    }
    return n;
  }

  /**
   * Publishes a keyspace event if the class is enabled (Redis notifyKeyspaceEvent).
   * @param type class letter: g $ l s h z x e t m d n
   */
  notify(type: string, event: string, key: string, dbId: number): void {
    const flags = this.notifyFlags;
    if (flags === 0 || (flags & (NOTIFY[type] ?? 0)) === 0) return;
    if (flags & NOTIFY.K) this.publish(`__keyspace@${dbId}__:${key}`, event);
    if (flags & NOTIFY.E) this.publish(`__keyevent@${dbId}__:${event}`, key);
  }
}
