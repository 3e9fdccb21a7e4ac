import { useEffect, useRef, useState } from 'react';
import { useAppStore } from '../../store/react';
import { useController } from '../controllerContext';
import { downloadBlob } from '../../views/sweep/export';

/** Most a trace file may weigh; a larger file is almost certainly not a trace (and would stall). */
const MAX_TRACE_BYTES = 50 * 1024 * 1024;

/** Export the current trace as JSON; import one by file picker. */
export function TraceFileButtons() {
  const controller = useController();
  const hasEvents = useAppStore((s) => s.events.length > 0);
  const input = useRef<HTMLInputElement>(null);
  const importFile = useImportFile();

  return (
    <div className="trace-files" role="group" aria-label="Trace file">
      <button
        type="button"
        disabled={!hasEvents}
        onClick={() => {
          const text = controller.exportTraceText();
          if (text)
            downloadBlob(
              new Blob([text], { type: 'application/json' }),
              controller.exportFileName(),
            );
        }}
      >
        Export trace
      </button>
      <button type="button" onClick={() => input.current?.click()}>
        Import trace
      </button>
      <input
        ref={input}
        type="file"
        accept=".json,application/json"
        className="visually-hidden"
        aria-label="Trace file to import"
        tabIndex={-1}
        data-testid="trace-file-input"
        onChange={(e) => {
          const file = e.target.files?.[0];
          e.target.value = '';
          if (file) void importFile(file);
        }}
      />
    </div>
  );
}

/** Read a dropped or picked file and hand it to the controller; size and read errors become notices. */
function useImportFile() {
  const controller = useController();
  const pushNotice = useAppStore((s) => s.pushNotice);
  return async (file: File) => {
    if (file.size > MAX_TRACE_BYTES) {
      pushNotice(
        'error',
        `Could not open "${file.name}": it is ${Math.round(file.size / 1e6)} MB, too large for a trace file.`,
      );
      return;
    }
    let text: string;
    try {
      text = await file.text();
    } catch (e) {
      pushNotice('error', `Could not read "${file.name}": ${String(e)}`);
      return;
    }
    controller.importTraceText(text, file.name);
  };
}

/** Drag a trace file anywhere onto the page to replay it. */
export function DropZone() {
  const [dragging, setDragging] = useState(false);
  const importFile = useImportFile();
  const importRef = useRef(importFile);
  useEffect(() => {
    importRef.current = importFile;
  });

  useEffect(() => {
    let depth = 0;
    const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes('Files');
    const onEnter = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth++;
      setDragging(true);
    };
    const onLeave = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const onOver = (e: DragEvent) => {
      if (hasFiles(e)) e.preventDefault();
    };
    const onDrop = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      setDragging(false);
      const file = e.dataTransfer?.files[0];
      if (file) void importRef.current(file);
    };
    window.addEventListener('dragenter', onEnter);
    window.addEventListener('dragleave', onLeave);
    window.addEventListener('dragover', onOver);
    window.addEventListener('drop', onDrop);
    return () => {
      window.removeEventListener('dragenter', onEnter);
      window.removeEventListener('dragleave', onLeave);
      window.removeEventListener('dragover', onOver);
      window.removeEventListener('drop', onDrop);
    };
  }, []);

  return dragging ? (
    <div className="drop-overlay" aria-hidden="true">
      Drop a trace file to replay it
    </div>
  ) : null;
}
