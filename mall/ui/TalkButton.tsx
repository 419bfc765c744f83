// TalkButton: the order/talk icon on every product. Calls arrive in a later
// release; for now it opens a small note saying so.

import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { CloseIcon, HeadsetIcon } from '../../backend/web/ui/icons';

/** TalkButton shows "Talk to a sales agent" and, on click, when live calls open. */
export function TalkButton({ storeName, compact }: { storeName: string; compact?: boolean }) {
  const [open, setOpen] = useState(false);
  const id = useId();
  const root = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setOpen(false);
    const onDown = (e: PointerEvent) => {
      if (root.current && !root.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('pointerdown', onDown);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('pointerdown', onDown);
    };
  }, [open]);

  return (
    <div class="talk" ref={root}>
      <button
        type="button"
        class={`btn ${compact ? 'btn-sm btn-talk' : 'btn-primary btn-talk-lg'}`}
        aria-expanded={open}
        aria-controls={`${id}-note`}
        onClick={() => setOpen((o) => !o)}
      >
        <HeadsetIcon size={compact ? 16 : 20} />
        Talk to a sales agent
      </button>
      {open && (
        <div class="talk-note" id={`${id}-note`} role="status">
          <button type="button" class="icon-btn talk-close" aria-label="Close" onClick={() => setOpen(false)}>
            <CloseIcon size={16} />
          </button>
          <p class="talk-title">Live sales calls open soon</p>
          <p class="muted small">
            This button will put you on a video call with the next free sales agent at {storeName}.
          </p>
        </div>
      )}
    </div>
  );
}
