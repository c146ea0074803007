/**
 * The sorted set value: a member→element table (src/store/strTable.ts) plus an ordered index by (score, member) (a counted
 * B+tree with Redis's zskiplist interface, src/store/skiplist.ts), as Redis's OBJ_ENCODING_SKIPLIST
 * zset. The table (member → the index's element, which holds the score) answers ZSCORE in O(1); the index answers rank and range queries in O(log n). `encoding` reports what Redis would use (listpack while small, sticky
 * skiplist once converted) for OBJECT ENCODING.
 * Source: Redis 7.0 t_zset.c (zsetAdd, zsetRemoveFromSkiplist, zsetConvert), server.h zset.
 */
import { type LexRange, lexGteMin, lexLteMax, type SkipNode, SkipList } from './skiplist.js';
import { StrTable } from './strTable.js';

/**
 * zset-max-listpack-entries / zset-max-listpack-value (Redis 7.0 defaults 128 and 64 bytes);
 * the zsets family refreshes them from the config when it creates a zset.
 */
export const zsetLimits = { maxListpackEntries: 128, maxListpackValue: 64 };

/** ZADD input flags (Redis ZADD_IN_*). */
export const enum ZAddIn {
  None = 0,
  Incr = 1,
  Nx = 2,
  Xx = 4,
  Gt = 8,
  Lt = 16,
}

/** zsetAdd outcome (Redis ZADD_OUT_*). */
export const enum ZAddOut {
  Nop = 1,
  Nan = 2,
  Added = 4,
  Updated = 8,
}

export class ZSet {
  /** member → its element in `zsl` (score in `.score`). */
  readonly dict = new StrTable<SkipNode>();
  readonly zsl = new SkipList();
  private big = false;
  /** The resulting score of the last `add` call (its second result, kept here to avoid a tuple per call). */
  lastScore = 0;

  /** "listpack" while ≤ 128 members of ≤ 64 bytes each, then "skiplist" for good (OBJECT ENCODING). */
  get encoding(): string {
    return this.big ? 'skiplist' : 'listpack';
  }

  /** Number of members (ZCARD). */
  get size(): number {
    return this.dict.size;
  }

  /** The score of `member`, or undefined. */
  score(member: string): number | undefined {
    return this.dict.get(member)?.score;
  }

  /**
   * Adds or updates a member with flags (zsetAdd). @returns ZAddOut bits; the resulting score
   * (the current one when nothing changed) is left in `lastScore`.
   * With Incr, `score` is the increment; a NaN result yields ZAddOut.Nan and no change.
   */
  add(score: number, member: string, flags: number): number {
    const node = this.dict.get(member);
    if (node !== undefined) {
      const cur = node.score;
      this.lastScore = cur;
      if (flags & ZAddIn.Nx) return ZAddOut.Nop;
      let next = score;
      if (flags & ZAddIn.Incr) {
        next = cur + score;
        if (Number.isNaN(next)) return ZAddOut.Nan;
      }
      if ((flags & ZAddIn.Lt && next >= cur) || (flags & ZAddIn.Gt && next <= cur)) return ZAddOut.Nop;
      if (next === 0 && !this.big) next = 0; // listpack stores -0 as 0
      if (next !== cur) {
        this.zsl.updateScore(cur, member, next, node);
        this.lastScore = next;
        return ZAddOut.Updated;
      }
      return 0;
    }
    if (flags & ZAddIn.Xx) {
      this.lastScore = 0;
      return ZAddOut.Nop;
    }
    this.insert(score, member);
    this.lastScore = score;
    return ZAddOut.Added;
  }

  /** Inserts a member known to be absent. */
  insert(score: number, member: string): void {
    if (score === 0 && !this.big) score = 0; // listpack stores -0 as 0
    this.dict.set(member, this.zsl.insert(score, member));
    if (!this.big && (this.dict.size > zsetLimits.maxListpackEntries || member.length > zsetLimits.maxListpackValue)) {
      this.big = true;
    }
  }

  /** Removes a member. @returns true if it was present. */
  remove(member: string): boolean {
    const x = this.dict.get(member);
    if (x === undefined) return false;
    this.dict.delete(member);
    this.zsl.delete(x.score, member, x);
    return true;
  }

  /** Removes the lowest (score, member) without a descent (ZPOPMIN). @returns its node, or null when empty. */
  popFirst(): SkipNode | null {
    const x = this.zsl.deleteFirst();
    if (x !== null) this.dict.delete(x.ele);
    return x;
  }

  /** Removes the highest (score, member) (ZPOPMAX). @returns its node, or null when empty. */
  popLast(): SkipNode | null {
    const x = this.zsl.deleteLast();
    if (x !== null) this.dict.delete(x.ele);
    return x;
  }

  /** 0-based rank of `member` (reverse order if `rev`), or -1 when absent. O(log n). */
  rank(member: string, rev: boolean): number {
    const x = this.dict.get(member);
    if (x === undefined) return -1;
    const r = this.zsl.rankOf(x);
    return rev ? this.zsl.length - r : r - 1;
  }

  /** The node at 0-based rank in ascending order, or null. */
  nodeAt(rank: number): SkipNode | null {
    return this.zsl.getByRank(rank + 1);
  }

  /**
   * The first node in a lex range. While listpack-encoded, Redis scans linearly from the head
   * (zzlFirstInLexRange), which differs from the skiplist descent when scores are not all
   * equal; both are mirrored so replies match Redis byte for byte.
   */
  firstInLex(r: LexRange): SkipNode | null {
    if (this.big) return this.zsl.firstInLexRange(r);
    if (!this.zsl.isInLexRange(r)) return null;
    for (let x = this.zsl.first; x !== null; x = x.next) {
      if (lexGteMin(x.ele, r)) return lexLteMax(x.ele, r) ? x : null;
    }
    return null;
  }

  /** The last node in a lex range (zzlLastInLexRange / zslLastInLexRange), see firstInLex. */
  lastInLex(r: LexRange): SkipNode | null {
    if (this.big) return this.zsl.lastInLexRange(r);
    if (!this.zsl.isInLexRange(r)) return null;
    for (let x = this.zsl.tail; x !== null; x = x.backward) {
      if (lexLteMax(x.ele, r)) return lexGteMin(x.ele, r) ? x : null;
    }
    return null;
  }

  /** A copy (COPY, store commands). Keeps the encoding. */
  clone(): ZSet {
    const z = new ZSet();
    for (const n of this.zsl.nodes()) z.insert(n.score, n.ele);
    z.big = this.big;
    return z;
  }

  /** Marks the set as converted to skiplist (e.g. a store result that must stay big). */
  forceSkiplist(): void {
    this.big = true;
  }

  /** Iterates [member, score] in ascending order. */
  *[Symbol.iterator](): IterableIterator<[string, number]> {
    for (let x = this.zsl.first; x !== null; x = x.next) yield [x.ele, x.score];
  }
}
