/**
 * The replication backlog: a fixed-size ring buffer holding the last `size` bytes of the
 * replication stream, so that a replica that lost its link can continue from its offset
 * (PSYNC → +CONTINUE) instead of a full resynchronisation.
 *
 * Offsets are replication offsets: the stream's first byte ever has offset 1. `firstOffset` is the
 * offset of the oldest byte held (Redis repl_backlog->offset), `histlen` the number of bytes held;
 * the backlog holds offsets firstOffset .. firstOffset + histlen - 1.
 * Source: Redis 7.0 replication.c (createReplicationBacklog, feedReplicationBacklog,
 * addReplyReplicationBacklog, resizeReplicationBacklog); INFO repl_backlog_* fields.
 */
export class Backlog {
  private buf: Buffer;
  /** Next write position in `buf`. */
  private idx = 0;
  /** Bytes held (INFO repl_backlog_histlen). */
  histlen = 0;
  /** Replication offset of the oldest byte held (INFO repl_backlog_first_byte_offset). */
  firstOffset: number;

  /**
   * @param size capacity in bytes (repl-backlog-size).
   * @param nextOffset the replication offset the next appended byte gets (master_repl_offset + 1).
   */
  constructor(size: number, nextOffset: number) {
    this.buf = Buffer.allocUnsafe(Math.max(16 * 1024, size));
    this.firstOffset = nextOffset;
  }

  /** Capacity in bytes. */
  get size(): number {
    return this.buf.length;
  }

  /** Appends stream bytes, dropping the oldest ones beyond the capacity. */
  append(data: Buffer): void {
    const cap = this.buf.length;
    const src = data;
    if (src.length >= cap) {
      // Only the newest `cap` bytes can be kept.
      this.firstOffset += this.histlen + src.length - cap;
      src.copy(this.buf, 0, src.length - cap);
      this.idx = 0;
      this.histlen = cap;
      return;
    }
    const first = Math.min(src.length, cap - this.idx);
    src.copy(this.buf, this.idx, 0, first);
    if (first < src.length) src.copy(this.buf, 0, first);
    this.idx = (this.idx + src.length) % cap;
    const total = this.histlen + src.length;
    if (total > cap) {
      this.firstOffset += total - cap;
      this.histlen = cap;
    } else this.histlen = total;
  }

  /** True when the bytes from replication offset `from` up to the newest are held (PSYNC check). */
  holds(from: number): boolean {
    return from >= this.firstOffset && from <= this.firstOffset + this.histlen;
  }

  /**
   * The bytes from replication offset `from` to the newest, as one new Buffer (empty when `from`
   * is one past the newest). @throws RangeError when `holds(from)` is false.
   */
  copyFrom(from: number): Buffer {
    if (!this.holds(from)) throw new RangeError(`offset ${from} is not in the backlog`);
    const n = this.firstOffset + this.histlen - from;
    const out = Buffer.allocUnsafe(n);
    const cap = this.buf.length;
    // Position in buf of the oldest byte, then of `from`.
    const oldest = (this.idx - this.histlen + cap) % cap;
    const start = (oldest + (from - this.firstOffset)) % cap;
    const first = Math.min(n, cap - start);
    this.buf.copy(out, 0, start, start + first);
    if (first < n) this.buf.copy(out, first, 0, n - first);
    return out;
  }

  /** Changes the capacity (CONFIG SET repl-backlog-size), keeping the newest bytes that fit. */
  resize(size: number): void {
    size = Math.max(16 * 1024, size);
    if (size === this.buf.length) return;
    const keep = Math.min(this.histlen, size);
    const newest = this.copyFrom(this.firstOffset + this.histlen - keep);
    this.buf = Buffer.allocUnsafe(size);
    newest.copy(this.buf, 0);
    this.firstOffset = this.firstOffset + this.histlen - keep;
    this.histlen = keep;
    this.idx = keep % size;
  }
}
