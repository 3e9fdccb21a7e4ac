/**
 * Layout of the search tree (beam search, lookahead, DVTS): a horizontal tidy tree where each
 * column is one depth (one search round), computed with d3-hierarchy. Pure: the component maps
 * the result to SVG, and the tests check coordinates, spacing and flags without a DOM.
 */
import { hierarchy, tree, type HierarchyNode, type HierarchyPointNode } from 'd3-hierarchy';
import type { NodeKind, NodeStatus, TraceNode, TraceState } from '../../engine/trace/events';
import { truncate } from '../shared/format';
import { revealedText, type TypingTarget } from '../shared/typing';

export interface TreeLayoutOptions {
  /** Vertical distance between neighbouring siblings, in px (at zoom 1). */
  rowHeight: number;
  /** Horizontal distance between depths (rounds), in px (at zoom 1). */
  columnWidth: number;
  /** Most characters of a node's label (its step text). */
  labelChars: number;
  /** The node being typed and how much of it to show (see shared/typing). */
  typing?: TypingTarget | null;
  revealFraction?: number;
  /** Leave pruned nodes (and anything under them) out, to see only the surviving beams. */
  hidePruned?: boolean;
  /**
   * 'compact' (default): one column per depth, each column packed to its own node count, parents
   * centred on their children. 'tidy': d3-hierarchy's Reingold-Tilford tree(), the classic
   * look, but up to 5x taller for wide searches (every pruned leaf keeps a row of its own).
   */
  mode?: 'compact' | 'tidy';
}

export const DEFAULT_TREE_OPTIONS: TreeLayoutOptions = {
  rowHeight: 20,
  columnWidth: 170,
  labelChars: 16,
};

export interface LaidOutNode {
  id: string;
  /** Screen position at zoom 1: x grows with depth, y spreads siblings. */
  x: number;
  y: number;
  depth: number;
  round: number | null;
  lane: number | null;
  kind: NodeKind;
  status: NodeStatus;
  /** The node or one of its ancestors was pruned: draw it faded. */
  faded: boolean;
  score: number | null;
  /** Step text cut to fit a label. */
  label: string;
  /** Full text (shown in a tooltip), typed part only while typing. */
  text: string;
  /** On the path from the root to the chosen answer. */
  onChosenPath: boolean;
  finished: boolean;
  answer: string | null;
  correct: boolean | null;
  cumulativeTokens: number;
  rollout: string | null;
}

export interface LaidOutLink {
  source: string;
  target: string;
  /** SVG path data (a horizontal Bézier from parent to child). */
  d: string;
  faded: boolean;
  onChosenPath: boolean;
}

export interface DepthColumn {
  depth: number;
  x: number;
  /** The search round of the nodes in this column, when they agree on one. */
  round: number | null;
  total: number;
  kept: number;
  pruned: number;
  finished: number;
}

export interface Bounds {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface TreeLayout {
  /** In creation order, so later nodes draw on top. */
  nodes: LaidOutNode[];
  links: LaidOutLink[];
  columns: DepthColumn[];
  /** Box around all node centres. */
  bounds: Bounds;
  byId: Map<string, LaidOutNode>;
}

interface Datum {
  node: TraceNode | null;
  children: Datum[];
}

/** A horizontal Bézier from (x1, y1) to (x2, y2), as d3-shape's linkHorizontal draws it. */
export function horizontalLink(x1: number, y1: number, x2: number, y2: number): string {
  const mx = (x1 + x2) / 2;
  return `M${x1},${y1}C${mx},${y1},${mx},${y2},${x2},${y2}`;
}

/** Spacing factor (in rows) between neighbours in a column: wider between different parents. */
function gapRows(a: HierarchyNode<Datum>, b: HierarchyNode<Datum>): number {
  return a.parent === b.parent ? 1 : 1.3;
}

/**
 * Order-preserving placement with minimum gaps, as close as possible (least squares) to targets:
 * isotonic regression by pool-adjacent-violators after removing the gaps. Exported for tests.
 * @param targets wanted position of each item, in order
 * @param weights how strongly each item wants its target (> 0)
 * @param gaps gaps[i] is the least distance between item i-1 and item i (gaps[0] is ignored)
 * @returns positions p with p[i] - p[i-1] >= gaps[i], minimising sum w (p - target)^2
 */
export function placeInOrder(
  targets: readonly number[],
  weights: readonly number[],
  gaps: readonly number[],
): number[] {
  const n = targets.length;
  const offset: number[] = new Array<number>(n).fill(0);
  for (let i = 1; i < n; i++) offset[i] = (offset[i - 1] as number) + (gaps[i] as number);
  // Blocks of pooled items: [start, end), weighted mean of (target - offset).
  const blocks: { start: number; end: number; weight: number; mean: number }[] = [];
  for (let i = 0; i < n; i++) {
    let block = {
      start: i,
      end: i + 1,
      weight: weights[i] as number,
      mean: (targets[i] as number) - (offset[i] as number),
    };
    for (;;) {
      const last = blocks[blocks.length - 1];
      if (!last || last.mean <= block.mean) break;
      blocks.pop();
      const weight = last.weight + block.weight;
      block = {
        start: last.start,
        end: block.end,
        weight,
        mean: (last.mean * last.weight + block.mean * block.weight) / weight,
      };
    }
    blocks.push(block);
  }
  const out: number[] = new Array<number>(n).fill(0);
  for (const b of blocks)
    for (let i = b.start; i < b.end; i++) out[i] = b.mean + (offset[i] as number);
  return out;
}

/** How strongly a parent is pulled towards its children (1) versus an even column (0). */
const ALIGN_WITH_CHILDREN = 0.5;

/**
 * Compact layered placement. d3-hierarchy gives the structure and the pre-order; each depth is a
 * column whose nodes keep pre-order, so links never cross. A column's nodes want to be evenly
 * spaced and centred (so a column is about as tall as its node count: 64 candidates take 64
 * rows, not the several hundred a tidy tree needs when every pruned leaf keeps its own row), and
 * a parent is also pulled halfway towards the mean of its children, placed first (bottom-up).
 * placeInOrder keeps at least one row between neighbours while moving nodes as little as possible.
 * @returns the vertical position of every node, in rows
 */
function compactRows(root: HierarchyNode<Datum>): Map<HierarchyNode<Datum>, number> {
  const columns: HierarchyNode<Datum>[][] = [];
  root.eachBefore((n) => {
    (columns[n.depth] ??= []).push(n);
  });
  const y = new Map<HierarchyNode<Datum>, number>();
  for (let depth = columns.length - 1; depth >= 0; depth--) {
    const column = columns[depth] ?? [];
    const gaps = column.map((n, i) =>
      i === 0 ? 0 : gapRows(column[i - 1] as HierarchyNode<Datum>, n),
    );
    const even: number[] = [];
    gaps.forEach((g, i) => even.push(i === 0 ? 0 : (even[i - 1] as number) + g));
    const middle = (even[even.length - 1] ?? 0) / 2;
    const targets = column.map((n, i) => {
      const e = (even[i] as number) - middle;
      if (!n.children || n.children.length === 0) return e;
      const mean = n.children.reduce((sum, c) => sum + (y.get(c) ?? 0), 0) / n.children.length;
      return ALIGN_WITH_CHILDREN * mean + (1 - ALIGN_WITH_CHILDREN) * e;
    });
    const rows = placeInOrder(
      targets,
      targets.map(() => 1),
      gaps,
    );
    column.forEach((n, i) => y.set(n, rows[i] as number));
  }
  return y;
}

/**
 * Lay out the trace's tree.
 * @param state trace state at the playback cursor
 * @param options spacing and label settings (see DEFAULT_TREE_OPTIONS)
 * @returns positioned nodes and links, per-depth columns with kept/pruned counts, and bounds;
 *   empty when the trace has no nodes yet
 */
export function layoutBeamTree(
  state: TraceState,
  options: TreeLayoutOptions = DEFAULT_TREE_OPTIONS,
): TreeLayout {
  const { rowHeight, columnWidth, labelChars } = options;
  const typing = options.typing ?? null;
  const revealFraction = options.revealFraction ?? 1;

  const roots = state.order
    .map((id) => state.nodes[id])
    .filter((n): n is TraceNode => n !== undefined && n.parent === null);
  if (roots.length === 0) {
    return {
      nodes: [],
      links: [],
      columns: [],
      bounds: { x0: 0, y0: 0, x1: 0, y1: 0 },
      byId: new Map(),
    };
  }

  const hidePruned = options.hidePruned ?? false;
  const build = (node: TraceNode): Datum => ({
    node,
    children: node.children
      .map((c) => state.nodes[c])
      .filter((c): c is TraceNode => c !== undefined && !(hidePruned && c.status === 'pruned'))
      .map(build),
  });
  // Several parentless nodes (unusual) hang under an invisible root so one layout holds them all.
  const virtual = roots.length > 1;
  const rootDatum: Datum =
    roots.length === 1 ? build(roots[0] as TraceNode) : { node: null, children: roots.map(build) };

  const h = hierarchy(rootDatum, (d) => d.children);
  let laid: HierarchyPointNode<Datum>;
  if (options.mode === 'tidy') {
    laid = tree<Datum>()
      .nodeSize([rowHeight, columnWidth])
      // Cousins get a little more room than siblings, so each parent's proposals read as a group.
      .separation((a, b) => (a.parent === b.parent ? 1 : 1.4))(h);
  } else {
    const rows = compactRows(h);
    // Same shape as tree()'s output: x across (breadth), y along depth.
    h.each((n) => {
      const p = n as HierarchyPointNode<Datum>;
      p.x = (rows.get(n) ?? 0) * rowHeight;
      p.y = n.depth * columnWidth;
    });
    laid = h as HierarchyPointNode<Datum>;
  }

  const depthShift = virtual ? 1 : 0;
  const nodes: LaidOutNode[] = [];
  const links: LaidOutLink[] = [];
  const byId = new Map<string, LaidOutNode>();

  const fadedOf = new Map<HierarchyPointNode<Datum>, boolean>();
  laid.each((p) => {
    const n = p.data.node;
    const parentFaded = p.parent ? (fadedOf.get(p.parent) ?? false) : false;
    fadedOf.set(p, parentFaded || n?.status === 'pruned');
  });

  laid.each((p) => {
    const n = p.data.node;
    if (n === null) return;
    const text = revealedText(n, typing, revealFraction);
    const finished = n.finishReason !== undefined;
    const item: LaidOutNode = {
      id: n.id,
      x: (p.depth - depthShift) * columnWidth,
      y: p.x,
      depth: p.depth - depthShift,
      round: n.round ?? null,
      lane: n.lane ?? null,
      kind: n.kind,
      status: n.status,
      faded: fadedOf.get(p) ?? false,
      score: n.score ?? null,
      label: truncate(text, labelChars),
      text,
      onChosenPath: n.selected,
      finished,
      answer: finished ? (n.answer ?? null) : null,
      correct: finished ? (n.correct ?? false) : null,
      cumulativeTokens: n.cumulativeTokens,
      rollout: n.rollout ?? null,
    };
    byId.set(n.id, item);
  });
  // Creation order: nodes created later (deeper rounds) draw over earlier ones.
  for (const id of state.order) {
    const item = byId.get(id);
    if (item) nodes.push(item);
  }
  for (const item of nodes) {
    const parentId = state.nodes[item.id]?.parent ?? null;
    const parent = parentId === null ? undefined : byId.get(parentId);
    if (!parent) continue;
    links.push({
      source: parent.id,
      target: item.id,
      d: horizontalLink(parent.x, parent.y, item.x, item.y),
      faded: item.faded,
      onChosenPath: item.onChosenPath && parent.onChosenPath,
    });
  }

  const columns = new Map<number, DepthColumn & { rounds: Set<number | null> }>();
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const item of nodes) {
    x0 = Math.min(x0, item.x);
    x1 = Math.max(x1, item.x);
    y0 = Math.min(y0, item.y);
    y1 = Math.max(y1, item.y);
    let col = columns.get(item.depth);
    if (!col) {
      col = {
        depth: item.depth,
        x: item.x,
        round: null,
        total: 0,
        kept: 0,
        pruned: 0,
        finished: 0,
        rounds: new Set(),
      };
      columns.set(item.depth, col);
    }
    col.total++;
    if (item.status === 'kept') col.kept++;
    if (item.status === 'pruned') col.pruned++;
    if (item.finished) col.finished++;
    col.rounds.add(item.round);
  }
  const columnList: DepthColumn[] = [...columns.values()]
    .sort((a, b) => a.depth - b.depth)
    .map(({ rounds, ...col }) => ({
      ...col,
      round: rounds.size === 1 ? ([...rounds][0] ?? null) : null,
    }));

  return { nodes, links, columns: columnList, bounds: { x0, y0, x1, y1 }, byId };
}

export interface ZoomTransform {
  x: number;
  y: number;
  k: number;
}

/**
 * The zoom transform that fits `bounds` into a viewport, centred.
 * @param bounds box to show, in layout coordinates
 * @param width viewport width in px
 * @param height viewport height in px
 * @param padding margin kept free on each side, in px (room for labels)
 * @param maxScale never zoom in beyond this (a two-node tree should not fill the screen)
 */
export function fitTransform(
  bounds: Bounds,
  width: number,
  height: number,
  padding: { left: number; right: number; top: number; bottom: number },
  maxScale = 1.5,
): ZoomTransform {
  const bw = Math.max(1, bounds.x1 - bounds.x0);
  const bh = Math.max(1, bounds.y1 - bounds.y0);
  const aw = Math.max(1, width - padding.left - padding.right);
  const ah = Math.max(1, height - padding.top - padding.bottom);
  const k = Math.min(maxScale, aw / bw, ah / bh);
  return {
    k,
    x: padding.left + (aw - bw * k) / 2 - bounds.x0 * k,
    y: padding.top + (ah - bh * k) / 2 - bounds.y0 * k,
  };
}

/**
 * The transform the view follows a growing tree with: the whole tree (fitTransform) while that
 * keeps it at `minScale` or more; else `minScale`, with the newest columns (the right edge) in
 * view and the tree centred vertically. A deep search (level 7 has 17 rounds) fitted whole is a
 * row of dots without labels; following its frontier keeps what is happening readable, and "Fit
 * to view" still shows the whole tree.
 * @param minScale smallest scale at which labels stay readable
 */
export function followTransform(
  bounds: Bounds,
  width: number,
  height: number,
  padding: { left: number; right: number; top: number; bottom: number },
  maxScale: number,
  minScale: number,
): ZoomTransform {
  const whole = fitTransform(bounds, width, height, padding, maxScale);
  if (whole.k >= minScale) return whole;
  const k = minScale;
  const ah = Math.max(1, height - padding.top - padding.bottom);
  return {
    k,
    x: width - padding.right - bounds.x1 * k,
    y: padding.top + ah / 2 - ((bounds.y0 + bounds.y1) / 2) * k,
  };
}

/**
 * Keyboard navigation in the tree: the node to select from `currentId` for an arrow key.
 * Left goes to the parent, Right to the first surviving child (else the first child), Up/Down to
 * the neighbour above/below in the same column.
 * @param layout the current layout
 * @param state trace state (for parent/children)
 * @param currentId selected node, or null (then any key selects the root)
 * @param key 'ArrowLeft' | 'ArrowRight' | 'ArrowUp' | 'ArrowDown'
 */
export function neighbourFor(
  layout: TreeLayout,
  state: TraceState,
  currentId: string | null,
  key: 'ArrowLeft' | 'ArrowRight' | 'ArrowUp' | 'ArrowDown',
): string | null {
  const current = currentId === null ? undefined : layout.byId.get(currentId);
  if (!current) return layout.nodes[0]?.id ?? null;
  const node = state.nodes[current.id];
  if (!node) return current.id;
  switch (key) {
    case 'ArrowLeft':
      return node.parent !== null && layout.byId.has(node.parent) ? node.parent : current.id;
    case 'ArrowRight': {
      const children = node.children.filter((c) => layout.byId.has(c));
      const alive = children.find((c) => !layout.byId.get(c)?.faded);
      return alive ?? children[0] ?? current.id;
    }
    case 'ArrowUp':
    case 'ArrowDown': {
      const column = layout.nodes
        .filter((n) => n.depth === current.depth)
        .sort((a, b) => a.y - b.y);
      const i = column.findIndex((n) => n.id === current.id);
      const j = key === 'ArrowUp' ? i - 1 : i + 1;
      return column[j]?.id ?? current.id;
    }
  }
}
