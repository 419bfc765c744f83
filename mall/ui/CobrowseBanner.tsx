// CobrowseBanner: while the shopper shares the page with a sales agent, a
// banner that says so and stops it, the agent's pointer as a dot, and a note
// when the agent opened a page. Mount it once; it follows whichever sharing
// the page's CobrowseHost runs.

import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import { firstName, type CobrowseHost, type CobrowseSession, type CobrowseView } from './cobrowse';

/** CobrowseContext hands the page's co-browse host to the views (MallCallProvider makes it). */
export const CobrowseContext = createContext<CobrowseHost | null>(null);

/** shownFor is how long a pointer dot or a note stays on screen, in ms. */
const shownFor = 4000;

/** useCobrowse follows the current sharing: its session and view, or nulls. */
export function useCobrowse(): { session: CobrowseSession | null; view: CobrowseView | null } {
  const host = useContext(CobrowseContext);
  if (!host) throw new Error('useCobrowse: no MallCallProvider above');
  const [session, setSession] = useState(() => host.current);
  const [view, setView] = useState<CobrowseView | null>(() => session?.view ?? null);
  useEffect(() => host.watch(setSession), [host]);
  useEffect(() => {
    setView(session?.view ?? null);
    return session?.subscribe(setView);
  }, [session]);
  return { session, view };
}

/** useFresh is true for shownFor ms after at changes. */
function useFresh(at: number | undefined): boolean {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    if (at === undefined) return;
    setNow(Date.now());
    const t = setTimeout(() => setNow(Date.now()), Math.max(0, at + shownFor - Date.now()));
    return () => clearTimeout(t);
  }, [at]);
  return at !== undefined && now - at < shownFor;
}

/** CobrowseBanner asks the shopper whether the agent may see the page, then shows the sharing and lets the shopper stop it. */
export function CobrowseBanner() {
  const { session, view } = useCobrowse();
  const pointing = useFresh(view?.pointer?.at);
  const opened = useFresh(view?.opened?.at);
  const stoppedAt = useStoppedAt(view);
  const justStopped = useFresh(stoppedAt);
  if (!session || !view) return null;
  if (view.state === 'ready' || view.state === 'declined') return null;

  if (view.state === 'asked') {
    const name = firstName(view.agentName);
    return (
      <div class="cobrowse-consent" role="alertdialog" aria-labelledby="cobrowse-consent-title" aria-describedby="cobrowse-consent-note" data-testid="cobrowse-consent">
        <span class="cobrowse-consent-icon" aria-hidden="true">
          <svg viewBox="0 0 24 24" width="22" height="22" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round">
            <rect x="3" y="4" width="18" height="12" rx="2" />
            <path d="M8 20h8M12 16v4" />
          </svg>
        </span>
        <div class="cobrowse-consent-body">
          <p id="cobrowse-consent-title" class="cobrowse-consent-title">
            <strong>{name}</strong> would like to see your screen
          </p>
          <p id="cobrowse-consent-note" class="cobrowse-consent-note">
            {name} will see this mall page as you do and can point at things. What you type, what you tick or choose and your payment details stay hidden. You can stop at any time.
          </p>
        </div>
        <div class="cobrowse-consent-actions">
          <button type="button" class="btn btn-ghost btn-sm cobrowse-decline" onClick={() => session.decline()}>
            Not now
          </button>
          <button type="button" class="btn btn-primary btn-sm cobrowse-allow" onClick={() => session.allow()} autoFocus>
            Allow
          </button>
        </div>
      </div>
    );
  }

  if (view.state === 'stopped') {
    if (!justStopped || view.stoppedBy === 'call') return null;
    return (
      <div class="cobrowse-banner is-stopped" role="status">
        {view.stoppedBy === 'agent' ? `${view.agentName} closed the view of your screen.` : 'You stopped sharing your screen.'}
      </div>
    );
  }

  return (
    <>
      <div class="cobrowse-banner" role="status" aria-live="polite">
        <span class="cobrowse-rec" aria-hidden="true" />
        <span class="cobrowse-text">
          {view.state === 'starting' ? 'Starting to share your screen with ' : 'Sharing your screen with '}
          <strong>{view.agentName}</strong>
          <span class="cobrowse-note"> — what you type or choose and payment details stay hidden</span>
        </span>
        <button type="button" class="btn btn-sm cobrowse-stop" onClick={() => session.stop('shopper')}>
          Stop sharing
        </button>
        {opened && view.opened && <span class="cobrowse-opened">{view.agentName} opened this page for you</span>}
      </div>
      {pointing && view.pointer && (
        <span
          key={view.pointer.at}
          class="cobrowse-pointer"
          style={{ left: `${view.pointer.x * 100}%`, top: `${view.pointer.y * 100}%` }}
          role="img"
          aria-label={`${view.agentName} is pointing here`}
        />
      )}
    </>
  );
}

/** useStoppedAt remembers when the view turned stopped. */
function useStoppedAt(view: CobrowseView | null): number | undefined {
  const [at, setAt] = useState<number | undefined>(undefined);
  const stopped = view?.state === 'stopped';
  useEffect(() => {
    setAt(stopped ? Date.now() : undefined);
  }, [stopped, view?.entryId]);
  return at;
}
