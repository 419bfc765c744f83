// CobrowseView: the shopper's mall page, live, on the agent's desk.
//
//   <CobrowseView entryId={entryId} send={signal.send} onMessage={signal.onMessage}
//                 shopperName="Sam" links={[{ label: product.name, path: product.path }]} />
//
// Props (they fit the desk's DeskSignal from deskSignal.ts as they are):
// - entryId: the engagement (queue entry qe_…) whose shopper's page to show.
// - send: sends a signaling message (cobrowse.point, cobrowse.navigate,
//   cobrowse.stop); returns false when the socket is not open.
// - onMessage: registers a listener for every server message and returns
//   its unsubscribe; the view keeps the cobrowse.* messages of its entry.
// - shopperName, links (optional): how to name the shopper, and pages to
//   offer under "Send to page" (the product in the call's context, say).
//
// The agent asks first: the view sends cobrowse.request when it opens (and
// on "Ask again"), shows "Waiting for the shopper to allow" until the
// shopper presses Allow (cobrowse.start), and "The shopper said not now"
// when they decline (cobrowse.stop before any start).
//
// The stream is replayed by rrweb's Replayer in live mode. The replay runs
// in rrweb's own iframe whose sandbox is exactly "allow-same-origin" (rrweb
// 2.2 forces it in createSandboxedIframe, and refuses to rebuild into
// anything else unless UNSAFE_replayCanvas is set, which this view never
// does): without allow-scripts nothing in the shopper's page can run on the
// desk. The view checks the attribute once the iframe exists and refuses to
// show a replay whose frame could run scripts. Before anything is rebuilt in
// it, the frame gets a Content-Security-Policy of its own (a <meta> in its
// document; the policy stays with the document through rrweb's
// document.open): no connections, scripts, frames, forms or plugins, and
// images, stylesheets, fonts and media only from the server's /assets/ and
// product images. The server has already
// dropped scripts, handlers and script URLs and masked typed values
// (agentdesk/cobrowse_events.go).

import { useEffect, useRef, useState } from 'preact/hooks';
import type { eventWithTime, Replayer } from 'rrweb';
import 'rrweb/dist/style.css';
import type { ClientMessage, CobrowseData, ServerMessage } from '../../media/client/protocol';

/** CobrowseLink is a page the agent may open on the shopper's screen. */
export interface CobrowseLink {
  label: string;
  path: string;
}

/** CobrowseViewProps: see the top of this file. */
export interface CobrowseViewProps {
  entryId: string;
  send(msg: ClientMessage): boolean;
  onMessage(fn: (m: ServerMessage) => void): () => void;
  shopperName?: string;
  links?: CobrowseLink[];
  /**
   * watchOnly is a supervisor's view of a call they stepped into: it shows
   * the page the shopper shares with the agent, asks nothing, points at
   * nothing and opens nothing.
   */
  watchOnly?: boolean;
}

type Phase = 'asking' | 'declined' | 'waiting' | 'live' | 'stopped' | 'unsafe';

/**
 * replayPolicy is the Content-Security-Policy of the replay frame for a
 * desk served from origin: it can load the mall's stylesheets, fonts and
 * images and product images, and nothing else, from nowhere else.
 */
export function replayPolicy(origin: string): string {
  const own = `${origin}/assets/ ${origin}/api/v1/stores/`;
  return [
    "default-src 'none'",
    `img-src ${own} data: blob:`,
    `style-src ${own} 'unsafe-inline'`,
    `font-src ${own} data:`,
    `media-src ${own} data: blob:`,
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/** lockReplayFrame gives the replay frame's document its own policy, before rrweb rebuilds anything in it. */
function lockReplayFrame(frame: HTMLIFrameElement): boolean {
  const doc = frame.contentDocument;
  if (!doc) return false;
  const meta = doc.createElement('meta');
  meta.httpEquiv = 'Content-Security-Policy';
  meta.content = replayPolicy(location.origin);
  (doc.head ?? doc.documentElement).prepend(meta);
  return true;
}

/** liveBuffer is how far the replay runs behind the shopper, in ms, to smooth the stream. */
const liveBuffer = 300;

/** mallPath mirrors the server's rule (agentdesk/cobrowse.go): the pages of the mall's router only. */
const mallPath = /^\/(?:store\/[^/?#\s\\]+(?:\/product\/[^/?#\s\\]+)?|cart|orders(?:\/[^/?#\s\\]+)?)?$/;

/** isMallPath says whether the shopper's mall can open path. */
export function isMallPath(path: string): boolean {
  return path.length <= 512 && mallPath.test(path) && !path.split('/').some((s) => s === '.' || s === '..');
}

const cobrowseTypes = new Set<string>(['cobrowse.start', 'cobrowse.events', 'cobrowse.navigate', 'cobrowse.point', 'cobrowse.stop']);

function cobrowseData(m: ServerMessage, entryId: string): CobrowseData | null {
  if (!cobrowseTypes.has(m.type)) return null;
  const d = m.data as CobrowseData | undefined;
  return d && d.entryId === entryId ? d : null;
}

/** pathOf reads the shopper's path from a Meta event's href or the mall's path event. */
function pathOf(e: eventWithTime): string | null {
  const d = e.data as { href?: unknown; tag?: unknown; payload?: { path?: unknown } };
  if (e.type === 4 && typeof d.href === 'string') {
    try {
      return new URL(d.href).pathname;
    } catch {
      return null;
    }
  }
  if (e.type === 5 && d.tag === 'mall-path' && typeof d.payload?.path === 'string') return d.payload.path;
  return null;
}

/** CobrowseView shows the shopper's page live and lets the agent point and open pages. */
export function CobrowseView({ entryId, send, onMessage, shopperName = 'The shopper', links = [], watchOnly = false }: CobrowseViewProps) {
  const [phase, setPhase] = useState<Phase>(watchOnly ? 'waiting' : 'asking');
  const [path, setPath] = useState<string | null>(null);
  const [size, setSize] = useState<{ width: number; height: number } | null>(null);
  const [scale, setScale] = useState(1);
  const [ping, setPing] = useState<{ x: number; y: number; at: number } | null>(null);
  const [target, setTarget] = useState('');
  const [note, setNote] = useState('');
  const stage = useRef<HTMLDivElement>(null);
  const replayer = useRef<Replayer | null>(null);
  const phaseRef = useRef<Phase>(watchOnly ? 'waiting' : 'asking');
  /** go changes the phase at once for the message handlers, and for the view on the next render. */
  const go = (p: Phase) => {
    phaseRef.current = p;
    setPhase(p);
  };
  const [asked, setAsked] = useState(0);

  // Ask the shopper (again): until the socket takes the request, retry.
  useEffect(() => {
    if (watchOnly || phaseRef.current !== 'asking') return;
    if (send({ type: 'cobrowse.request', data: { entryId } })) return;
    const t = setInterval(() => {
      if (phaseRef.current !== 'asking' || send({ type: 'cobrowse.request', data: { entryId } })) clearInterval(t);
    }, 1000);
    return () => clearInterval(t);
  }, [entryId, send, asked, watchOnly]);

  function askAgain() {
    replayer.current?.destroy();
    replayer.current = null;
    stage.current?.replaceChildren();
    setSize(null);
    setNote('');
    go('asking');
    setAsked((n) => n + 1);
  }

  // The stream: start a replayer at the first Meta/FullSnapshot, feed it
  // every event after, start over on cobrowse.start.
  useEffect(() => {
    let closed = false;
    let rrweb: typeof import('rrweb') | null = null;
    let queue: eventWithTime[] = [];
    const loading = import('rrweb').then((m) => {
      rrweb = m;
    });

    const reset = () => {
      replayer.current?.destroy();
      replayer.current = null;
      stage.current?.replaceChildren();
      setSize(null);
    };

    const feed = (events: eventWithTime[]) => {
      if (closed || !rrweb || !stage.current) return;
      for (const e of events) {
        const p = pathOf(e);
        if (p) setPath(p);
        if (!replayer.current) {
          // A replay starts at a Meta event (the viewport), which the
          // recorder sends right before each full snapshot.
          if (e.type !== 4) continue;
          const r = new rrweb.Replayer([], {
            root: stage.current,
            liveMode: true,
            showWarning: false,
            mouseTail: { duration: 400, lineWidth: 2, strokeStyle: '#5b3df5' },
          });
          const sandbox = r.iframe.getAttribute('sandbox') ?? '';
          if (!r.iframe.hasAttribute('sandbox') || sandbox.split(/\s+/).includes('allow-scripts') || !lockReplayFrame(r.iframe)) {
            r.destroy();
            stage.current.replaceChildren();
            go('unsafe');
            closed = true;
            return;
          }
          r.on('resize', (d) => {
            const { width, height } = d as { width: number; height: number };
            setSize({ width, height });
          });
          r.startLive(e.timestamp - liveBuffer);
          replayer.current = r;
          go('live');
        }
        replayer.current.addEvent(e);
      }
    };

    const off = onMessage((m) => {
      const d = cobrowseData(m, entryId);
      if (!d || closed) return;
      if (m.type === 'cobrowse.start') {
        reset();
        queue = [];
        go('waiting');
      } else if (m.type === 'cobrowse.events' && Array.isArray(d.events)) {
        // Events only count after the shopper allowed (cobrowse.start).
        if (phaseRef.current !== 'waiting' && phaseRef.current !== 'live') return;
        const events = d.events as eventWithTime[];
        if (rrweb) feed(events);
        else {
          queue.push(...events);
          loading.then(() => {
            const q = queue;
            queue = [];
            feed(q);
          });
        }
      } else if (m.type === 'cobrowse.stop') {
        go(phaseRef.current === 'asking' ? 'declined' : 'stopped');
        setNote('');
      }
    });
    return () => {
      closed = true;
      off();
      reset();
      // Leaving withdraws the request or ends the view.
      if (!watchOnly && ['asking', 'waiting', 'live'].includes(phaseRef.current)) send({ type: 'cobrowse.stop', data: { entryId } });
    };
  }, [entryId, onMessage, send, watchOnly]);

  // Fit the shopper's viewport into the screen's width (the screen's, not
  // the frame's: the frame is as wide as the replay until it is scaled).
  useEffect(() => {
    const el = stage.current?.parentElement?.parentElement;
    if (!el || !size) return;
    const fit = () => setScale(Math.min(1, el.clientWidth / size.width, 640 / size.height));
    fit();
    const ro = new ResizeObserver(fit);
    ro.observe(el);
    return () => ro.disconnect();
  }, [size]);

  function point(e: MouseEvent) {
    const rect = (e.currentTarget as HTMLElement).getBoundingClientRect();
    const x = Math.min(1, Math.max(0, (e.clientX - rect.left) / rect.width));
    const y = Math.min(1, Math.max(0, (e.clientY - rect.top) / rect.height));
    if (send({ type: 'cobrowse.point', data: { entryId, x, y } })) setPing({ x, y, at: Date.now() });
  }

  function open(p: string) {
    const clean = p.trim();
    if (!isMallPath(clean)) {
      setNote('Only a page of the mall can be opened, such as /store/north-peak/product/NP-TENT-2.');
      return;
    }
    setNote(send({ type: 'cobrowse.navigate', data: { entryId, path: clean } }) ? `Opening ${clean} for ${shopperName}.` : 'Not connected: try again in a moment.');
  }

  function stopViewing() {
    send({ type: 'cobrowse.stop', data: { entryId } });
    replayer.current?.destroy();
    replayer.current = null;
    stage.current?.replaceChildren();
    go('stopped');
  }

  const width = size ? size.width * scale : undefined;
  const height = size ? size.height * scale : undefined;
  return (
    <section class="cobrowse" aria-labelledby={`cobrowse-${entryId}`}>
      <header class="cobrowse-head">
        <h2 id={`cobrowse-${entryId}`}>{shopperName}’s screen</h2>
        <p class={`cobrowse-phase is-${phase}`} role="status">
          <span class="presence-dot" aria-hidden="true" />
          {phase === 'asking' && 'Waiting for the shopper to allow'}
          {phase === 'declined' && 'The shopper said not now'}
          {phase === 'waiting' && (watchOnly ? 'Not shared with the agent right now' : 'Allowed: the shopper’s page is on its way…')}
          {phase === 'live' && (path ? <>Live on <code>{path}</code></> : 'Live')}
          {phase === 'stopped' && 'The shopper stopped sharing'}
          {phase === 'unsafe' && 'This replay could run scripts, so it is not shown'}
        </p>
        {phase === 'live' && !watchOnly && (
          <button type="button" class="btn btn-ghost btn-sm" onClick={stopViewing}>
            Stop viewing
          </button>
        )}
        {!watchOnly && (phase === 'declined' || phase === 'stopped') && (
          <button type="button" class="btn btn-secondary btn-sm" onClick={askAgain}>
            Ask again
          </button>
        )}
      </header>

      <div class={`cobrowse-screen is-${phase}`} style={height ? { height: `${height}px` } : undefined}>
        <div class="cobrowse-frame" style={width ? { width: `${width}px`, height: `${height}px` } : undefined}>
          <div ref={stage} class="cobrowse-stage" style={{ transform: `scale(${scale})` }} />
          {phase === 'live' && !watchOnly && (
            <div
              class="cobrowse-glass"
              onClick={point}
              title="Click to point here on the shopper's screen"
              aria-label={`Click to point at this spot on ${shopperName}’s screen`}
            >
              {ping && <span key={ping.at} class="cobrowse-ping" style={{ left: `${ping.x * 100}%`, top: `${ping.y * 100}%` }} />}
            </div>
          )}
        </div>
        {phase !== 'live' && (
          <div class="cobrowse-empty">
            {phase === 'asking' && (
              <>
                <span class="cobrowse-hourglass" aria-hidden="true" />
                <strong>Waiting for {shopperName} to allow</strong>
                <span>We asked to see their screen. Their page appears here once they press Allow.</span>
              </>
            )}
            {phase === 'declined' && (
              <>
                <strong>{shopperName} said not now</strong>
                <span>Nothing of their screen was shared. You can ask again when it helps, say when you talk them through a page.</span>
              </>
            )}
            {phase === 'waiting' &&
              (watchOnly ? (
                <span>When {shopperName} shares their screen with the agent, you see it here too.</span>
              ) : (
                <span>The shopper’s page appears here in a moment.</span>
              ))}
            {phase === 'stopped' && <span>{watchOnly ? 'The shopper stopped sharing.' : 'The shopper stopped sharing. Ask again to see their screen.'}</span>}
          </div>
        )}
      </div>

      {!watchOnly && (
        <form
          class="cobrowse-send"
          onSubmit={(e) => {
            e.preventDefault();
            open(target);
          }}
        >
          <label for={`cobrowse-path-${entryId}`}>Send to page</label>
          <div class="cobrowse-send-row">
            <input
              id={`cobrowse-path-${entryId}`}
              type="text"
              inputMode="url"
              placeholder={path ?? '/store/…/product/…'}
              value={target}
              onInput={(e) => setTarget((e.target as HTMLInputElement).value)}
              disabled={phase !== 'live'}
            />
            <button type="submit" class="btn btn-secondary btn-sm" disabled={phase !== 'live' || !target.trim()}>
              Open
            </button>
          </div>
          {links.length > 0 && (
            <ul class="cobrowse-links">
              {links.map((l) => (
                <li key={l.path}>
                  <button type="button" class="btn btn-ghost btn-sm" disabled={phase !== 'live'} onClick={() => open(l.path)}>
                    {l.label}
                  </button>
                </li>
              ))}
            </ul>
          )}
          <p class="hint" role="status">
            {note}
          </p>
        </form>
      )}
    </section>
  );
}
