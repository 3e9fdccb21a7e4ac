/** Playback icons as inline SVG: icon fonts and emoji glyphs are missing on many lecture-hall PCs. */
const common = {
  width: 16,
  height: 16,
  viewBox: '0 0 16 16',
  'aria-hidden': true,
  focusable: false,
} as const;

export const PlayIcon = () => (
  <svg {...common}>
    <path d="M4 2.5v11l9-5.5z" fill="currentColor" />
  </svg>
);

export const PauseIcon = () => (
  <svg {...common}>
    <rect x="3.5" y="2.5" width="3" height="11" fill="currentColor" />
    <rect x="9.5" y="2.5" width="3" height="11" fill="currentColor" />
  </svg>
);

export const StepBackIcon = () => (
  <svg {...common}>
    <rect x="2.5" y="2.5" width="2" height="11" fill="currentColor" />
    <path d="M13.5 2.5v11L5.5 8z" fill="currentColor" />
  </svg>
);

export const StepForwardIcon = () => (
  <svg {...common}>
    <rect x="11.5" y="2.5" width="2" height="11" fill="currentColor" />
    <path d="M2.5 2.5v11l8-5.5z" fill="currentColor" />
  </svg>
);

export const DiceIcon = () => (
  <svg {...common}>
    <rect
      x="1.5"
      y="1.5"
      width="13"
      height="13"
      rx="2.5"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.4"
    />
    <circle cx="5" cy="5" r="1.3" fill="currentColor" />
    <circle cx="11" cy="11" r="1.3" fill="currentColor" />
    <circle cx="8" cy="8" r="1.3" fill="currentColor" />
  </svg>
);

export const ReseedIcon = () => (
  <svg {...common}>
    <path d="M13 8a5 5 0 1 1-1.6-3.7" fill="none" stroke="currentColor" strokeWidth="1.6" />
    <path d="M13.5 1.5v4h-4z" fill="currentColor" />
  </svg>
);
