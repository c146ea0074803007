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

/**
 * One element: member, score, a backward link and, per level, the forward link and its span
 * interleaved in one array (`lv[2*i]` = next node at level i or null, `lv[2*i+1]` = span: number of
 * level-0 steps to it, 0 when it is null). One array per node instead of Redis's per-level structs:
 * a descent step reads the link and the span from the same array (one allocation per insert
 * besides the node itself).
 */
export class SkipNode {
  backward: SkipNode | null = null;
  /** Interleaved [next0, span0, next1, span1, ...]; length 2 × level. */
  readonly lv: (SkipNode | null | number)[];
  constructor(
    public ele: string,
    public score: number,
    level: number,
  ) {
    const lv = new Array<SkipNode | null | number>(level * 2);
    for (let i = 0; i < level * 2; i += 2) {
      lv[i] = null;
      lv[i + 1] = 0;
    }
    this.lv = lv;
  }
  /** The next node in order (level-0 forward link), or null at the tail. */
  get next(): SkipNode | null {
    return this.lv[0] as SkipNode | null;
  }
  /** Number of levels of this node. */
  get level(): number {
    return this.lv.length >> 1;
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
  private readonly update: SkipNode[] = new Array<SkipNode>(MAX_LEVEL).fill(this.header);
  private readonly rank: number[] = new Array<number>(MAX_LEVEL).fill(0);

  /** First node in order, or null. */
  get first(): SkipNode | null {
    return this.header.lv[0] as SkipNode | null;
  }

  /** Inserts a member that must not already be present (zslInsert). @returns its node. */
  insert(score: number, ele: string): SkipNode {
    const update = this.update;
    const rank = this.rank;
    let x = this.header;
    let r = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      const j = i << 1;
      let lv = x.lv;
      let f = lv[j] as SkipNode | null;
      // Scores first: the member is read only on equal scores.
      while (f !== null && (f.score < score || (f.score === score && f.ele < ele))) {
        r += lv[j + 1] as number;
        x = f;
        lv = x.lv;
        f = lv[j] as SkipNode | null;
      }
      rank[i] = r;
      update[i] = x;
    }
    const level = randomLevel();
    const header = this.header;
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = header;
        header.lv[(i << 1) + 1] = this.length;
      }
      this.level = level;
    }
    const node = new SkipNode(ele, score, level);
    const nlv = node.lv;
    const r0 = rank[0];
    for (let i = 0; i < level; i++) {
      const j = i << 1;
      const ulv = update[i].lv;
      nlv[j] = ulv[j];
      ulv[j] = node;
      nlv[j + 1] = (ulv[j + 1] as number) - (r0 - rank[i]);
      ulv[j + 1] = r0 - rank[i] + 1;
    }
    for (let i = level; i < this.level; i++) {
      const ulv = update[i].lv;
      ulv[(i << 1) + 1] = (ulv[(i << 1) + 1] as number) + 1;
    }
    node.backward = update[0] === header ? null : update[0];
    const next = nlv[0] as SkipNode | null;
    if (next !== null) next.backward = node;
    else this.tail = node;
    this.length++;
    return node;
  }

  private deleteNode(x: SkipNode, update: SkipNode[]): void {
    const xlv = x.lv;
    for (let i = 0; i < this.level; i++) {
      const j = i << 1;
      const ulv = update[i].lv;
      if (ulv[j] === x) {
        ulv[j + 1] = (ulv[j + 1] as number) + (xlv[j + 1] as number) - 1;
        ulv[j] = xlv[j];
      } else {
        ulv[j + 1] = (ulv[j + 1] as number) - 1;
      }
    }
    const next = xlv[0] as SkipNode | null;
    if (next !== null) next.backward = x.backward;
    else this.tail = x.backward;
    const hlv = this.header.lv;
    while (this.level > 1 && hlv[(this.level - 1) << 1] === null) this.level--;
    this.length--;
  }

  private findUpdate(score: number, ele: string): SkipNode | null {
    const update = this.update;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      const j = i << 1;
      let f = x.lv[j] as SkipNode | null;
      while (f !== null && (f.score < score || (f.score === score && f.ele < ele))) {
        x = f;
        f = x.lv[j] as SkipNode | null;
      }
      update[i] = x;
    }
    return x.lv[0] as SkipNode | null;
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

  /**
   * Removes the first node (ZPOPMIN on a skiplist): the header is the predecessor at every level,
   * so no descent is needed. @returns the removed node, or null when empty.
   */
  deleteFirst(): SkipNode | null {
    const x = this.header.lv[0] as SkipNode | null;
    if (x === null) return null;
    const update = this.update;
    for (let i = 0; i < this.level; i++) update[i] = this.header;
    this.deleteNode(x, update);
    return x;
  }

  /** Changes the score of a present member, in place when the order allows (zslUpdateScore). */
  updateScore(curScore: number, ele: string, newScore: number): SkipNode {
    const x = this.findUpdate(curScore, ele);
    if (x === null || x.score !== curScore || x.ele !== ele) throw new Error('skiplist: member not found');
    const next = x.lv[0] as SkipNode | null;
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
      const j = i << 1;
      let f = x.lv[j] as SkipNode | null;
      while (f !== null && (f.score < score || (f.score === score && f.ele <= ele))) {
        rank += x.lv[j + 1] as number;
        x = f;
        f = x.lv[j] as SkipNode | null;
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
      const j = i << 1;
      let f = x.lv[j] as SkipNode | null;
      while (f !== null && traversed + (x.lv[j + 1] as number) <= rank) {
        traversed += x.lv[j + 1] as number;
        x = f;
        f = x.lv[j] as SkipNode | null;
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
      const j = i << 1;
      let f = x.lv[j] as SkipNode | null;
      while (f !== null && !scoreGteMin(f.score, r)) {
        x = f;
        f = x.lv[j] as SkipNode | null;
      }
    }
    const n = x.lv[0] as SkipNode | null;
    return n !== null && scoreLteMax(n.score, r) ? n : null;
  }

  /** The last node whose score is in range, or null (zslLastInRange). */
  lastInRange(r: ScoreRange): SkipNode | null {
    if (!this.isInRange(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      const j = i << 1;
      let f = x.lv[j] as SkipNode | null;
      while (f !== null && scoreLteMax(f.score, r)) {
        x = f;
        f = x.lv[j] as SkipNode | null;
      }
    }
    return x !== this.header && scoreGteMin(x.score, r) ? x : null;
  }

  private isInRange(r: ScoreRange): boolean {
    if (r.min > r.max || (r.min === r.max && (r.minex || r.maxex))) return false;
    const t = this.tail;
    if (t === null || !scoreGteMin(t.score, r)) return false;
    const f = this.first;
    return f !== null && scoreLteMax(f.score, r);
  }

  /** The first node whose member is in the lex range, or null (zslFirstInLexRange). */
  firstInLexRange(r: LexRange): SkipNode | null {
    if (!this.isInLexRange(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      const j = i << 1;
      let f = x.lv[j] as SkipNode | null;
      while (f !== null && !lexGteMin(f.ele, r)) {
        x = f;
        f = x.lv[j] as SkipNode | null;
      }
    }
    const n = x.lv[0] as SkipNode | null;
    return n !== null && lexLteMax(n.ele, r) ? n : null;
  }

  /** The last node whose member is in the lex range, or null (zslLastInLexRange). */
  lastInLexRange(r: LexRange): SkipNode | null {
    if (!this.isInLexRange(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      const j = i << 1;
      let f = x.lv[j] as SkipNode | null;
      while (f !== null && lexLteMax(f.ele, r)) {
        x = f;
        f = x.lv[j] as SkipNode | null;
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
    const f = this.first;
    return f !== null && lexLteMax(f.ele, r);
  }

  /** Iterates nodes in order starting at `from` (default: the first). */
  *nodes(from: SkipNode | null = this.first): IterableIterator<SkipNode> {
    for (let x = from; x !== null; x = x.next) yield x;
  }
}
