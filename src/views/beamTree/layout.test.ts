import { describe, expect, it } from 'vitest';
import { exampleBeamTrace } from '../../engine/trace/sample-trace';
import { replayTrace } from '../../engine/trace/reducer';
import { Rng } from '../../engine/random';
import { beamFixture } from '../testing/fixtures';
import {
  DEFAULT_TREE_OPTIONS,
  fitTransform,
  followTransform,
  layoutBeamTree,
  neighbourFor,
  placeInOrder,
  type TreeLayout,
} from './layout';

const opts = { rowHeight: 20, columnWidth: 150, labelChars: 12 };

function columnsOf(layout: TreeLayout) {
  const byDepth = new Map<number, { id: string; y: number }[]>();
  for (const n of layout.nodes) {
    const list = byDepth.get(n.depth) ?? [];
    list.push({ id: n.id, y: n.y });
    byDepth.set(n.depth, list);
  }
  return byDepth;
}

describe.each(['compact', 'tidy'] as const)('layoutBeamTree (%s)', (mode) => {
  const events = beamFixture(64, 4, 5);
  const state = replayTrace(events);
  const layout = layoutBeamTree(state, { ...opts, mode });

  it('gives every node finite coordinates, one column per depth', () => {
    expect(layout.nodes).toHaveLength(state.order.length);
    for (const n of layout.nodes) {
      expect(Number.isFinite(n.x) && Number.isFinite(n.y)).toBe(true);
      expect(n.x).toBe(n.depth * opts.columnWidth);
      expect(n.depth).toBe(state.nodes[n.id]?.depth);
    }
  });

  it('never puts two nodes of a column closer than a row (N=64, 5 rounds)', () => {
    for (const column of columnsOf(layout).values()) {
      const ys = column.map((c) => c.y).sort((a, b) => a - b);
      for (let i = 1; i < ys.length; i++) {
        expect((ys[i] as number) - (ys[i - 1] as number)).toBeGreaterThanOrEqual(
          opts.rowHeight - 1e-6,
        );
      }
    }
  });

  it('draws one link per non-root node, from its parent', () => {
    expect(layout.links).toHaveLength(state.order.length - 1);
    for (const l of layout.links) expect(state.nodes[l.target]?.parent).toBe(l.source);
  });

  it('fades pruned nodes and everything under them, and nothing else', () => {
    for (const n of layout.nodes) {
      let prunedOnPath = false;
      for (let id: string | null = n.id; id !== null; id = state.nodes[id]?.parent ?? null) {
        if (state.nodes[id]?.status === 'pruned') prunedOnPath = true;
      }
      expect(n.faded).toBe(prunedOnPath);
    }
    expect(layout.nodes.some((n) => n.faded)).toBe(true);
  });

  it('counts kept and pruned beams per round', () => {
    const rounds = layout.columns.filter((c) => c.depth > 0 && c.depth < 5);
    expect(rounds.map((c) => c.round)).toEqual([0, 1, 2, 3]);
    for (const c of rounds) {
      expect(c.total).toBe(64);
      expect(c.kept).toBe(16);
      expect(c.pruned).toBe(48);
    }
    expect(layout.columns[5]?.finished).toBe(64);
  });

  it('flags exactly the path from the root to the chosen answer', () => {
    const onPath = layout.nodes.filter((n) => n.onChosenPath).map((n) => n.id);
    const path: string[] = [];
    for (
      let id: string | null = state.selection?.id ?? null;
      id !== null;
      id = state.nodes[id]?.parent ?? null
    )
      path.unshift(id);
    expect(onPath.sort()).toEqual([...path].sort());
    expect(layout.links.filter((l) => l.onChosenPath)).toHaveLength(path.length - 1);
  });

  it('keeps the bounds around every node', () => {
    for (const n of layout.nodes) {
      expect(n.x).toBeGreaterThanOrEqual(layout.bounds.x0);
      expect(n.x).toBeLessThanOrEqual(layout.bounds.x1);
      expect(n.y).toBeGreaterThanOrEqual(layout.bounds.y0);
      expect(n.y).toBeLessThanOrEqual(layout.bounds.y1);
    }
  });
});

describe('compact layout', () => {
  it('keeps pre-order within columns, so links between two columns never cross', () => {
    const state = replayTrace(beamFixture(64, 4, 5, 11));
    const layout = layoutBeamTree(state, { ...opts, mode: 'compact' });
    const byDepth = new Map<number, typeof layout.links>();
    for (const l of layout.links) {
      const d = layout.byId.get(l.target)?.depth ?? -1;
      byDepth.set(d, [...(byDepth.get(d) ?? []), l]);
    }
    for (const links of byDepth.values()) {
      const pairs = links.map(
        (l) => [layout.byId.get(l.source)?.y ?? 0, layout.byId.get(l.target)?.y ?? 0] as const,
      );
      for (const [s1, t1] of pairs) {
        for (const [s2, t2] of pairs) {
          // Two links cross iff their ends are in opposite orders.
          expect((s1 - s2) * (t1 - t2)).toBeGreaterThanOrEqual(0);
        }
      }
    }
  });

  it('stays about as tall as the widest column at N=64 (a tidy tree is several times taller)', () => {
    const state = replayTrace(beamFixture(64, 4, 6, 5));
    const compact = layoutBeamTree(state, { ...opts, mode: 'compact' });
    const rows = (compact.bounds.y1 - compact.bounds.y0) / opts.rowHeight;
    expect(rows).toBeLessThan(64 * 1.4);
  });

  it('leaves pruned branches out on request', () => {
    const state = replayTrace(beamFixture(16, 4, 3));
    const all = layoutBeamTree(state, opts);
    const alive = layoutBeamTree(state, { ...opts, hidePruned: true });
    expect(alive.nodes.length).toBe(all.nodes.filter((n) => !n.faded).length);
    expect(alive.nodes.some((n) => n.faded)).toBe(false);
  });

  it('handles the empty trace and a single root', () => {
    const empty = layoutBeamTree(replayTrace([]), DEFAULT_TREE_OPTIONS);
    expect(empty.nodes).toEqual([]);
    const events = exampleBeamTrace();
    const justRoot = layoutBeamTree(replayTrace(events, 3), DEFAULT_TREE_OPTIONS);
    expect(justRoot.nodes).toHaveLength(1);
    expect(justRoot.nodes[0]).toMatchObject({ id: 'root', x: 0, y: 0, kind: 'root' });
  });
});

describe('placeInOrder', () => {
  it('returns the targets when they already respect the gaps', () => {
    expect(placeInOrder([0, 2, 5], [1, 1, 1], [0, 1, 1])).toEqual([0, 2, 5]);
  });

  it('spreads conflicting items symmetrically around their targets', () => {
    expect(placeInOrder([3, 3], [1, 1], [0, 2])).toEqual([2, 4]);
  });

  it('always respects order and gaps (random inputs)', () => {
    const rng = new Rng(7);
    for (let t = 0; t < 200; t++) {
      const n = rng.int(1, 12);
      const targets = Array.from({ length: n }, () => rng.next() * 10);
      const gaps = Array.from({ length: n }, () => 0.5 + rng.next());
      const weights = Array.from({ length: n }, () => 0.1 + rng.next());
      const p = placeInOrder(targets, weights, gaps);
      for (let i = 1; i < n; i++)
        expect((p[i] as number) - (p[i - 1] as number)).toBeGreaterThanOrEqual(
          (gaps[i] as number) - 1e-9,
        );
    }
  });
});

describe('fitTransform', () => {
  const pad = { left: 10, right: 30, top: 20, bottom: 10 };

  it('maps the bounds inside the padded viewport, touching one pair of sides', () => {
    const b = { x0: -50, y0: -300, x1: 750, y1: 900 };
    const t = fitTransform(b, 800, 500, pad, 2);
    const x0 = b.x0 * t.k + t.x;
    const x1 = b.x1 * t.k + t.x;
    const y0 = b.y0 * t.k + t.y;
    const y1 = b.y1 * t.k + t.y;
    expect(x0).toBeGreaterThanOrEqual(pad.left - 1e-9);
    expect(x1).toBeLessThanOrEqual(800 - pad.right + 1e-9);
    expect(y0).toBeCloseTo(pad.top);
    expect(y1).toBeCloseTo(500 - pad.bottom);
  });

  it('does not zoom a tiny tree in beyond maxScale', () => {
    expect(fitTransform({ x0: 0, y0: 0, x1: 10, y1: 10 }, 800, 500, pad, 1.5).k).toBe(1.5);
  });
});

describe('followTransform', () => {
  const pad = { left: 10, right: 30, top: 20, bottom: 10 };

  it('is the whole-tree fit while that stays readable', () => {
    const b = { x0: 0, y0: 0, x1: 600, y1: 300 };
    expect(followTransform(b, 800, 500, pad, 1.25, 0.65)).toEqual(
      fitTransform(b, 800, 500, pad, 1.25),
    );
  });

  it('keeps a deep tree readable and shows its newest columns', () => {
    const b = { x0: 0, y0: -40, x1: 2000, y1: 60 }; // 11 rounds of 165 px, 4 beams
    expect(fitTransform(b, 800, 500, pad, 1.25).k).toBeLessThan(0.65);
    const t = followTransform(b, 800, 500, pad, 1.25, 0.65);
    expect(t.k).toBe(0.65);
    // The right edge sits at the padded right side; the tree's middle at the padded middle.
    expect(b.x1 * t.k + t.x).toBeCloseTo(800 - pad.right);
    expect(((b.y0 + b.y1) / 2) * t.k + t.y).toBeCloseTo(pad.top + (500 - pad.top - pad.bottom) / 2);
  });
});

describe('neighbourFor (keyboard)', () => {
  const state = replayTrace(exampleBeamTrace());
  const layout = layoutBeamTree(state, opts);

  it('goes to the parent, a surviving child, and the neighbours in the column', () => {
    expect(neighbourFor(layout, state, null, 'ArrowRight')).toBe('root');
    expect(neighbourFor(layout, state, 'a1', 'ArrowLeft')).toBe('a');
    expect(neighbourFor(layout, state, 'root', 'ArrowRight')).toBe('a');
    const column = layout.nodes
      .filter((n) => n.depth === 1)
      .sort((p, q) => p.y - q.y)
      .map((n) => n.id);
    expect(neighbourFor(layout, state, column[1] ?? '', 'ArrowUp')).toBe(column[0]);
    expect(neighbourFor(layout, state, column[0] ?? '', 'ArrowUp')).toBe(column[0]);
    expect(neighbourFor(layout, state, column[0] ?? '', 'ArrowDown')).toBe(column[1]);
  });
});
