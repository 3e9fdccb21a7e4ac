import { useEffect } from 'react';
import { useAppStore, useAppStoreApi } from '../../store/react';
import { Controls } from './Controls';
import { Inspector } from './Inspector';
import { ModelStatus } from './ModelStatus';
import { Notices } from './Notices';
import { PlaybackBar } from './PlaybackBar';
import { Stage } from './Stage';
import { SweepPanel } from './SweepPanel';
import { DropZone, TraceFileButtons } from './TraceFiles';
import { usePlaybackKeys } from './useKeyboard';
import { WebLLMOpener, WebLLMPanel } from './WebLLMPanel';

/** The page: header, controls | stage | inspector, playback, and the plots area below. */
export function App() {
  const store = useAppStoreApi();
  const presentation = useAppStore((s) => s.settings.presentation);
  const setSetting = useAppStore((s) => s.setSetting);
  const layout = useAppStore((s) => s.layout);
  const togglePanel = useAppStore((s) => s.togglePanel);
  usePlaybackKeys(store);
  // Presentation mode scales the root font size, so every rem-sized element grows with it.
  useEffect(() => {
    document.documentElement.classList.toggle('presentation', presentation);
  }, [presentation]);

  return (
    <div className={`app${presentation ? ' presentation' : ''}`}>
      <header className="app-header">
        <h1>
          ttc-lab <span className="tagline">test-time compute, step by step</span>
        </h1>
        <ModelStatus />
        <div className="header-actions">
          <WebLLMOpener />
          <TraceFileButtons />
          <button
            type="button"
            aria-pressed={presentation}
            onClick={() => setSetting('presentation', !presentation)}
          >
            Presentation mode
          </button>
          {/* A button, not a #plots link: the URL hash holds the run settings. */}
          <button
            type="button"
            onClick={() => document.getElementById('plots')?.scrollIntoView({ behavior: 'smooth' })}
          >
            Accuracy vs compute ↓
          </button>
        </div>
      </header>
      <Notices />
      <div
        className={`workspace${layout.controlsOpen ? '' : ' controls-closed'}${layout.inspectorOpen ? '' : ' inspector-closed'}`}
      >
        <aside className="controls" aria-label="Run settings">
          <button
            type="button"
            className="panel-toggle"
            aria-expanded={layout.controlsOpen}
            aria-label={layout.controlsOpen ? 'Hide run settings' : 'Show run settings'}
            title={layout.controlsOpen ? 'Hide run settings' : 'Show run settings'}
            onClick={() => togglePanel('controls')}
          >
            {layout.controlsOpen ? '«' : '»'}
          </button>
          {layout.controlsOpen ? <Controls /> : null}
        </aside>
        <main className="stage-column">
          <Stage />
          <PlaybackBar />
        </main>
        <aside className="inspector" aria-label="Inspector">
          <button
            type="button"
            className="panel-toggle"
            aria-expanded={layout.inspectorOpen}
            aria-label={layout.inspectorOpen ? 'Hide inspector' : 'Show inspector'}
            title={layout.inspectorOpen ? 'Hide inspector' : 'Show inspector'}
            onClick={() => togglePanel('inspector')}
          >
            {layout.inspectorOpen ? '»' : '«'}
          </button>
          {layout.inspectorOpen ? <Inspector /> : null}
        </aside>
      </div>
      <WebLLMPanel />
      <section id="plots" className="plots" aria-labelledby="plots-heading">
        <SweepPanel />
      </section>
      <DropZone />
    </div>
  );
}
