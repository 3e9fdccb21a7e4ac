/**
 * The search tree of beam search, lookahead search and DVTS. d3-hierarchy lays it out
 * (layout.ts), React renders every node and link, and d3-zoom only handles pan and zoom gestures
 * on the <svg> (panZoom.ts). Columns are search rounds; node colour is the PRM score (cividis);
 * pruned branches fade; the path to the chosen answer is drawn thick.
 */
import { memo, useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { TraceViewProps } from '../../app/viewProps';
import { ScoreLegend } from '../ScoreLegend';
import { CORRECT_COLOR, INCORRECT_COLOR, scoreColor, UNSCORED_COLOR } from '../shared/colors';
import { formatScore, truncate } from '../shared/format';
import { EmptyView, QuestionLine, rootClass } from '../shared/Marks';
import { revealedText } from '../shared/typing';
import { useElementSize } from '../shared/useElementSize';
import { useTyping } from '../shared/useTyping';
import {
  fitTransform,
  followTransform,
  layoutBeamTree,
  neighbourFor,
  type DepthColumn,
  type LaidOutNode,
  type ZoomTransform,
} from './layout';
import { createPanZoom, type PanZoomInstance } from './panZoom';
import '../views.css';

const STRATEGY_TITLES: Record<string, string> = {
  beam: 'Beam search',
  lookahead: 'Lookahead search',
  dvts: 'DVTS (diverse verifier tree search)',
};

const INK = '#1f2328';
const MUTED = '#57606a';
const LINK = '#8c959f';
const SELECT = '#0b57d0';
/** Node labels show only while their font renders at least this many pixels. */
const LABEL_MIN_PX = 9;

/** Spacing and type per mode; presentation mode is bigger everywhere. */
function sizes(presentation: boolean) {
  return presentation
    ? { rowHeight: 25, columnWidth: 205, labelChars: 16, fontSize: 19, radius: 8, header: 52 }
    : { rowHeight: 22, columnWidth: 165, labelChars: 16, fontSize: 14, radius: 6, header: 42 };
}

function columnTitle(col: DepthColumn): string {
  if (col.depth === 0) return 'Question';
  return col.round !== null ? `Round ${col.round}` : `Depth ${col.depth}`;
}

function columnStats(col: DepthColumn): string {
  const parts: string[] = [];
  if (col.kept > 0) parts.push(`${col.kept} kept`);
  if (col.pruned > 0) parts.push(`${col.pruned} pruned`);
  if (col.finished > 0) parts.push(`${col.finished} done`);
  return parts.length > 0
    ? parts.join(' · ')
    : `${col.total} ${col.total === 1 ? 'node' : 'nodes'}`;
}

function nodeTitle(n: LaidOutNode, text: string): string {
  const lines = [text.trimEnd() || '(no text yet)'];
  lines.push(`score ${formatScore(n.score)} · ${n.cumulativeTokens} tokens so far · ${n.status}`);
  if (n.finished) lines.push(`answer ${n.answer ?? 'none'} (${n.correct ? 'correct' : 'wrong'})`);
  if (n.rollout) lines.push(`lookahead rollout: ${n.rollout.trimEnd()}`);
  return lines.join('\n');
}

interface TreeNodeProps {
  node: LaidOutNode;
  label: string;
  text: string;
  selected: boolean;
  radius: number;
  labelsVisible: boolean;
  fontSize: number;
  hitRadius: number;
  /** Current zoom when labels are hidden (the ✓/✗ marks are counter-scaled), else 1. */
  zoom: number;
  onSelect(id: string): void;
}

/**
 * One node: hit area, selection ring, score-coloured disc (a square for the question), label and
 * correctness mark. Memoised so typing into one label does not re-render hundreds of nodes.
 */
const TreeNode = memo(function TreeNode({
  node: n,
  label,
  text,
  selected,
  radius,
  labelsVisible,
  fontSize,
  hitRadius,
  zoom,
  onSelect,
}: TreeNodeProps) {
  const emphasised = n.status === 'kept' || n.onChosenPath;
  return (
    <g
      className="tv-node"
      transform={`translate(${n.x},${n.y})`}
      onClick={(e) => {
        e.stopPropagation();
        onSelect(n.id);
      }}
    >
      <title>{nodeTitle(n, text)}</title>
      <circle r={hitRadius} fill="transparent" />
      {selected ? (
        <circle r={radius + 5} fill="none" stroke={SELECT} strokeWidth={3} strokeDasharray="4 2" />
      ) : null}
      <g opacity={n.faded && !selected ? 0.32 : 1}>
        {n.kind === 'root' ? (
          <rect x={-radius} y={-radius} width={radius * 2} height={radius * 2} fill={INK} />
        ) : (
          <circle
            r={radius}
            fill={n.score === null ? UNSCORED_COLOR : scoreColor(n.score)}
            stroke={emphasised ? INK : MUTED}
            strokeWidth={emphasised ? 2.2 : 1}
          />
        )}
        {labelsVisible ? (
          <text
            x={radius + 5}
            dy="0.35em"
            fontSize={fontSize}
            fill={INK}
            stroke="#ffffff"
            strokeWidth={4}
            strokeLinejoin="round"
            paintOrder="stroke"
          >
            {label}
            {n.finished ? (
              <tspan fill={n.correct ? CORRECT_COLOR : INCORRECT_COLOR} fontWeight={700}>
                {n.correct ? ' ✓' : ' ✗'}
              </tspan>
            ) : null}
          </text>
        ) : n.finished ? (
          <text
            x={radius + 2}
            dy="0.35em"
            fontSize={Math.min(hitRadius * 1.8, 11 / zoom)}
            fill={n.correct ? CORRECT_COLOR : INCORRECT_COLOR}
            fontWeight={700}
          >
            {n.correct ? '✓' : '✗'}
          </text>
        ) : null}
      </g>
    </g>
  );
});

/** Beam / lookahead / DVTS tree. Props: see TraceViewProps (src/app/viewProps.ts). */
export function BeamTreeView({
  state,
  selectedNodeId,
  onSelectNode,
  presentation,
  revealFraction,
}: TraceViewProps) {
  const s = sizes(presentation);
  const typing = useTyping(state);
  const [showPruned, setShowPruned] = useState(true);
  // Positions do not depend on how much text is revealed, so typing never re-runs the layout.
  const layout = useMemo(
    () =>
      layoutBeamTree(state, {
        rowHeight: s.rowHeight,
        columnWidth: s.columnWidth,
        labelChars: s.labelChars,
        hidePruned: !showPruned,
      }),
    [state, s.rowHeight, s.columnWidth, s.labelChars, showPruned],
  );

  const stageRef = useRef<HTMLDivElement | null>(null);
  const svgRef = useRef<SVGSVGElement | null>(null);
  const size = useElementSize(stageRef, { width: 900, height: 480 });
  const [transform, setTransform] = useState<ZoomTransform>({ x: 40, y: 40, k: 1 });
  const panZoom = useRef<PanZoomInstance | null>(null);
  // The view follows the growing tree until the user pans or zooms: readably, showing the newest
  // rounds of a deep tree ('frontier'), or whole after "Fit to view" ('whole').
  const following = useRef<'frontier' | 'whole' | null>('frontier');

  useEffect(() => {
    const svg = svgRef.current;
    if (!svg) return;
    const instance = createPanZoom(svg, {
      minZoom: 0.05,
      maxZoom: 4,
      onTransform(t, byUser) {
        if (byUser) following.current = null;
        setTransform(t);
      },
    });
    panZoom.current = instance;
    return () => {
      instance.destroy();
      panZoom.current = null;
    };
  }, []);

  const hasNodes = layout.nodes.length > 0;
  const fit = useCallback(
    (whole: boolean) => {
      if (!hasNodes) return;
      const padding = { left: 24, right: s.fontSize * 8, top: s.header + 16, bottom: 20 };
      panZoom.current?.setTransform(
        whole
          ? fitTransform(layout.bounds, size.width, size.height, padding, 1.25)
          : // A little above the scale where labels appear.
            followTransform(
              layout.bounds,
              size.width,
              size.height,
              padding,
              1.25,
              (LABEL_MIN_PX + 1) / s.fontSize,
            ),
      );
    },
    [hasNodes, layout.bounds, size.width, size.height, s.fontSize, s.header],
  );

  useEffect(() => {
    if (following.current) fit(following.current === 'whole');
  }, [fit]);

  // Readable zoom (1) centred on the selected node, else on the chosen answer, else the newest node.
  const focus = () => {
    const target =
      (selectedNodeId !== null ? layout.byId.get(selectedNodeId) : undefined) ??
      (state.selection?.id ? layout.byId.get(state.selection.id) : undefined) ??
      layout.nodes[layout.nodes.length - 1];
    if (!target) return;
    following.current = null;
    const k = 1;
    panZoom.current?.setTransform({
      k,
      x: size.width / 2 - target.x * k - s.columnWidth * 0.3,
      y: (size.height + s.header) / 2 - target.y * k,
    });
  };

  const onKeyDown = (e: KeyboardEvent<SVGSVGElement>) => {
    if (
      e.key === 'ArrowLeft' ||
      e.key === 'ArrowRight' ||
      e.key === 'ArrowUp' ||
      e.key === 'ArrowDown'
    ) {
      // The page also uses arrow keys (playback); inside the focused tree they move the selection.
      e.preventDefault();
      e.stopPropagation();
      const next = neighbourFor(layout, state, selectedNodeId, e.key);
      if (next !== null) onSelectNode(next);
    } else if (e.key === 'Escape') {
      onSelectNode(null);
    }
  };

  // Node groups are memoised; a stable callback keeps them from re-rendering when the page
  // passes a new onSelectNode function on each render.
  const onSelectRef = useRef(onSelectNode);
  useEffect(() => {
    onSelectRef.current = onSelectNode;
  }, [onSelectNode]);
  const selectNode = useCallback((id: string) => onSelectRef.current(id), []);

  const run = state.run;
  const kind = run?.strategy.kind ?? 'beam';
  const title = STRATEGY_TITLES[kind] ?? 'Search tree';
  const scoreTitle =
    kind === 'lookahead'
      ? 'Score of the lookahead rollout'
      : run?.verifier?.kind === 'oracle'
        ? 'Oracle step score'
        : 'PRM score';
  const labelsVisible = s.fontSize * transform.k >= LABEL_MIN_PX;
  const radius = Math.min(s.rowHeight * 0.42, Math.max(s.radius, 3.5 / transform.k));
  const t = transform;
  const lastCol = layout.columns[layout.columns.length - 1];
  // Column headers overlap when zoomed far out: label every k-th column then.
  const colSpacing = s.columnWidth * t.k;
  const headerEvery = Math.max(1, Math.ceil((s.fontSize * 6) / Math.max(1, colSpacing)));
  const detailedHeaders = colSpacing >= s.fontSize * 8;

  return (
    <section className={rootClass(presentation, 'tv-tree')} aria-label={`${title} tree`}>
      <header className="tv-head tv-tree-head">
        <h3 className="tv-title">{title}</h3>
        <span className="tv-muted">
          {layout.nodes.length} {layout.nodes.length === 1 ? 'node' : 'nodes'}
          {lastCol ? ` · ${columnTitle(lastCol).toLowerCase()}` : ''}
        </span>
        <span className="tv-toolbar">
          <button
            type="button"
            className="tv-btn"
            onClick={() => {
              following.current = 'whole';
              fit(true);
            }}
          >
            Fit to view
          </button>
          <button type="button" className="tv-btn" onClick={focus} disabled={!hasNodes}>
            {selectedNodeId !== null ? 'Zoom to selection' : 'Zoom to answer'}
          </button>
          <button
            type="button"
            className="tv-btn"
            aria-label="Zoom in"
            onClick={() => panZoom.current?.scaleBy(1.4)}
          >
            +
          </button>
          <button
            type="button"
            className="tv-btn"
            aria-label="Zoom out"
            onClick={() => panZoom.current?.scaleBy(1 / 1.4)}
          >
            −
          </button>
          <label className="tv-check">
            <input
              type="checkbox"
              checked={showPruned}
              onChange={(e) => setShowPruned(e.target.checked)}
            />
            Show pruned
          </label>
        </span>
      </header>
      <QuestionLine state={state} />
      <div className="tv-tree-keys">
        <ScoreLegend title={scoreTitle} presentation={presentation} />
        <svg
          className="tv-key-svg"
          width={s.fontSize * 26}
          height={s.fontSize * 1.6}
          aria-hidden="true"
        >
          <g fontSize={s.fontSize * 0.95} fill={INK}>
            <line
              x1={2}
              x2={26}
              y1={s.fontSize * 0.8}
              y2={s.fontSize * 0.8}
              stroke={INK}
              strokeWidth={3.5}
            />
            <text x={32} y={s.fontSize * 0.8} dy="0.35em">
              chosen path
            </text>
            <circle
              cx={s.fontSize * 9}
              cy={s.fontSize * 0.8}
              r={s.radius}
              fill={UNSCORED_COLOR}
              stroke={INK}
              strokeWidth={2.2}
            />
            <text x={s.fontSize * 9 + 12} y={s.fontSize * 0.8} dy="0.35em">
              kept
            </text>
            <g opacity={0.3}>
              <circle
                cx={s.fontSize * 13.5}
                cy={s.fontSize * 0.8}
                r={s.radius}
                fill={UNSCORED_COLOR}
                stroke={MUTED}
              />
            </g>
            <text x={s.fontSize * 13.5 + 12} y={s.fontSize * 0.8} dy="0.35em">
              pruned (faded)
            </text>
          </g>
        </svg>
        <span className="tv-muted tv-hint">
          Drag to pan · scroll to zoom · click a node · arrow keys
        </span>
      </div>
      <div className="tv-tree-stage" ref={stageRef}>
        {!hasNodes ? (
          <EmptyView>No search yet. Start a run to watch the tree grow round by round.</EmptyView>
        ) : null}
        <svg
          ref={svgRef}
          className="tv-tree-svg"
          width={size.width}
          height={size.height}
          tabIndex={0}
          role="application"
          aria-roledescription="search tree"
          aria-label={`${title}: ${layout.nodes.length} nodes. Arrow keys move between nodes, Escape clears the selection.`}
          onKeyDown={onKeyDown}
          fontFamily="ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"
        >
          <rect
            width={size.width}
            height={size.height}
            fill="transparent"
            onClick={() => onSelectNode(null)}
          />
          <g transform={`translate(${t.x},${t.y}) scale(${t.k})`}>
            {layout.columns.map((col, i) => (
              <rect
                key={`band-${col.depth}`}
                x={col.x - s.columnWidth * 0.3}
                y={layout.bounds.y0 - s.rowHeight}
                width={s.columnWidth}
                height={layout.bounds.y1 - layout.bounds.y0 + 2 * s.rowHeight}
                fill={i % 2 === 0 ? '#f3f5f7' : '#ffffff'}
                pointerEvents="none"
              />
            ))}
            <g fill="none" pointerEvents="none">
              {layout.links
                .filter((l) => !l.onChosenPath)
                .map((l) => (
                  <path
                    key={`${l.source}-${l.target}`}
                    d={l.d}
                    stroke={LINK}
                    strokeWidth={1.3}
                    strokeOpacity={l.faded ? 0.3 : 0.9}
                    strokeDasharray={l.faded ? '3 3' : undefined}
                  />
                ))}
              {layout.links
                .filter((l) => l.onChosenPath)
                .map((l) => (
                  <path key={`${l.source}-${l.target}`} d={l.d} stroke={INK} strokeWidth={3.5} />
                ))}
            </g>
            {layout.nodes.map((n) => {
              const isTypingNode = typing !== null && typing.id === n.id;
              const node = state.nodes[n.id];
              const text =
                isTypingNode && node ? revealedText(node, typing, revealFraction) : n.text;
              return (
                <TreeNode
                  key={n.id}
                  node={n}
                  label={isTypingNode ? truncate(text, s.labelChars) : n.label}
                  text={text}
                  selected={n.id === selectedNodeId}
                  radius={radius}
                  labelsVisible={labelsVisible}
                  fontSize={s.fontSize}
                  hitRadius={s.rowHeight / 2}
                  zoom={labelsVisible ? 1 : t.k}
                  onSelect={selectNode}
                />
              );
            })}
          </g>
          <g
            pointerEvents="none"
            fontFamily="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
          >
            <rect width={size.width} height={s.header} fill="#ffffff" fillOpacity={0.92} />
            <line x1={0} x2={size.width} y1={s.header} y2={s.header} stroke="#d0d7de" />
            {layout.columns
              .filter((_, i) => i % headerEvery === 0)
              .map((col) => {
                const x = t.x + col.x * t.k;
                if (x < -s.columnWidth || x > size.width) return null;
                return (
                  <g key={`h-${col.depth}`} transform={`translate(${x},0)`}>
                    <text y={s.fontSize * 1.2} fontSize={s.fontSize} fontWeight={600} fill={INK}>
                      {detailedHeaders || col.round === null ? columnTitle(col) : `R${col.round}`}
                    </text>
                    {detailedHeaders ? (
                      <text y={s.fontSize * 2.5} fontSize={s.fontSize * 0.93} fill={MUTED}>
                        {columnStats(col)}
                      </text>
                    ) : null}
                  </g>
                );
              })}
          </g>
        </svg>
      </div>
    </section>
  );
}
