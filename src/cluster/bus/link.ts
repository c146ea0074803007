/**
 * A cluster bus connection (Redis 7.0 cluster.h clusterLink): outbound links are opened by this
 * node to a known node (`node` set, `inbound` false); inbound links are accepted on the cluster
 * port and attached to their node once its first message names it. Bytes are framed into whole
 * messages (the 8 first bytes give the "RCmb" signature and the total length) and handed to
 * `onMessage`. Source: cluster.c createClusterLink, freeClusterLink, clusterReadHandler,
 * clusterSendMessage.
 */
import type net from 'node:net';
import type { ClusterNode } from '../node.js';
import { HDR_LEN } from './message.js';

/** Upper bound of a message we accept (a PUBLISH can be large; Redis has no explicit cap). */
const MAX_MESSAGE = 512 * 1024 * 1024;

/** One bus connection (see module doc). */
export class ClusterLink {
  /** Unix ms at creation (CLUSTER LINKS create-time). */
  readonly ctime = Date.now();
  /** The node at the other end; null for an inbound link until its sender is known. */
  node: ClusterNode | null;
  /** Bytes queued to the socket and not yet flushed (CLUSTER LINKS send-buffer-used). */
  sendBufferUsed = 0;
  /** True once freed (the socket is destroyed and the node no longer refers to it). */
  freed = false;
  /** True once an outbound connection is established. */
  connected: boolean;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private need = 8;

  /**
   * @param socket the connection (connecting, for an outbound link).
   * @param onMessage gets each whole message; returns false when the link was freed meanwhile.
   * @param onClose runs once when the socket fails or closes (the owner frees the link).
   */
  constructor(
    readonly socket: net.Socket,
    node: ClusterNode | null,
    readonly inbound: boolean,
    private readonly onMessage: (link: ClusterLink, msg: Buffer) => boolean,
    private readonly onClose: (link: ClusterLink) => void,
  ) {
    this.node = node;
    this.connected = inbound;
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', () => this.closed());
    socket.on('close', () => this.closed());
  }

  private closed(): void {
    if (this.freed) return;
    this.onClose(this);
  }

  /** Frames incoming bytes into messages; a bad signature or length drops the link. */
  private onData(d: Buffer): void {
    if (this.freed) return;
    this.chunks.push(d);
    this.buffered += d.length;
    while (!this.freed && this.buffered >= this.need) {
      const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered);
      if (this.need === 8) {
        const totlen = all.readUInt32BE(4);
        if (all.toString('latin1', 0, 4) !== 'RCmb' || totlen < HDR_LEN || totlen > MAX_MESSAGE) {
          this.chunks = [];
          this.buffered = 0;
          this.onClose(this);
          return;
        }
        this.need = totlen;
        this.chunks = [all];
        continue;
      }
      const msg = all.subarray(0, this.need);
      const rest = all.subarray(this.need);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      this.need = 8;
      if (!this.onMessage(this, msg)) return;
    }
  }

  /** Queues a message (clusterSendMessage). */
  send(msg: Buffer): void {
    if (this.freed) return;
    this.sendBufferUsed += msg.length;
    this.socket.write(msg, () => {
      this.sendBufferUsed -= msg.length;
    });
  }

  /** Closes the socket; the owner clears the node's reference (freeClusterLink). */
  destroy(): void {
    if (this.freed) return;
    this.freed = true;
    this.socket.destroy();
  }
}
