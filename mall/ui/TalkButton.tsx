// TalkButton: the order/talk icon on every product. It opens a panel with the
// store's sales number and how many agents are signed in; the video call
// itself arrives with call routing.

import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { CloseIcon, HeadsetIcon } from '../../backend/web/ui/icons';
import { plural } from './format';
import type { MallStore } from './shopApi';

/** AgentsOnline says whether anyone is at the store's sales desk now. */
export function AgentsOnline({ count }: { count: number | undefined }) {
  if (count === undefined) return null;
  return (
    <p class={`agents-online ${count > 0 ? 'is-online' : 'is-offline'}`}>
      <span class="presence-dot" aria-hidden="true" />
      {count > 0 ? `${plural(count, 'agent', 'agents')} online` : 'No agents online right now'}
    </p>
  );
}

/** TalkButton shows "Talk to a sales agent" and, on click, how to reach the store's agents. */
export function TalkButton({ store, compact }: { store: MallStore; compact?: boolean }) {
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
        class={`btn ${compact ? 'btn-sm btn-talk' : 'btn-secondary btn-talk-lg'}`}
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
          <p class="talk-title">Sales agents at {store.name}</p>
          <AgentsOnline count={store.agentsOnline} />
          {store.salesDisplay && (
            <p class="talk-number">
              <span class="talk-number-label">Sales line</span>
              <span class="mono">{store.salesDisplay}</span>
            </p>
          )}
          <p class="muted small">
            Live sales calls open soon: this button will put you on a video call with the next free agent.
            {store.salesDisplay ? <> Until then, call the sales line from your <a href="/phone/">livemall phone</a>.</> : null}
          </p>
        </div>
      )}
    </div>
  );
}
