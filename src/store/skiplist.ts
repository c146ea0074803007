/**
 * The sorted set's ordered index, ordered by (score, member) as Redis's zskiplist and keeping its
 * interface (insert, delete, score update, rank lookup, seek to a rank, a score bound or a lex
 * bound), implemented as a counted B+tree: leaves hold up to LEAF_MAX elements with their scores
 * in a parallel number array, inner nodes hold per-child element counts (for ranks) and
 * separator keys. A descent touches a few arrays instead of ~30 scattered skiplist nodes, which
 * is what made ZADD on a 100k-member zset cache-miss bound. Each element knows its leaf (and its
 * index there, as a hint), each node its parent, and leaves are chained: `next`/`backward` walk
 * the leaves, and a member's update or removal starts from its leaf instead of a descent.
 * There is no per-element linked list: keeping one cost four writes to neighbouring elements
 * (four cache misses on a large set) per ZADD update.
 *
 * Members are latin1 strings (one char per byte), so JS `<` on them is Redis's byte-wise
 * memcmp order. Scores are IEEE doubles, never NaN. Ranks are 1-based here (as zslGetRank);
 * callers convert to Redis's 0-based ranks.
 * Source: Redis 7.0 t_zset.c (zslInsert, zslDelete, zslGetRank, zslGetElementByRank,
 * zslFirstInRange, zslLastInRange, zslFirstInLexRange, zslLastInLexRange, zslUpdateScore) for
 * the semantics; the tree layout is ours.
 */

/** Most elements a leaf holds before it splits. */
const LEAF_MAX = 64;
/** Most children an inner node holds before it splits. */
const INNER_MAX = 64;

/**
 * One element: member and score. Callers read `ele`/`score` and walk `next`/`backward` (the
 * neighbours in order, found through the element's leaf); they never write them.
 */
export class SkipNode {
  /** The leaf holding this element, or null once it is removed. Exact (kept by splits and merges). */
  leaf: TNode | null = null;
  /** Index in `leaf.items` when last placed; shifts in the leaf make it stale (checked before use). */
  idx = 0;
  constructor(
    public ele: string,
    public score: number,
  ) {}

  /** The next element in order, or null at the tail (or once removed). O(1) while walking. */
  get next(): SkipNode | null {
    const leaf = this.leaf;
    if (leaf === null) return null;
    const items = leaf.items;
    const i = indexIn(leaf, this);
    let n: SkipNode;
    if (i + 1 < items.length) {
      n = items[i + 1];
      if (n.idx !== i + 1) n.idx = i + 1;
    } else {
      const nl = leaf.nextLeaf;
      if (nl === null) return null;
      n = nl.items[0];
      if (n.idx !== 0) n.idx = 0;
    }
    return n;
  }

  /** The previous element in order, or null at the head (or once removed). */
  get backward(): SkipNode | null {
    const leaf = this.leaf;
    if (leaf === null) return null;
    const items = leaf.items;
    const i = indexIn(leaf, this);
    let n: SkipNode;
    if (i > 0) {
      n = items[i - 1];
      if (n.idx !== i - 1) n.idx = i - 1;
    } else {
      const pl = leaf.prevLeaf;
      if (pl === null) return null;
      const k = pl.items.length - 1;
      n = pl.items[k];
      if (n.idx !== k) n.idx = k;
    }
    return n;
  }
}

/**
 * A tree node (internal to this module; exported as the type of `SkipNode.leaf`). A leaf holds
 * its elements sorted in `items`, with `scores[i]` = `items[i].score` so searches compare plain
 * doubles. An inner node holds `kids`, with `counts[i]` = number of elements under `kids[i]`, and
 * separators (`scores[i]`, `seps[i]`) for i ≥ 1 (slot 0 unused): every element under kids[i] is
 * ≥ separator i and < separator i+1. Separators are lower bounds fixed at split time; deletions
 * may leave them stale, which keeps that invariant. One class for both kinds keeps property
 * accesses monomorphic.
 */
export class TNode {
  /** Leaf: element scores; inner: separator scores (slot 0 unused). */
  scores: number[] = [];
  /** Leaf: the elements. */
  items: SkipNode[] = [];
  /**
   * Inner: separator members (slot 0 unused). Leaf: the elements' members (`seps[i]` =
   * `items[i].ele`), so a search breaking a score tie reads the string without the element.
   */
  seps: string[] = [];
  /** Inner: children. */
  kids: TNode[] = [];
  /** Inner: element count under each child. */
  counts: number[] = [];
  /** The inner node holding this one, or null for the root. */
  parent: TNode | null = null;
  /** Leaf: the next / previous leaf in order (null at the ends). */
  nextLeaf: TNode | null = null;
  prevLeaf: TNode | null = null;
  constructor(readonly leaf: boolean) {}
}

/** Index of `node` in `leaf` (which holds it): its `idx` hint when right, else `locate`. */
function indexIn(leaf: TNode, node: SkipNode): number {
  const i = node.idx;
  return i < leaf.items.length && leaf.items[i] === node ? i : locate(leaf, node);
}

/**
 * Index of `node` in its leaf when its `idx` hint is stale: by score (binary search), then by
 * identity among equal scores. @throws if absent (a broken invariant).
 */
function locate(leaf: TNode, node: SkipNode): number {
  const i = leafIndexOf(leaf, node.score, node);
  if (i < 0) throw new Error('skiplist: element not in its leaf');
  node.idx = i;
  return i;
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

/** (score, ele) strictly before (score2, ele2)? */
function before(score: number, ele: string, score2: number, ele2: string): boolean {
  return score < score2 || (score === score2 && ele < ele2);
}

/** Inner node: index of the child whose key interval holds (score, ele) (last separator ≤ key). */
function childForKey(x: TNode, score: number, ele: string): number {
  const sc = x.scores;
  const sp = x.seps;
  let lo = 1;
  let hi = x.kids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const s = sc[mid];
    if (s < score || (s === score && sp[mid] <= ele)) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** Leaf: index of the first element ≥ (score, ele) (items.length if none). */
function leafLowerBound(x: TNode, score: number, ele: string): number {
  const sc = x.scores;
  const es = x.seps;
  let lo = 0;
  let hi = es.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const s = sc[mid];
    if (s < score || (s === score && es[mid] < ele)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Leaf: index of `node` (whose score is `score`), or -1. Finds the first element with that score
 * comparing numbers only, then steps over equal scores comparing identities: no element or
 * member string is read (each would be a cache miss on a large set).
 */
function leafIndexOf(x: TNode, score: number, node: SkipNode): number {
  const sc = x.scores;
  const it = x.items;
  const n = it.length;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sc[mid] < score) lo = mid + 1;
    else hi = mid;
  }
  for (; lo < n && sc[lo] === score; lo++) if (it[lo] === node) return lo;
  return -1;
}

/** Leaf: is (score, ele) strictly after element `i`? Reads the element only on a score tie. */
function afterItem(x: TNode, i: number, score: number, ele: string): boolean {
  const s = x.scores[i];
  return s < score || (s === score && x.seps[i] < ele);
}

/** Leaf: is (score, ele) strictly before element `i`? Reads the element only on a score tie. */
function beforeItem(x: TNode, i: number, score: number, ele: string): boolean {
  const s = x.scores[i];
  return score < s || (score === s && ele < x.seps[i]);
}

/**
 * Inserts `node` at index `p` of a leaf's arrays by shifting the tail one slot (no splice: it
 * allocates the array of removed elements on every call), and points the node at the leaf.
 */
function leafInsert(x: TNode, p: number, node: SkipNode, score: number): void {
  const items = x.items;
  const scores = x.scores;
  const eles = x.seps;
  let k = items.length;
  items.push(node);
  scores.push(score);
  eles.push(node.ele);
  for (; k > p; k--) {
    items[k] = items[k - 1];
    scores[k] = scores[k - 1];
    eles[k] = eles[k - 1];
  }
  items[p] = node;
  scores[p] = score;
  eles[p] = node.ele;
  node.leaf = x;
  node.idx = p;
}

/** Removes index `p` from a leaf's arrays (shift/pop at the ends, a tail shift otherwise). */
function leafRemove(x: TNode, p: number): void {
  const items = x.items;
  const scores = x.scores;
  const eles = x.seps;
  const last = items.length - 1;
  if (p === 0) {
    items.shift();
    scores.shift();
    eles.shift();
    return;
  }
  for (let k = p; k < last; k++) {
    items[k] = items[k + 1];
    scores[k] = scores[k + 1];
    eles[k] = eles[k + 1];
  }
  items.pop();
  scores.pop();
  eles.pop();
}

/** Number of entries (elements or children) of a tree node. */
function width(x: TNode): number {
  return x.leaf ? x.items.length : x.kids.length;
}

/** Takes leaf `x` out of the leaf chain. */
function unlinkLeaf(x: TNode): void {
  const pl = x.prevLeaf;
  const nl = x.nextLeaf;
  if (pl !== null) pl.nextLeaf = nl;
  if (nl !== null) nl.prevLeaf = pl;
  x.prevLeaf = null;
  x.nextLeaf = null;
}

/** Removes child `i` of an inner node with its count and separator (a leaf leaves the chain). */
function removeChild(p: TNode, i: number): void {
  const k = p.kids[i];
  if (k.leaf) unlinkLeaf(k);
  k.parent = null;
  p.kids.splice(i, 1);
  p.counts.splice(i, 1);
  p.scores.splice(i, 1);
  p.seps.splice(i, 1);
}

/** Merges child j+1 of `p` into child j (same kind) and drops child j+1. */
function mergeKids(p: TNode, j: number): void {
  const l = p.kids[j];
  const r = p.kids[j + 1];
  if (l.leaf) {
    for (let k = 0; k < r.items.length; k++) {
      const e = r.items[k];
      e.leaf = l;
      e.idx = l.items.length;
      l.items.push(e);
      l.scores.push(r.scores[k]);
      l.seps.push(r.seps[k]);
    }
    r.items = [];
    r.scores = [];
    r.seps = [];
  } else {
    // r's first child starts at p's separator j+1.
    for (let k = 0; k < r.kids.length; k++) {
      r.kids[k].parent = l;
      l.kids.push(r.kids[k]);
      l.counts.push(r.counts[k]);
      l.scores.push(k === 0 ? p.scores[j + 1] : r.scores[k]);
      l.seps.push(k === 0 ? p.seps[j + 1] : r.seps[k]);
    }
    r.kids = [];
  }
  p.counts[j] += p.counts[j + 1];
  removeChild(p, j + 1);
}

/**
 * The ordered index. `length` counts elements; `first`/`tail` are the first and last elements
 * (null when empty). Not reentrant (one shared descent path): callers are synchronous command
 * handlers.
 */
export class SkipList {
  private root = new TNode(true);
  length = 0;
  /**
   * Path of the current insert/delete: the nodes from the root down and the child index taken
   * in each (per instance, so a dropped zset's tree is not kept reachable).
   */
  private readonly pathNode: TNode[] = [];
  private readonly pathIdx: number[] = [];

  /** First element in order, or null. O(depth). */
  get first(): SkipNode | null {
    let x = this.root;
    while (!x.leaf) x = x.kids[0];
    if (x.items.length === 0) return null;
    const n = x.items[0];
    n.idx = 0;
    return n;
  }

  /** Last element in order, or null. O(depth). */
  get tail(): SkipNode | null {
    let x = this.root;
    while (!x.leaf) x = x.kids[x.kids.length - 1];
    const k = x.items.length - 1;
    if (k < 0) return null;
    const n = x.items[k];
    n.idx = k;
    return n;
  }

  /** Inserts a member that must not already be present (zslInsert). @returns its node. */
  insert(score: number, ele: string): SkipNode {
    const node = new SkipNode(ele, score);
    this.insertNode(node);
    return node;
  }

  /** Places `node` (detached) at its (score, ele) position: one descent. */
  private insertNode(node: SkipNode): void {
    const pathNode = this.pathNode;
    const pathIdx = this.pathIdx;
    const score = node.score;
    const ele = node.ele;
    let x = this.root;
    let d = 0;
    while (!x.leaf) {
      const i = childForKey(x, score, ele);
      x.counts[i]++;
      pathNode[d] = x;
      pathIdx[d] = i;
      d++;
      x = x.kids[i];
    }
    const n = x.items.length;
    const p = leafLowerBound(x, score, ele);
    leafInsert(x, p, node, score);
    this.length++;
    if (n + 1 > LEAF_MAX) this.split(x, d, p === n && x.nextLeaf === null);
  }

  /**
   * Splits the overfull node `x` at depth `d` of the current path, and its ancestors while they
   * overflow. `append` (the insert went to the very end) keeps the left node full, so sorted
   * loads (RDB, clone) fill nodes completely.
   */
  private split(x: TNode, d: number, append: boolean): void {
    const pathNode = this.pathNode;
    const pathIdx = this.pathIdx;
    for (;;) {
      const right = new TNode(x.leaf);
      let sepScore: number;
      let sepEle: string;
      let rightCount: number;
      if (x.leaf) {
        const m = append ? x.items.length - 1 : x.items.length >> 1;
        right.items = x.items.splice(m);
        right.scores = x.scores.splice(m);
        right.seps = x.seps.splice(m);
        for (let k = 0; k < right.items.length; k++) {
          const e = right.items[k];
          e.leaf = right;
          e.idx = k;
        }
        const nl = x.nextLeaf;
        right.nextLeaf = nl;
        if (nl !== null) nl.prevLeaf = right;
        right.prevLeaf = x;
        x.nextLeaf = right;
        sepScore = right.scores[0];
        sepEle = right.seps[0];
        rightCount = right.items.length;
      } else {
        const m = append ? x.kids.length - 1 : x.kids.length >> 1;
        right.kids = x.kids.splice(m);
        right.counts = x.counts.splice(m);
        right.scores = x.scores.splice(m);
        right.seps = x.seps.splice(m);
        for (let k = 0; k < right.kids.length; k++) right.kids[k].parent = right;
        sepScore = right.scores[0];
        sepEle = right.seps[0];
        rightCount = 0;
        for (let k = 0; k < right.counts.length; k++) rightCount += right.counts[k];
      }
      if (d === 0) {
        const root = new TNode(false);
        root.kids = [x, right];
        root.counts = [this.length - rightCount, rightCount];
        root.scores = [0, sepScore];
        root.seps = ['', sepEle];
        x.parent = root;
        right.parent = root;
        this.root = root;
        return;
      }
      const parent = pathNode[d - 1];
      const i = pathIdx[d - 1];
      right.parent = parent;
      parent.kids.splice(i + 1, 0, right);
      parent.counts[i] -= rightCount;
      parent.counts.splice(i + 1, 0, rightCount);
      parent.scores.splice(i + 1, 0, sepScore);
      parent.seps.splice(i + 1, 0, sepEle);
      if (parent.kids.length <= INNER_MAX) return;
      x = parent;
      d--;
    }
  }

  /** Descends to the leaf whose interval holds (score, ele), recording the path. @returns its depth. */
  private descend(score: number, ele: string): number {
    const pathNode = this.pathNode;
    const pathIdx = this.pathIdx;
    let x = this.root;
    let d = 0;
    while (!x.leaf) {
      const i = childForKey(x, score, ele);
      pathNode[d] = x;
      pathIdx[d] = i;
      d++;
      x = x.kids[i];
    }
    pathNode[d] = x;
    return d;
  }

  /**
   * Records the path from the root down to `leaf` by climbing its parents (the child index in
   * each found by identity among ≤ INNER_MAX children): what `descend` records, with no key
   * comparisons. @returns the leaf's depth.
   */
  private pathTo(leaf: TNode): number {
    const pathNode = this.pathNode;
    const pathIdx = this.pathIdx;
    let d = 0;
    for (let x = leaf.parent; x !== null; x = x.parent) d++;
    pathNode[d] = leaf;
    let child = leaf;
    for (let k = d - 1; k >= 0; k--) {
      const parent = child.parent as TNode;
      pathNode[k] = parent;
      pathIdx[k] = parent.kids.indexOf(child);
      child = parent;
    }
    return d;
  }

  /**
   * Index of `node` in its leaf: its `idx` hint when still right, else a search of the leaf by
   * its score. @returns -1 if it is not in this list (removed, or another list's element).
   */
  private indexInLeaf(node: SkipNode): number {
    const leaf = node.leaf;
    if (leaf === null) return -1;
    const items = leaf.items;
    let p = node.idx;
    if (p >= items.length || items[p] !== node) {
      p = leafIndexOf(leaf, node.score, node);
      if (p < 0) return -1;
      node.idx = p;
    }
    let top = leaf;
    while (top.parent !== null) top = top.parent;
    return top === this.root ? p : -1;
  }

  /**
   * Removes element `p` of the leaf at depth `d` of the current path: fixes counts, and drops
   * or merges nodes that became empty or small.
   */
  private removeAt(leaf: TNode, p: number, d: number): SkipNode {
    const pathNode = this.pathNode;
    const pathIdx = this.pathIdx;
    for (let k = 0; k < d; k++) pathNode[k].counts[pathIdx[k]]--;
    const node = leaf.items[p];
    leafRemove(leaf, p);
    node.leaf = null;
    this.length--;
    if (d > 0 && leaf.items.length <= LEAF_MAX >> 2) this.rebalance(leaf, d);
    return node;
  }

  /** After a removal under `child` (depth d): drops empty nodes, merges small siblings, shrinks the root. */
  private rebalance(child: TNode, d: number): void {
    const pathNode = this.pathNode;
    const pathIdx = this.pathIdx;
    for (let k = d - 1; k >= 0; k--) {
      const parent = pathNode[k];
      const i = pathIdx[k];
      const cn = width(child);
      const quarter = (child.leaf ? LEAF_MAX : INNER_MAX) >> 2;
      if (cn === 0) removeChild(parent, i);
      else if (cn > quarter) break;
      else if (i > 0 && width(parent.kids[i - 1]) + cn <= quarter * 2) mergeKids(parent, i - 1);
      else if (i + 1 < parent.kids.length && width(parent.kids[i + 1]) + cn <= quarter * 2) mergeKids(parent, i);
      else break;
      child = parent;
    }
    let root = this.root;
    while (!root.leaf && root.kids.length === 1) root = root.kids[0];
    if (!root.leaf && root.kids.length === 0) root = new TNode(true);
    root.parent = null;
    this.root = root;
  }

  /**
   * Removes (score, ele) (zslDelete). `node`, when the caller has it (the zset's dict), is that
   * element: it is then found from its leaf, with no descent.
   * @returns true if it was present.
   */
  delete(score: number, ele: string, node?: SkipNode): boolean {
    if (node !== undefined) {
      const p = this.indexInLeaf(node);
      if (p < 0) return false;
      const leaf = node.leaf as TNode;
      this.removeAt(leaf, p, this.pathTo(leaf));
      return true;
    }
    const d = this.descend(score, ele);
    const leaf = this.pathNode[d];
    const p = leafLowerBound(leaf, score, ele);
    if (p >= leaf.items.length) return false;
    const x = leaf.items[p];
    if (x.score !== score || x.ele !== ele) return false;
    this.removeAt(leaf, p, d);
    return true;
  }

  /** Removes the first element (ZPOPMIN): a leftmost descent. @returns the removed node, or null when empty. */
  deleteFirst(): SkipNode | null {
    const pathNode = this.pathNode;
    const pathIdx = this.pathIdx;
    if (this.length === 0) return null;
    let x = this.root;
    let d = 0;
    while (!x.leaf) {
      pathNode[d] = x;
      pathIdx[d] = 0;
      d++;
      x = x.kids[0];
    }
    return this.removeAt(x, 0, d);
  }

  /** Removes the last element (ZPOPMAX): a rightmost descent. @returns the removed node, or null when empty. */
  deleteLast(): SkipNode | null {
    const pathNode = this.pathNode;
    const pathIdx = this.pathIdx;
    if (this.length === 0) return null;
    let x = this.root;
    let d = 0;
    while (!x.leaf) {
      const i = x.kids.length - 1;
      pathNode[d] = x;
      pathIdx[d] = i;
      d++;
      x = x.kids[i];
    }
    return this.removeAt(x, x.items.length - 1, d);
  }

  /**
   * Changes the score of a present member (zslUpdateScore). The element is found from its leaf
   * when the caller has its node (else by a descent); it changes in place when it keeps its
   * position inside its leaf (compared with its leaf neighbours' scores, their members read only
   * on a tie), else it is removed and inserted again (one descent), keeping its node.
   * @returns its node. @throws if the member is absent.
   */
  updateScore(curScore: number, ele: string, newScore: number, node?: SkipNode): SkipNode {
    let leaf: TNode;
    let p: number;
    let d = -1;
    if (node !== undefined) {
      p = this.indexInLeaf(node);
      if (p < 0) throw new Error('skiplist: member not found');
      leaf = node.leaf as TNode;
    } else {
      d = this.descend(curScore, ele);
      leaf = this.pathNode[d];
      p = leafLowerBound(leaf, curScore, ele);
      if (p >= leaf.items.length || leaf.items[p].score !== curScore || leaf.items[p].ele !== ele) {
        throw new Error('skiplist: member not found');
      }
    }
    const items = leaf.items;
    const n = items.length;
    const x = items[p];
    // Interior of the leaf: the separators above stay valid whatever the move inside it.
    if (p > 0 && p < n - 1 && afterItem(leaf, 0, newScore, ele) && beforeItem(leaf, n - 1, newScore, ele)) {
      x.score = newScore;
      if (afterItem(leaf, p - 1, newScore, ele) && beforeItem(leaf, p + 1, newScore, ele)) {
        leaf.scores[p] = newScore;
        return x;
      }
      leafRemove(leaf, p);
      // 1 ≤ q ≤ n - 2: the new place is after items[0] and before the last element.
      leafInsert(leaf, leafLowerBound(leaf, newScore, ele), x, newScore);
      return x;
    }
    if (d < 0) d = this.pathTo(leaf);
    this.removeAt(leaf, p, d);
    x.score = newScore;
    this.insertNode(x);
    return x;
  }

  /** 1-based rank of (score, ele), or 0 if absent (zslGetRank). O(log n). */
  getRank(score: number, ele: string): number {
    let x = this.root;
    let rank = 0;
    while (!x.leaf) {
      const i = childForKey(x, score, ele);
      const c = x.counts;
      for (let k = 0; k < i; k++) rank += c[k];
      x = x.kids[i];
    }
    const p = leafLowerBound(x, score, ele);
    if (p < x.items.length) {
      const n = x.items[p];
      if (n.score === score && n.ele === ele) return rank + p + 1;
    }
    return 0;
  }

  /**
   * 1-based rank of an element of this list from its leaf upwards (no key comparisons), or 0
   * if `node` is not in the list. O(log n).
   */
  rankOf(node: SkipNode): number {
    const p = this.indexInLeaf(node);
    if (p < 0) return 0;
    let rank = p + 1;
    let child = node.leaf as TNode;
    for (let x = child.parent; x !== null; x = x.parent) {
      const i = x.kids.indexOf(child);
      const c = x.counts;
      for (let k = 0; k < i; k++) rank += c[k];
      child = x;
    }
    return rank;
  }

  /** The node at 1-based `rank`, or null when out of range (zslGetElementByRank). O(log n). */
  getByRank(rank: number): SkipNode | null {
    if (rank < 1 || rank > this.length) return null;
    let r = rank - 1;
    let x = this.root;
    while (!x.leaf) {
      const c = x.counts;
      let i = 0;
      while (r >= c[i]) r -= c[i++];
      x = x.kids[i];
    }
    const n = x.items[r];
    n.idx = r;
    return n;
  }

  /**
   * The first element whose score is > `s` (`excl`) or ≥ `s`, or null. Descends by score alone
   * (a separator's member does not matter: elements under later children are ≥ it anyway).
   */
  private firstScoreFrom(s: number, excl: boolean): SkipNode | null {
    let x = this.root;
    while (!x.leaf) {
      const sc = x.scores;
      let lo = 1;
      let hi = x.kids.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (excl ? sc[mid] <= s : sc[mid] < s) lo = mid + 1;
        else hi = mid;
      }
      x = x.kids[lo - 1];
    }
    const sc = x.scores;
    let lo = 0;
    let hi = sc.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (excl ? sc[mid] <= s : sc[mid] < s) lo = mid + 1;
      else hi = mid;
    }
    if (lo < x.items.length) return x.items[lo];
    return lo > 0 ? x.items[lo - 1].next : null;
  }

  /**
   * The first element for which `upper ? !lexLteMax : lexGteMin` holds, or null (a monotone
   * predicate when all scores are equal, as ZRANGEBYLEX assumes).
   */
  private firstLexFrom(r: LexRange, upper: boolean): SkipNode | null {
    let x = this.root;
    while (!x.leaf) {
      const sp = x.seps;
      let lo = 1;
      let hi = x.kids.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (upper ? lexLteMax(sp[mid], r) : !lexGteMin(sp[mid], r)) lo = mid + 1;
        else hi = mid;
      }
      x = x.kids[lo - 1];
    }
    const it = x.items;
    let lo = 0;
    let hi = it.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (upper ? lexLteMax(it[mid].ele, r) : !lexGteMin(it[mid].ele, r)) lo = mid + 1;
      else hi = mid;
    }
    if (lo < it.length) return it[lo];
    return lo > 0 ? it[lo - 1].next : null;
  }

  /** The first node whose score is in range, or null (zslFirstInRange). */
  firstInRange(r: ScoreRange): SkipNode | null {
    if (!this.isInRange(r)) return null;
    const n = this.firstScoreFrom(r.min, r.minex);
    return n !== null && scoreLteMax(n.score, r) ? n : null;
  }

  /** The last node whose score is in range, or null (zslLastInRange). */
  lastInRange(r: ScoreRange): SkipNode | null {
    if (!this.isInRange(r)) return null;
    const after = this.firstScoreFrom(r.max, !r.maxex);
    const x = after === null ? this.tail : after.backward;
    return x !== null && scoreGteMin(x.score, r) ? x : null;
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
    const n = this.firstLexFrom(r, false);
    return n !== null && lexLteMax(n.ele, r) ? n : null;
  }

  /** The last node whose member is in the lex range, or null (zslLastInLexRange). */
  lastInLexRange(r: LexRange): SkipNode | null {
    if (!this.isInLexRange(r)) return null;
    const after = this.firstLexFrom(r, true);
    const x = after === null ? this.tail : after.backward;
    return x !== null && lexGteMin(x.ele, r) ? x : null;
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

  /**
   * Checks the tree's invariants (tests only): counts, separators, order, parent links, the
   * leaf chain, each element's leaf. @throws on a violation.
   */
  verify(): void {
    let count = 0;
    let prev: SkipNode | null = null;
    let prevLeaf: TNode | null = null;
    if (this.root.parent !== null) throw new Error('root parent');
    const walk = (x: TNode, lo: [number, string] | null, hi: [number, string] | null): number => {
      if (x.leaf) {
        if (x.items.length !== x.scores.length || x.items.length !== x.seps.length) throw new Error('leaf arrays differ');
        if (x !== this.root && x.items.length === 0) throw new Error('empty leaf');
        if (x.prevLeaf !== prevLeaf || (prevLeaf !== null && prevLeaf.nextLeaf !== x)) throw new Error('leaf chain');
        prevLeaf = x;
        for (let i = 0; i < x.items.length; i++) {
          const n = x.items[i];
          if (n.leaf !== x) throw new Error('element leaf');
          if (x.scores[i] !== n.score && !(Number.isNaN(x.scores[i]) && Number.isNaN(n.score))) throw new Error('score copy');
          if (x.seps[i] !== n.ele) throw new Error('member copy');
          if (lo !== null && before(n.score, n.ele, lo[0], lo[1])) throw new Error('below separator');
          if (hi !== null && !before(n.score, n.ele, hi[0], hi[1])) throw new Error('above separator');
          if (prev !== null && !before(prev.score, prev.ele, n.score, n.ele)) throw new Error('order');
          prev = n;
          count++;
        }
        return x.items.length;
      }
      const k = x.kids.length;
      if (k === 0 || x.counts.length !== k || x.scores.length !== k || x.seps.length !== k) throw new Error('inner arrays');
      let total = 0;
      for (let i = 0; i < k; i++) {
        if (x.kids[i].parent !== x) throw new Error('parent link');
        const l: [number, string] | null = i === 0 ? lo : [x.scores[i], x.seps[i]];
        const h: [number, string] | null = i + 1 < k ? [x.scores[i + 1], x.seps[i + 1]] : hi;
        const c = walk(x.kids[i], l, h);
        if (c !== x.counts[i]) throw new Error('count');
        total += c;
      }
      return total;
    };
    walk(this.root, null, null);
    if (count !== this.length) throw new Error('length');
    if (prevLeaf !== null && (prevLeaf as TNode).nextLeaf !== null) throw new Error('leaf chain end');
    if (this.tail !== prev) throw new Error('tail');
  }
}
