import { useId } from 'react';
import { useAppStore } from '../../store/react';
import { SPEEDS } from '../../store/settings';
import { PauseIcon, PlayIcon, StepBackIcon, StepForwardIcon } from './icons';

/** Play, pause, step, scrub and speed for the current trace. */
export function PlaybackBar() {
  const id = useId();
  const playing = useAppStore((s) => s.playing);
  const cursor = useAppStore((s) => s.position.cursor);
  const total = useAppStore((s) => s.events.length);
  const speed = useAppStore((s) => s.settings.speed);
  const togglePlay = useAppStore((s) => s.togglePlay);
  const stepBack = useAppStore((s) => s.stepBack);
  const stepForward = useAppStore((s) => s.stepForward);
  const seek = useAppStore((s) => s.seek);
  const setSetting = useAppStore((s) => s.setSetting);

  return (
    <div className="playback" role="group" aria-label="Playback">
      <button
        type="button"
        className="icon-button"
        aria-label="Step back"
        title="Step back (←)"
        disabled={cursor === 0}
        onClick={stepBack}
      >
        <StepBackIcon />
      </button>
      <button
        type="button"
        className="icon-button play-button"
        aria-label={playing ? 'Pause' : 'Play'}
        title={playing ? 'Pause (space)' : 'Play (space)'}
        disabled={total === 0}
        onClick={togglePlay}
      >
        {playing ? <PauseIcon /> : <PlayIcon />}
      </button>
      <button
        type="button"
        className="icon-button"
        aria-label="Step forward"
        title="Step forward (→)"
        disabled={cursor >= total}
        onClick={stepForward}
      >
        <StepForwardIcon />
      </button>
      <input
        className="scrubber"
        type="range"
        aria-label="Playback position"
        min={0}
        max={Math.max(total, 0)}
        step={1}
        value={cursor}
        disabled={total === 0}
        onChange={(e) => seek(Number(e.target.value))}
      />
      <output className="event-counter" aria-live="off" data-testid="event-counter">
        {cursor} / {total}
      </output>
      <label htmlFor={`${id}-speed`} className="speed-label">
        Speed
      </label>
      <select
        id={`${id}-speed`}
        value={speed}
        onChange={(e) => setSetting('speed', Number(e.target.value))}
      >
        {SPEEDS.map((s) => (
          <option key={s} value={s}>
            {s}×
          </option>
        ))}
      </select>
    </div>
  );
}
