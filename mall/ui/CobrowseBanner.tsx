// CobrowseBanner: while the shopper shares the page with a sales agent, a
// banner that says so and stops it, the agent's pointer as a dot, and a note
// when the agent opened a page. Mount it once; it follows whichever sharing
// cobrowse.ts runs.

import { useEffect, useState } from 'preact/hooks';
import { currentCobrowse, watchCobrowse, type CobrowseSession, type CobrowseView } from './cobrowse';

/** shownFor is how long a pointer dot or a note stays on screen, in ms. */
const shownFor = 4000;

/** useCobrowse follows the current sharing: its session and view, or nulls. */
export function useCobrowse(): { session: CobrowseSession | null; view: CobrowseView | null } {
  const [session, setSession] = useState(currentCobrowse);
  const [view, setView] = useState<CobrowseView | null>(() => session?.view ?? null);
  useEffect(() => watchCobrowse(setSession), []);
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

/** CobrowseBanner shows the sharing and lets the shopper stop it. */
export function CobrowseBanner() {
  const { session, view } = useCobrowse();
  const pointing = useFresh(view?.pointer?.at);
  const opened = useFresh(view?.opened?.at);
  const stoppedAt = useStoppedAt(view);
  const justStopped = useFresh(stoppedAt);
  if (!session || !view) return null;

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
          <span class="cobrowse-note"> — typed text and payment details stay hidden</span>
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
