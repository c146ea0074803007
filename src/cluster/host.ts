/**
 * What the cluster needs of the server, as an interface, so that src/cluster depends only on the
 * layers below it (config, store, protocol, persistence, replication). KeydraServer implements it.
 */
import type { ReplicationHost } from '../replication/host.js';
import type { Replication } from '../replication/index.js';

/** The server as the cluster sees it. */
export interface ClusterHost extends ReplicationHost {
  /** This server's replication (a cluster replica follows its primary through it). */
  readonly replication: Replication;
  /**
   * Pub/sub: local delivery of a message received over the bus (PUBLISH, PUBLISHSHARD), and the
   * shard channels, whose subscribers are unsubscribed when this shard loses the channel's slot.
   */
  readonly pubsub: {
    publish(channel: string, message: string, shard?: boolean): number;
    readonly shardChannels: Map<string, Set<object>>;
    unsubscribe(c: object, kind: 'shard', name: string, notify: boolean): void;
  };
  /** An outgoing bus link to host:port (TLS when tls-cluster is yes; from bind-source-addr). */
  connectBus(host: string, port: number): import('node:net').Socket;
  /** An accepted bus connection, given to `onReady` once usable (after the TLS handshake with tls-cluster). */
  acceptBus(sock: import('node:net').Socket, onReady: (s: import('node:net').Socket) => void): void;
}
