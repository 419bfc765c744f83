// CallPanel: what a Call button opens until calls ship in the next release.
// It says plainly who would be called and that calling is coming, so the
// button feels deliberate rather than broken.

import { useEffect, useRef } from 'preact/hooks';
import { CloseIcon, PhoneIcon } from '../../backend/web/ui/icons';
import { initials } from '../../backend/web/ui/session';
import type { PresenceState } from './directoryApi';
import { Light } from './Light';

export interface CallTarget {
  name: string;
  display: string;
  state: PresenceState;
  /** detail is a second line, e.g. the store of an agent. */
  detail?: string;
}

/** CallPanel is a small modal dialog; Escape, the backdrop and "Hang up" close it. */
export function CallPanel({ target, onClose }: { target: CallTarget; onClose(): void }) {
  const closeBtn = useRef<HTMLButtonElement>(null);
  const opener = useRef<Element | null>(document.activeElement);

  useEffect(() => {
    closeBtn.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
      // Keep Tab inside the dialog: it has just two controls.
      if (e.key === 'Tab') {
        const items = document.querySelectorAll<HTMLElement>('.call-panel button');
        if (items.length === 0) return;
        const first = items[0];
        const last = items[items.length - 1];
        if (e.shiftKey && document.activeElement === first) {
          e.preventDefault();
          last.focus();
        } else if (!e.shiftKey && document.activeElement === last) {
          e.preventDefault();
          first.focus();
        }
      }
    };
    document.addEventListener('keydown', onKey);
    const prev = opener.current;
    return () => {
      document.removeEventListener('keydown', onKey);
      if (prev instanceof HTMLElement) prev.focus();
    };
  }, [onClose]);

  return (
    <div class="call-backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <section
        class="call-panel"
        role="dialog"
        aria-modal="true"
        aria-labelledby="call-title"
        aria-describedby="call-note"
      >
        <button type="button" class="icon-btn call-x" aria-label="Close" onClick={onClose}>
          <CloseIcon size={18} />
        </button>
        <div class="call-avatar-ring" aria-hidden="true">
          <span class="avatar call-avatar">{initials(target.name)}</span>
        </div>
        <p class="call-eyebrow">Calling…</p>
        <h2 id="call-title" class="call-title">
          Calling {target.name} <span class="nowrap">({target.display})…</span>
        </h2>
        {target.detail && <p class="call-detail">{target.detail}</p>}
        <p class="call-state">
          <Light state={target.state} />
        </p>
        {target.state !== 'available' && (
          <p class="call-away">
            {target.state === 'offline'
              ? `${target.name} is offline. Calls to someone offline will go to their mailbox.`
              : target.state === 'busy'
                ? `${target.name} is on another call right now.`
                : `${target.name} is away and may not answer.`}
          </p>
        )}
        <div id="call-note" class="call-note">
          <PhoneIcon size={18} />
          <p>
            <strong>Calls open in the next release.</strong> Your number, the directory and the online lights work
            today; ringing, answering and messages are on their way.
          </p>
        </div>
        <button ref={closeBtn} type="button" class="btn btn-hangup btn-block" onClick={onClose}>
          Hang up
        </button>
      </section>
    </div>
  );
}
