/**
 * A skiplist with spans, ordered by (score, member), as Redis's zskiplist: O(log n) insert,
 * delete, score update, rank lookup, and seek to a rank, a score bound or a lex bound.
 *
 * Members are latin1 strings (one char per byte), so JS `<` on them is Redis's byte-wise
 * memcmp order. Scores are IEEE doubles, never NaN. Ranks are 1-based here (as zslGetRank);
 * callers convert to Redis's 0-based ranks.
 * Source: Redis 7.0 t_zset.c (zslCreate, zslInsert, zslDeleteNode, zslGetRank, zslGetElementByRank,
 * zslFirstInRange, zslLastInRange, zslFirstInLexRange, zslLastInLexRange, zslUpdateScore).
 */

/** Maximum number of levels (Redis ZSKIPLIST_MAXLEVEL). */
const MAX_LEVEL = 32;
/** Probability of one more level (Redis ZSKIPLIST_P). */
const P = 0.25;

/** One element: member, score, a backward link and per-level forward links with spans. */
export class SkipNode {
  backward: SkipNode | null = null;
  readonly forward: (SkipNode | null)[];
  /** span[i]: number of level-0 steps from this node to forward[i] (0 when forward[i] is null). */
  readonly span: number[];
  constructor(
    public ele: string,
    public score: number,
    level: number,
  ) {
    this.forward = new Array<SkipNode | null>(level).fill(null);
    this.span = new Array<number>(level).fill(0);
  }
}

/** A score interval; `minex`/`maxex` make the bound exclusive (`(1.5`). */
export interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}

/**
 * A lex interval over members. `min === MIN_LEX` means `-`, `max === MAX_LEX` means `+`
 * (sentinel objects compared by identity); otherwise the bound is a member string.
 */
export interface LexRange {
  min: string | typeof MIN_LEX | typeof MAX_LEX;
  max: string | typeof MIN_LEX | typeof MAX_LEX;
  minex: boolean;
  maxex: boolean;
}
export const MIN_LEX: unique symbol = Symbol('-');
export const MAX_LEX: unique symbol = Symbol('+');

/** True if `value` is at or above the range's minimum (zslValueGteMin). */
export function scoreGteMin(value: number, r: ScoreRange): boolean {
  return r.minex ? value > r.min : value >= r.min;
}
/** True if `value` is at or below the range's maximum (zslValueLteMax). */
export function scoreLteMax(value: number, r: ScoreRange): boolean {
  return r.maxex ? value < r.max : value <= r.max;
}
/** True if `ele` is at or above the lex minimum (zslLexValueGteMin). */
export function lexGteMin(ele: string, r: LexRange): boolean {
  if (r.min === MIN_LEX) return true;
  if (r.min === MAX_LEX) return false;
  return r.minex ? ele > r.min : ele >= r.min;
}
/** True if `ele` is at or below the lex maximum (zslLexValueLteMax). */
export function lexLteMax(ele: string, r: LexRange): boolean {
  if (r.max === MAX_LEX) return true;
  if (r.max === MIN_LEX) return false;
  return r.maxex ? ele < r.max : ele <= r.max;
}

function randomLevel(): number {
  let level = 1;
  while (level < MAX_LEVEL && Math.random() < P) level++;
  return level;
}

/** (score, ele) strictly before (score2, ele2)? */
function before(score: number, ele: string, score2: number, ele2: string): boolean {
  return score < score2 || (score === score2 && ele < ele2);
}

/** The skiplist. `length` counts elements; `tail` is the last node (null when empty). */
export class SkipList {
  readonly header = new SkipNode('', 0, MAX_LEVEL);
  tail: SkipNode | null = null;
  length = 0;
  level = 1;
  private readonly update: SkipNode[] = new Array<SkipNode>(MAX_LEVEL);
  private readonly rank: number[] = new Array<number>(MAX_LEVEL).fill(0);

  /** First node in order, or null. */
  get first(): SkipNode | null {
    return this.header.forward[0];
  }

  /** Inserts a member that must not already be present (zslInsert). @returns its node. */
  insert(score: number, ele: string): SkipNode {
    const update = this.update;
    const rank = this.rank;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : rank[i + 1];
      let f = x.forward[i];
      while (f !== null && before(f.score, f.ele, score, ele)) {
        rank[i] += x.span[i];
        x = f;
        f = x.forward[i];
      }
      update[i] = x;
    }
    const level = randomLevel();
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = this.header;
        update[i].span[i] = this.length;
      }
      this.level = level;
    }
    const node = new SkipNode(ele, score, level);
    for (let i = 0; i < level; i++) {
      node.forward[i] = update[i].forward[i];
      update[i].forward[i] = node;
      node.span[i] = update[i].span[i] - (rank[0] - rank[i]);
      update[i].span[i] = rank[0] - rank[i] + 1;
    }
    for (let i = level; i < this.level; i++) update[i].span[i]++;
    node.backward = update[0] === this.header ? null : update[0];
    const next = node.forward[0];
    if (next !== null) next.backward = node;
    else this.tail = node;
    this.length++;
    return node;
  }

  private deleteNode(x: SkipNode, update: SkipNode[]): void {
    for (let i = 0; i < this.level; i++) {
      if (update[i].forward[i] === x) {
        update[i].span[i] += x.span[i] - 1;
        update[i].forward[i] = x.forward[i];
      } else {
        update[i].span[i] -= 1;
      }
    }
    const next = x.forward[0];
    if (next !== null) next.backward = x.backward;
    else this.tail = x.backward;
    while (this.level > 1 && this.header.forward[this.level - 1] === null) this.level--;
    this.length--;
  }

  private findUpdate(score: number, ele: string): SkipNode | null {
    const update = this.update;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = x.forward[i];
      while (f !== null && before(f.score, f.ele, score, ele)) {
        x = f;
        f = x.forward[i];
      }
      update[i] = x;
    }
    return x.forward[0];
  }

  /** Removes (score, ele) (zslDelete). @returns true if it was present. */
  delete(score: number, ele: string): boolean {
    const x = this.findUpdate(score, ele);
    if (x !== null && x.score === score && x.ele === ele) {
      this.deleteNode(x, this.update);
      return true;
    }
    return false;
  }

  /** Changes the score of a present member, in place when the order allows (zslUpdateScore). */
  updateScore(curScore: number, ele: string, newScore: number): SkipNode {
    const x = this.findUpdate(curScore, ele);
    if (x === null || x.score !== curScore || x.ele !== ele) throw new Error('skiplist: member not found');
    const next = x.forward[0];
    if (
      (x.backward === null || before(x.backward.score, x.backward.ele, newScore, ele)) &&
      (next === null || before(newScore, ele, next.score, next.ele))
    ) {
      x.score = newScore;
      return x;
    }
    this.deleteNode(x, this.update);
    return this.insert(newScore, ele);
  }

  /** 1-based rank of (score, ele), or 0 if absent (zslGetRank). O(log n). */
  getRank(score: number, ele: string): number {
    let rank = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = x.forward[i];
      while (f !== null && (before(f.score, f.ele, score, ele) || (f.score === score && f.ele === ele))) {
        rank += x.span[i];
        x = f;
        f = x.forward[i];
      }
      if (x !== this.header && x.ele === ele && x.score === score) return rank;
    }
    return 0;
  }

  /** The node at 1-based `rank`, or null when out of range (zslGetElementByRank). O(log n). */
  getByRank(rank: number): SkipNode | null {
    if (rank < 1 || rank > this.length) return null;
    let traversed = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = x.forward[i];
      while (f !== null && traversed + x.span[i] <= rank) {
        traversed += x.span[i];
        x = f;
        f = x.forward[i];
      }
      if (traversed === rank) return x;
    }
    return null;
  }

  /** The first node whose score is in range, or null (zslFirstInRange). */
  firstInRange(r: ScoreRange): SkipNode | null {
    if (!this.isInRange(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = x.forward[i];
      while (f !== null && !scoreGteMin(f.score, r)) {
        x = f;
        f = x.forward[i];
      }
    }
    const n = x.forward[0];
    return n !== null && scoreLteMax(n.score, r) ? n : null;
  }

  /** The last node whose score is in range, or null (zslLastInRange). */
  lastInRange(r: ScoreRange): SkipNode | null {
    if (!this.isInRange(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = x.forward[i];
      while (f !== null && scoreLteMax(f.score, r)) {
        x = f;
        f = x.forward[i];
      }
    }
    return x !== this.header && scoreGteMin(x.score, r) ? x : null;
  }

  private isInRange(r: ScoreRange): boolean {
    if (r.min > r.max || (r.min === r.max && (r.minex || r.maxex))) return false;
    const t = this.tail;
    if (t === null || !scoreGteMin(t.score, r)) return false;
    const f = this.header.forward[0];
    return f !== null && scoreLteMax(f.score, r);
  }

  /** The first node whose member is in the lex range, or null (zslFirstInLexRange). */
  firstInLexRange(r: LexRange): SkipNode | null {
    if (!this.isInLexRange(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = x.forward[i];
      while (f !== null && !lexGteMin(f.ele, r)) {
        x = f;
        f = x.forward[i];
      }
    }
    const n = x.forward[0];
    return n !== null && lexLteMax(n.ele, r) ? n : null;
  }

  /** The last node whose member is in the lex range, or null (zslLastInLexRange). */
  lastInLexRange(r: LexRange): SkipNode | null {
    if (!this.isInLexRange(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = x.forward[i];
      while (f !== null && lexLteMax(f.ele, r)) {
        x = f;
        f = x.forward[i];
      }
    }
    return x !== this.header && lexGteMin(x.ele, r) ? x : null;
  }

  /** True when the lex range is non-empty and overlaps the list's ends (zslIsInLexRange). */
  isInLexRange(r: LexRange): boolean {
    // Empty ranges: min > max, or equal with an exclusive side (zslIsInLexRange / zslLexValueGteMin).
    if (r.min === MAX_LEX || r.max === MIN_LEX) return false;
    if (typeof r.min === 'string' && typeof r.max === 'string') {
      if (r.min > r.max || (r.min === r.max && (r.minex || r.maxex))) return false;
    }
    const t = this.tail;
    if (t === null || !lexGteMin(t.ele, r)) return false;
    const f = this.header.forward[0];
    return f !== null && lexLteMax(f.ele, r);
  }

  /** Iterates nodes in order starting at `from` (default: the first). */
  *nodes(from: SkipNode | null = this.header.forward[0]): IterableIterator<SkipNode> {
    for (let x = from; x !== null; x = x.forward[0]) yield x;
  }
}
