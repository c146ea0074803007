/**
 * Cluster forwarding (`cluster-forward yes`, Keydra's own directive, off by default): a command
 * whose keys all hash to one slot served by another node is sent to that node and its reply
 * relayed to the client byte for byte, instead of -MOVED/-ASK, so a client that knows nothing of
 * Redis Cluster can use the whole cluster through any node. What Redis would refuse whatever the
 * owner (-CROSSSLOT, -CLUSTERDOWN, -TRYAGAIN) is still refused here.
 *
 * - One pooled connection per owner address and protocol (RESP2/RESP3, HELLO 3 sent first),
 *   pipelined: many clients' commands share it and replies come back in order.
 * - Order per client: while a client's command is away, its later commands still run (`admit`):
 *   forwarded ones are pipelined, keyed commands of local slots run and their replies are held;
 *   every reply takes its place in the client's queue (`c.fwdQueue`) and leaves in request order.
 *   A command that cannot run that way (no keys, MULTI, blocking, a script, ...) waits with those
 *   behind it in the query buffer until the queue is empty (`c.fwdDeferred` stops processInput).
 * - MULTI ... EXEC queued for a remote slot goes as one unit (MULTI, the queue, EXEC written
 *   together on the link); only EXEC's reply is relayed.
 * - -ASK: sent as ASKING + the command to the importing node.
 * - Blocking commands (BLPOP ...) use a connection of their own per client (a pooled link would
 *   stall every other client behind them), closed with the client.
 * - Not forwarded (the redirection is replied as Redis does): WATCH (its state must live with the
 *   client), SSUBSCRIBE/SUNSUBSCRIBE (subscriptions need a connection of the client's own), and
 *   commands of clients without a socket.
 * - A link that fails answers its waiting clients with the redirection they would have had.
 * - With `masterauth` set, links authenticate as cluster replicas do (AUTH [masteruser] masterauth).
 * - Links are named (CLIENT SETNAME keydra-cluster-forward) and what comes over them is never
 *   forwarded again: while two nodes disagree on a slot's owner the client gets -MOVED, no loop.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import type { ClusterNode } from '../cluster/node.js';
import type { Client } from './client.js';
import { CmdFlag, type Command } from './command.js';
import { commandMayHaveKeys, getNodeByQuery, Redir, redirectError, type Route } from './clusterRouter.js';
import { processCommand } from './dispatch.js';
import type { KeydraServer } from './server.js';

/** One request on a link: `total` replies expected, only the one at `keep` is relayed to `c`. */
interface Pending {
  c: Client | null;
  /** The place of the relayed reply in `c.fwdQueue`. */
  slot: { reply: Buffer | null } | null;
  total: number;
  keep: number;
  got: number;
  kept: Buffer | null;
  /** The redirection `c` gets if the link fails first. */
  fallback: string;
}

/**
 * The end offset of the RESP2/RESP3 value starting at `pos` in `buf`, or -1 when the buffer does
 * not hold all of it yet. Attributes (`|`) are skipped with the value they annotate.
 */
export function replyEnd(buf: Buffer, pos: number): number {
  if (pos >= buf.length) return -1;
  const nl = buf.indexOf(10, pos);
  if (nl < 0) return -1;
  const type = buf[pos];
  const after = nl + 1;
  switch (type) {
    case 0x2b: // +
    case 0x2d: // -
    case 0x3a: // :
    case 0x5f: // _
    case 0x2c: // ,
    case 0x23: // #
    case 0x28: // (
      return after;
    case 0x24: // $
    case 0x21: // !
    case 0x3d: {
      // =
      const n = Number(buf.toString('latin1', pos + 1, nl - 1));
      if (n < 0) return after;
      return after + n + 2 <= buf.length ? after + n + 2 : -1;
    }
    case 0x2a: // *
    case 0x7e: // ~
    case 0x3e: // >
    case 0x25: // %
    case 0x7c: {
      // |
      let n = Number(buf.toString('latin1', pos + 1, nl - 1));
      if (n < 0) return after;
      if (type === 0x25 || type === 0x7c) n *= 2;
      let p = after;
      for (let i = 0; i < n; i++) {
        p = replyEnd(buf, p);
        if (p < 0) return -1;
      }
      return type === 0x7c ? replyEnd(buf, p) : p;
    }
    default:
      return after;
  }
}

/** A RESP multibulk request of latin1 strings, in one allocation. */
function encodeArgv(argv: string[]): Buffer {
  let len = 3 + String(argv.length).length;
  for (const a of argv) len += a.length + String(a.length).length + 5;
  const b = Buffer.allocUnsafe(len);
  let p = b.write(`*${argv.length}\r\n`, 0, 'latin1');
  for (const a of argv) {
    p += b.write(`$${a.length}\r\n`, p, 'latin1');
    p += b.write(a, p, 'latin1');
    b[p++] = 13;
    b[p++] = 10;
  }
  return b;
}

/** A pipelined connection to one node. */
class ForwardLink {
  private readonly socket: net.Socket;
  private readonly queue: Pending[] = [];
  private head = 0;
  private buf: Buffer | null = null;
  private corked = false;
  closed = false;
  /** Script shas this link has sent SCRIPT LOAD for (EVALSHA of a script loaded on this node). */
  readonly loadedShas = new Set<string>();

  constructor(
    private readonly fwd: ClusterForward,
    readonly key: string,
    host: string,
    port: number,
    resp: 2 | 3,
    auth: string[] | null,
  ) {
    this.socket = net.connect(port, host);
    this.socket.setNoDelay(true);
    // Set-up replies are dropped (an internal request has no client). The name marks the link,
    // so that a node that also believes another owns the slot answers -MOVED instead of
    // forwarding again (no loop while two nodes disagree during a resharding or failover).
    if (auth !== null) this.send(null, [['AUTH', ...auth]], 0, '');
    if (resp === 3) this.send(null, [['HELLO', '3']], 0, '');
    this.send(null, [['CLIENT', 'SETNAME', FORWARD_CLIENT_NAME]], 0, '');
    this.socket.on('data', (d) => this.onData(d));
    this.socket.on('error', () => this.fail());
    this.socket.on('close', () => this.fail());
  }

  /**
   * Writes `cmds` as one unit; the reply of cmds[keep] goes to `c` when all have replied. Writes
   * of one event-loop turn leave in one syscall (the socket is corked until the next tick).
   */
  send(c: Client | null, cmds: string[][], keep: number, fallback: string): void {
    let slot: { reply: Buffer | null } | null = null;
    if (c !== null) {
      slot = { reply: null };
      c.fwdQueue.push(slot);
    }
    this.queue.push({ c, slot, total: cmds.length, keep, got: 0, kept: null, fallback });
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    for (const argv of cmds) this.socket.write(encodeArgv(argv));
  }

  /** Number of requests awaiting replies. */
  get inFlight(): number {
    return this.queue.length - this.head;
  }

  private onData(d: Buffer): void {
    const buf = this.buf === null ? d : Buffer.concat([this.buf, d]);
    let pos = 0;
    while (this.head < this.queue.length) {
      const end = replyEnd(buf, pos);
      if (end < 0) break;
      const p = this.queue[this.head];
      // A view: socket chunks are not reused, and the client's reply buffer copies it.
      if (p.got === p.keep) p.kept = buf.subarray(pos, end);
      pos = end;
      if (++p.got === p.total) {
        this.head++;
        if (p.c !== null) this.fwd.deliver(p.c, p.slot!, p.kept!);
      }
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > 1024) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.buf = pos === buf.length ? null : buf.subarray(pos);
  }

  /** The link is gone: waiting clients get their redirection, the pool forgets the link. */
  fail(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.fwd.dropLink(this);
    const waiting = this.queue.slice(this.head);
    this.queue.length = 0;
    this.head = 0;
    for (const p of waiting) if (p.c !== null) this.fwd.deliver(p.c, p.slot!, Buffer.from(`-${p.fallback}\r\n`, 'latin1'));
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }
}

/** CLIENT SETNAME of forwarding links: their commands are never forwarded again. */
export const FORWARD_CLIENT_NAME = 'keydra-cluster-forward';

/** Commands never forwarded (see module doc). */
const NOT_FORWARDED = new Set(['watch', 'ssubscribe', 'sunsubscribe']);
/** Keyed commands that may answer after returning (scripts may be suspended; MIGRATE waits for its target). */
const LOCAL_ASYNC = new Set(['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro', 'migrate']);

/** The forwarding side of one cluster node (`server.clusterForward`). */
export class ClusterForward {
  /** cluster-forward (CONFIG SET changes it at once). */
  enabled: boolean;
  private readonly links = new Map<string, ForwardLink>();
  /** Dedicated links of clients in blocking commands. */
  private readonly own = new Map<Client, ForwardLink>();
  /** Commands forwarded and replies relayed (INFO-style counters for tests and the bench). */
  forwarded = 0;
  /** sha1 → body of the scripts loaded on this node with SCRIPT LOAD (for EVALSHA forwarded). */
  private readonly scripts = new Map<string, string>();

  constructor(private readonly server: KeydraServer) {
    this.enabled = server.config.bool('cluster-forward');
    server.config.onChange('cluster-forward', (v) => {
      this.enabled = v as boolean;
    });
    server.clientFreeHooks.push((c) => {
      const l = this.own.get(c);
      if (l !== undefined) {
        this.own.delete(c);
        l.close();
      }
    });
  }

  /**
   * Called by the dispatcher for a command the router would redirect (`r`). Forwards it when
   * forwarding is on and the command may go (MOVED or ASK, see module doc).
   * @returns true when the command was forwarded (its reply will come later), false to redirect.
   */
  tryForward(c: Client, cmd: Command, argv: string[], r: Route): boolean {
    if (!this.enabled || (r.code !== Redir.Moved && r.code !== Redir.Ask) || c.conn === null || c.name === FORWARD_CLIENT_NAME)
      return false;
    const name = cmd.fullName;
    if (NOT_FORWARDED.has(name)) return false;
    const node = r.node!;
    const fallback = redirectError(c, r);
    let cmds: string[][];
    let keep = 0;
    if (name === 'exec') {
      cmds = [['MULTI'], ...c.multi!, ['EXEC']];
      keep = cmds.length - 1;
      this.server.commands.hooks.discardTransaction(c);
    } else cmds = [argv];
    if (r.code === Redir.Ask) {
      cmds = [['ASKING'], ...cmds];
      keep++;
    }
    const blocking = (cmd.flags & CmdFlag.Blocking) !== 0;
    const link = blocking ? this.ownLink(c, node) : this.link(node, c.resp);
    if ((name === 'evalsha' || name === 'evalsha_ro') && this.scripts.size !== 0) {
      // A script loaded here (SCRIPT LOAD) is loaded on the owner before its first EVALSHA there.
      const sha = argv[1].toLowerCase();
      const body = this.scripts.get(sha);
      if (body !== undefined && !link.loadedShas.has(sha)) {
        link.loadedShas.add(sha);
        cmds = [['SCRIPT', 'LOAD', body], ...cmds];
        keep++;
      }
    }
    this.forwarded++;
    link.send(c, cmds, keep, fallback);
    return true;
  }

  /**
   * Runs `argv`, read while `c` has replies pending (`c.fwdQueue` not empty), if its reply can be
   * put in order: a command forwarded (not blocking) goes on its link; a keyed command served here
   * (no script, no MIGRATE, not blocking, no CLIENT PAUSE in force) runs now and its reply is held
   * in the queue. Otherwise `argv` is deferred until the queue is empty.
   * @returns false when deferred (the caller stops reading the client's input).
   */
  admit(c: Client, argv: string[]): boolean {
    const cmd =
      this.enabled && c.multi === null && c.authenticated && c.unrestricted && !c.asking
        ? this.server.commands.lookupArgv(argv)
        : undefined;
    if (
      cmd === undefined ||
      (cmd.arity > 0 && argv.length !== cmd.arity) ||
      argv.length < -cmd.arity ||
      (cmd.flags & (CmdFlag.Blocking | CmdFlag.NoMulti)) !== 0 ||
      cmd.flagsFor !== null ||
      LOCAL_ASYNC.has(cmd.fullName) ||
      NOT_FORWARDED.has(cmd.fullName) ||
      !commandMayHaveKeys(cmd) ||
      cmd.fullName === 'exec' ||
      this.server.pauseState !== null
    ) {
      c.fwdDeferred = argv;
      return false;
    }
    const r = getNodeByQuery(c, cmd, argv, cmd.flags, false);
    if (r.code === Redir.Moved || r.code === Redir.Ask) {
      processCommand(c, argv); // forwarded: takes its place in c.fwdQueue
      return true;
    }
    // Served here (or refused with an error): the reply is cut out of the writer and queued.
    const w = c.reply;
    const before = w.pos;
    processCommand(c, argv);
    let reply: Buffer;
    if (w.pos >= before) {
      reply = Buffer.from(w.buf.subarray(before, w.pos));
      w.pos = before;
    } else reply = Buffer.alloc(0); // output discarded meanwhile (output limit)
    c.fwdQueue.push({ reply });
    return true;
  }

  /**
   * Inside MULTI, a command for another node's slot is queued as any other (the whole queue is
   * checked and forwarded at EXEC). @returns true when forwarding applies to the redirection.
   */
  queuesRemote(c: Client, r: Route): boolean {
    return this.enabled && c.conn !== null && c.name !== FORWARD_CLIENT_NAME && (r.code === Redir.Moved || r.code === Redir.Ask);
  }

  /** Where links to `node` connect: its IP, and its plaintext port when the cluster runs over TLS (links are plaintext). */
  private addrOf(node: ClusterNode): [string, number] {
    const port = node.pport !== 0 && this.server.config.bool('tls-cluster') ? node.pport : node.port;
    return [node.ip === '' ? '127.0.0.1' : node.ip, port];
  }

  private authArgs(): string[] | null {
    const pass = this.server.config.str('masterauth');
    if (pass === '') return null;
    const user = this.server.config.str('masteruser');
    return user === '' ? [pass] : [user, pass];
  }

  private link(node: ClusterNode, resp: 2 | 3): ForwardLink {
    const [host, port] = this.addrOf(node);
    const key = `${host}:${port}/${resp}`;
    let l = this.links.get(key);
    if (l === undefined) {
      l = new ForwardLink(this, key, host, port, resp, this.authArgs());
      this.links.set(key, l);
    }
    return l;
  }

  private ownLink(c: Client, node: ClusterNode): ForwardLink {
    const [host, port] = this.addrOf(node);
    const key = `${host}:${port}/${c.resp}`;
    let l = this.own.get(c);
    if (l !== undefined && (l.key !== key || l.closed)) {
      l.close();
      l = undefined;
    }
    if (l === undefined) {
      l = new ForwardLink(this, key, host, port, c.resp, this.authArgs());
      this.own.set(c, l);
    }
    return l;
  }

  /** Records a SCRIPT LOAD body, so that an EVALSHA of it forwarded to another node finds it there. */
  rememberScript(body: string): void {
    this.scripts.set(createHash('sha1').update(Buffer.from(body, 'latin1')).digest('hex'), body);
  }

  /** A link failed or closed: later commands open a new one. */
  dropLink(l: ForwardLink): void {
    if (this.links.get(l.key) === l) this.links.delete(l.key);
    for (const [c, o] of this.own) if (o === l) this.own.delete(c);
  }

  /**
   * A forwarded command's reply arrived: it fills its place in the client's queue, the replies now
   * at the head of the queue go to the client, and once the queue is empty the deferred command and
   * the rest of the client's input run.
   */
  deliver(c: Client, slot: { reply: Buffer | null }, reply: Buffer): void {
    slot.reply = reply;
    if (c.closed) {
      c.fwdQueue.length = 0;
      return;
    }
    const q = c.fwdQueue;
    let n = 0;
    while (n < q.length && q[n].reply !== null) c.reply.raw(q[n++].reply!);
    if (n === 0) return;
    q.splice(0, n);
    const server = this.server;
    server.markPendingWrite(c);
    if (q.length !== 0) return;
    const deferred = c.fwdDeferred;
    if (deferred !== null) {
      c.fwdDeferred = null;
      processCommand(c, deferred);
    }
    server.processInput(c);
  }

  /** Closes every link (server shutdown). */
  close(): void {
    for (const l of this.links.values()) l.close();
    this.links.clear();
    for (const l of this.own.values()) l.close();
    this.own.clear();
  }
}
