// Visitors: members who chose to be seen in the mall, drawn as small initials
// circles in their colour in front of the store they are in, and the
// heartbeat that tells the server which store a signed-in member is looking at.

import { useEffect } from 'preact/hooks';
import { api, type Account } from '../../backend/web/ui/api';
import type { Route } from './router';

/** MallVisitor is a member shown on a building: first name, initials and colour only. */
export interface MallVisitor {
  name: string;
  initials: string;
  color: string;
}

/** WithVisitors is a store as the stores API sends it, with its visitors. */
export interface WithVisitors {
  visitors?: MallVisitor[];
}

/** heartbeatEvery is how often the mall repeats where the member is; the server forgets after ~60 s. */
const heartbeatEvery = 20_000;

/** visitorsLabel says who is inside in words: "3 members inside: Ana, Bo, Cy". */
export function visitorsLabel(visitors: MallVisitor[]): string {
  if (visitors.length === 0) return '';
  const who = visitors.map((v) => v.name).join(', ');
  return `${visitors.length === 1 ? '1 member' : `${visitors.length} members`} inside: ${who}`;
}

/**
 * useMallPresence tells the server which store a signed-in member is looking at
 * (store and product pages): at once on navigation, then every 20 s while the
 * page is visible. Guests and staff send nothing; the server shows only members
 * who chose to be seen.
 */
export function useMallPresence(route: Route, account: Account | null) {
  const slug = route.page === 'store' || route.page === 'product' ? route.slug : '';
  const member = account?.role === 'member';
  useEffect(() => {
    if (!slug || !member) return;
    const beat = () => {
      if (document.visibilityState !== 'visible') return;
      // Being seen is a courtesy: a failed heartbeat is not worth a message.
      api.post('/mall/presence', { store: slug }).catch(() => undefined);
    };
    beat();
    const t = setInterval(beat, heartbeatEvery);
    document.addEventListener('visibilitychange', beat);
    return () => {
      clearInterval(t);
      document.removeEventListener('visibilitychange', beat);
    };
  }, [slug, member]);
}

/**
 * VisitorsOnBuilding draws the visitors as a row of initials circles standing
 * in front of the shop door, centred on cx with their middles at y. As many as
 * fit the building's width w are drawn; the rest become a "+N" circle.
 */
export function VisitorsOnBuilding({ visitors, cx, y, w }: { visitors: MallVisitor[]; cx: number; y: number; w: number }) {
  if (visitors.length === 0) return null;
  const r = 10;
  const step = 21;
  const fit = Math.max(2, Math.floor((w + 8) / step));
  const shown = visitors.length > fit ? visitors.slice(0, fit - 1) : visitors;
  const more = visitors.length - shown.length;
  const count = shown.length + (more > 0 ? 1 : 0);
  const x0 = cx - ((count - 1) * step) / 2;
  return (
    <g class="visitors" aria-hidden="true">
      {shown.map((v, i) => (
        <g key={`${v.name}-${i}`} class="visitor">
          <circle cx={x0 + i * step} cy={y} r={r} fill={v.color} stroke="#fff" stroke-width="1.8" />
          <text x={x0 + i * step} y={y + 3.4} class="visitor-initials" text-anchor="middle">
            {v.initials}
          </text>
        </g>
      ))}
      {more > 0 && (
        <g class="visitor visitor-more">
          <circle cx={x0 + shown.length * step} cy={y} r={r} fill="#1d2033" stroke="#fff" stroke-width="1.8" />
          <text x={x0 + shown.length * step} y={y + 3.4} class="visitor-initials" text-anchor="middle">
            +{more}
          </text>
        </g>
      )}
    </g>
  );
}

/** VisitorsRow lists the visitors in HTML (store banner): circles and first names. */
export function VisitorsRow({ visitors }: { visitors: MallVisitor[] }) {
  if (visitors.length === 0) return null;
  return (
    <p class="visitors-row" aria-label={visitorsLabel(visitors)}>
      <span class="visitors-row-faces" aria-hidden="true">
        {visitors.map((v, i) => (
          <span key={`${v.name}-${i}`} class="visitor-face" style={{ background: v.color }} title={v.name}>
            {v.initials}
          </span>
        ))}
      </span>
      <span class="visitors-row-text" aria-hidden="true">
        {visitorsLabel(visitors).replace(/^(\d+) members? inside: /, '')} {visitors.length === 1 ? 'is' : 'are'} here now
      </span>
    </p>
  );
}
