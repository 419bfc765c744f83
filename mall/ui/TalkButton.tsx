// TalkButton: the order/talk icon on every product. It opens a small note
// with the store's sales line (its number, who is at the desk, how long the
// wait is) and how to show up on the call; "Start video call" then calls the
// store's sales agents in the call panel docked at the corner (TalkDock).

import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { CloseIcon, HeadsetIcon } from '../../backend/web/ui/icons';
import type { CallMode } from '../../media/client/call';
import { plural } from './format';
import { QueueBadge, useLiveStore } from './QueueState';
import { TalkModes } from './TalkMedia';
import { useTalk, useTalkSession } from './talkSession';
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

/** hasCamera says whether the browser lists a camera (labels need no permission for this). */
async function hasCamera(): Promise<boolean> {
  try {
    const devices = await navigator.mediaDevices.enumerateDevices();
    return devices.some((d) => d.kind === 'videoinput');
  } catch {
    return false;
  }
}

const startLabels: Record<CallMode, string> = {
  video: 'Start video call',
  voice: 'Start voice call',
  avatar: 'Start call as avatar',
};

/**
 * TalkButton shows "Talk to a sales agent" and, on click, the store's sales
 * line and the button that calls it. product is what the shopper asks about
 * (absent on a store page).
 */
export function TalkButton({
  store,
  product,
  compact,
}: {
  store: MallStore;
  product?: { id?: number; sku: string; name: string };
  compact?: boolean;
}) {
  const [open, setOpen] = useState(false);
  const [mode, setMode] = useState<CallMode | null>(null);
  const id = useId();
  const root = useRef<HTMLDivElement>(null);
  const talk = useTalkSession();
  const session = useTalk();
  // The note shows the line as it is now, not as the page loaded.
  const live = useLiveStore(store.slug, open);
  const queue = live?.queue ?? store.queue;
  const agents = live?.agentsOnline ?? store.agentsOnline;
  const salesNumber = store.salesNumber || '';
  const salesDisplay = store.salesDisplay || '';
  const onCall = session.target !== null && talk.busy;

  useEffect(() => {
    if (!open || mode !== null) return;
    let alive = true;
    void hasCamera().then((cam) => alive && setMode((m) => m ?? (cam ? 'video' : 'voice')));
    return () => {
      alive = false;
    };
  }, [open, mode]);

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

  const chosen = mode ?? 'video';
  const start = () => {
    talk.start(
      {
        store: { slug: store.slug, name: store.name, salesNumber, salesDisplay, brandColor: store.brandColor },
        product: product && { id: product.id, sku: product.sku, name: product.name },
      },
      chosen,
    );
    setOpen(false);
  };

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
        <div class="talk-note" id={`${id}-note`} role="dialog" aria-label={`Talk to ${store.name}`}>
          <button type="button" class="icon-btn talk-close" aria-label="Close" onClick={() => setOpen(false)}>
            <CloseIcon size={16} />
          </button>
          <p class="talk-title">Sales agents at {store.name}</p>
          <AgentsOnline count={agents} />
          {queue && (
            <p class="talk-queue-state">
              <QueueBadge queue={queue} long />
            </p>
          )}
          {salesDisplay && (
            <p class="talk-number">
              <span class="talk-number-label">Sales line</span>
              <span class="mono">{salesDisplay}</span>
            </p>
          )}
          {!salesNumber ? (
            <p class="muted small">{store.name} has no sales line yet.</p>
          ) : onCall ? (
            <>
              <p class="muted small">You are already on a call. Finish it before calling again.</p>
              <button type="button" class="btn btn-primary btn-sm talk-start" onClick={() => (talk.setMinimized(false), setOpen(false))}>
                Back to your call
              </button>
            </>
          ) : (
            <>
              <TalkModes mode={chosen} onMode={setMode} name={`${id}-mode`} />
              <button type="button" class="btn btn-primary talk-start" data-testid="talk-call" onClick={start}>
                <HeadsetIcon size={18} />
                {startLabels[chosen]}
              </button>
              <p class="muted small">
                {queue?.state === 'closed'
                  ? 'No agent is signed in right now: you can leave a video message or ask for a call back.'
                  : 'The next free agent answers; you can keep browsing while you wait.'}
              </p>
            </>
          )}
        </div>
      )}
    </div>
  );
}
