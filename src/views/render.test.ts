/**
 * Server-side renders of the views (no DOM needed): each view draws its trace, model text stays
 * text (never HTML), and N=64 stays one lane per sample.
 */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { TraceViewProps } from '../app/viewProps';
import { replayTrace } from '../engine/trace/reducer';
import type { StrategyKind } from '../engine/types';
import {
  BeamTreeView,
  BestOfNView,
  RevisionsView,
  ScoreLegend,
  SweepPlot,
  viewForStrategy,
} from './index';
import { beamFixture, bestOfNFixture, revisionsFixture } from './testing/fixtures';
import { sweepFixture } from './sweep/fixture';

const HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>\nA:<b>1</b>\n';

function render(
  view: (p: TraceViewProps) => unknown,
  state: TraceViewProps['state'],
  extra: Partial<TraceViewProps> = {},
) {
  return renderToStaticMarkup(
    createElement(view as (p: TraceViewProps) => null, {
      state,
      selectedNodeId: null,
      onSelectNode: () => undefined,
      presentation: false,
      revealFraction: 1,
      ...extra,
    }),
  );
}

describe('viewForStrategy', () => {
  it('maps every strategy kind to its view', () => {
    const expected: Record<StrategyKind, unknown> = {
      'best-of-n': BestOfNView,
      revisions: RevisionsView,
      beam: BeamTreeView,
      lookahead: BeamTreeView,
      dvts: BeamTreeView,
    };
    for (const [kind, view] of Object.entries(expected))
      expect(viewForStrategy(kind as StrategyKind)).toBe(view);
  });
});

describe('model text is rendered as text, never as HTML', () => {
  it('escapes it in best-of-N lanes', () => {
    const html = render(BestOfNView, replayTrace(bestOfNFixture(4, 1, { 2: HOSTILE })));
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(2)&lt;/script&gt;');
  });

  it('escapes it in revision chains and tree labels', () => {
    const rev = replayTrace(revisionsFixture(2, 2));
    const node = rev.nodes['c1a1'];
    if (!node) throw new Error('fixture changed');
    const hostileRev = { ...rev, nodes: { ...rev.nodes, c1a1: { ...node, text: HOSTILE } } };
    const html = render(RevisionsView, hostileRev);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');

    const beam = replayTrace(beamFixture(4, 2, 2));
    const leaf = beam.order[beam.order.length - 1] ?? '';
    const leafNode = beam.nodes[leaf];
    if (!leafNode) throw new Error('fixture changed');
    const hostileBeam = {
      ...beam,
      nodes: { ...beam.nodes, [leaf]: { ...leafNode, text: HOSTILE } },
    };
    const tree = render(BeamTreeView, hostileBeam);
    expect(tree).not.toContain('<script>');
    expect(tree).not.toContain('<img');
  });
});

describe('views render their traces', () => {
  it('best-of-N: one lane button per sample at N=64, compact rows, the winner marked', () => {
    const state = replayTrace(bestOfNFixture(64, 3));
    const html = render(BestOfNView, state);
    expect(html.match(/class="tv-lane tv-lane--row/g)).toHaveLength(64);
    expect(html.match(/★ <\/span>chosen/g)).toHaveLength(1);
    expect(html).toContain('64 samples');
    // The vote bars: one row per distinct answer, up to 12.
    const answers = state.selection?.votes.length ?? 0;
    expect(html.match(/class="tv-vote-row/g)).toHaveLength(Math.min(12, answers));
  });

  it('revisions: one column per chain and the final choice', () => {
    const html = render(RevisionsView, replayTrace(revisionsFixture(3, 2)));
    expect(html.match(/class="tv-chain"/g)).toHaveLength(3);
    expect(html).toContain('final choice');
  });

  it('beam tree: one clickable group per node, the selection ring and the score legend', () => {
    const state = replayTrace(beamFixture(16, 4, 3));
    const html = render(BeamTreeView, state, { selectedNodeId: state.order[5] ?? null });
    // Root is a square; every other node has a hit-area circle and a score circle.
    expect(html.match(/<g class="tv-node"/g)).toHaveLength(state.order.length);
    expect(html).toContain('stroke-dasharray="4 2"'); // the selection ring
    expect(html).toContain('PRM score');
  });

  it('shows an empty state before a run', () => {
    const empty = replayTrace([]);
    expect(render(BestOfNView, empty)).toContain('No samples yet');
    expect(render(RevisionsView, empty)).toContain('No attempts yet');
    expect(render(BeamTreeView, empty)).toContain('No search yet');
  });

  it('presentation mode switches the larger type on', () => {
    const html = render(BestOfNView, replayTrace(bestOfNFixture(4)), { presentation: true });
    expect(html).toContain('tv-presentation');
  });
});

describe('SweepPlot and ScoreLegend', () => {
  it('draws one line per series and panel, the compute-optimal curve and the readout', () => {
    const html = renderToStaticMarkup(
      createElement(SweepPlot, {
        summary: sweepFixture(),
        unit: 'generations',
        presentation: false,
      }),
    );
    expect(html).toContain('4.0× less compute');
    expect(html).toContain('Generation budget N');
    expect(html).toContain('Compute-optimal');
    expect(html).toContain('>SVG</button>');
    expect(html.match(/stroke-width="3.5"/g)?.length).toBeGreaterThanOrEqual(2); // optimal line + legend
  });

  it('explains an empty or malformed summary instead of failing', () => {
    const html = renderToStaticMarkup(
      createElement(SweepPlot, { summary: { nope: 1 }, unit: 'tokens', presentation: true }),
    );
    expect(html).toContain('No sweep results yet');
  });

  it('labels the score legend', () => {
    const html = renderToStaticMarkup(createElement(ScoreLegend, { title: 'Oracle step score' }));
    expect(html).toContain('Oracle step score');
    expect(html).toContain('linear-gradient');
  });
});
