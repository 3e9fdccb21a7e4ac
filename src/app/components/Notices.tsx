import { useEffect } from 'react';
import { useAppStore } from '../../store/react';
import type { Notice } from '../../store/slices/noticesSlice';

/** Information goes away by itself; warnings and errors stay until dismissed. */
const INFO_MS = 5000;

function NoticeItem({ notice, dismiss }: { notice: Notice; dismiss(id: number): void }) {
  useEffect(() => {
    if (notice.level !== 'info') return;
    const timer = window.setTimeout(() => dismiss(notice.id), INFO_MS);
    return () => window.clearTimeout(timer);
  }, [notice, dismiss]);
  return (
    <div
      className={`notice notice-${notice.level}`}
      role={notice.level === 'error' ? 'alert' : 'status'}
      data-testid={`notice-${notice.level}`}
    >
      <span className="notice-text">{notice.text}</span>
      <button
        type="button"
        className="link-button"
        aria-label="Dismiss message"
        onClick={() => dismiss(notice.id)}
      >
        ✕
      </button>
    </div>
  );
}

/** Errors and messages for the user, each dismissible. Errors are announced as alerts. */
export function Notices() {
  const notices = useAppStore((s) => s.notices);
  const dismiss = useAppStore((s) => s.dismissNotice);
  if (notices.length === 0) return null;
  return (
    <div className="notices">
      {notices.map((n) => (
        <NoticeItem key={n.id} notice={n} dismiss={dismiss} />
      ))}
    </div>
  );
}
