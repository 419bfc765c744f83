// AgeNotice: what the shopper is told about the age check on live video.
// Before it (their cart or order holds age-restricted items): the agent will
// look at them on camera and a still frame of their video is kept as
// evidence for the store's retention period. After an agent's refusal
// ("doesn't look 18+", "not the account holder"): which items left their
// order and why; the call goes on for the rest. Mounted in the call panel
// and on the cart and order pages.
//
//   <AgeNotice store="vinoteca-rossi" />            // in the call with that store
//   <AgeNotice store={slug} pending />               // an order awaiting its check

import { useEffect, useState } from 'preact/hooks';
import { ShieldIcon } from '../../backend/web/ui/icons';
import { api } from '../../backend/web/ui/api';
import { useCart } from './cart';
import { useTalkSession } from './talkSession';
import './age-notice.css';

/** AgeRefusal is one of GET /age-checks' notices: why items left the shopper's order. */
export interface AgeRefusal {
  id: string;
  store: { slug: string; name: string };
  decision: 'looks_underage' | 'not_account_holder';
  reason: string;
  removed: string[];
  decidedAt: string;
}

const enc = encodeURIComponent;

/** ageNoticeApi is the typed list of the shopper's age check endpoints. */
export const ageNoticeApi = {
  refusals: () => api.get<{ notices: AgeRefusal[] }>('/age-checks').then((r) => r.notices),
  retention: (store: string) => api.get<{ retentionDays: number }>(`/stores/${enc(store)}/age-evidence`).then((r) => r.retentionDays),
};

/** dismissed keeps the refusals the shopper closed in this tab. */
const dismissed = new Set<string>();

export interface AgeNoticeProps {
  /** store limits the notice to one store (the call's); all stores when absent. */
  store?: string;
  /** pending says an order of the store awaits its age check now. */
  pending?: boolean;
  /** inCallPanel opens a folded call panel when a notice appears: the shopper must read it. */
  inCallPanel?: boolean;
}

/** AgeNotice renders the before-the-check notice and the latest refusal, or nothing. */
export function AgeNotice({ store, pending = false, inCallPanel = false }: AgeNoticeProps) {
  const { cart } = useCart();
  const talk = useTalkSession();
  const [refusals, setRefusals] = useState<AgeRefusal[]>([]);
  const [days, setDays] = useState<number | null>(null);
  const [, setClosed] = useState(0);

  // Refusals arrive with a new cart (the server publishes it): read them again then.
  useEffect(() => {
    let alive = true;
    ageNoticeApi
      .refusals()
      .then((r) => alive && setRefusals(r))
      .catch(() => {});
    return () => {
      alive = false;
    };
  }, [cart.id, cart.version, store]);

  const restricted = cart.items.filter((l) => l.ageLimit > 0 && (!store || l.storeSlug === store));
  const before = pending || restricted.length > 0;
  const checkStore = store ?? restricted[0]?.storeSlug ?? '';
  useEffect(() => {
    if (!before || !checkStore) return;
    let alive = true;
    ageNoticeApi
      .retention(checkStore)
      .then((d) => alive && setDays(d))
      .catch(() => {});
    return () => {
      alive = false;
    };
  }, [before, checkStore]);

  const latest = refusals.find((r) => (!store || r.store.slug === store) && !dismissed.has(r.id));
  const shown = `${before}:${latest?.id ?? ''}`;
  useEffect(() => {
    if (inCallPanel && (before || latest)) talk.setMinimized(false);
  }, [shown]);
  if (!before && !latest) return null;
  return (
    <div class="age-notices">
      {latest && (
        <div class="age-notice is-refused" role="alert" data-testid="age-refusal" data-decision={latest.decision}>
          <ShieldIcon size={18} />
          <div class="age-notice-body">
            <p class="age-notice-title">
              {latest.removed.join(', ')} left your order
            </p>
            <p class="age-notice-text" data-testid="age-refusal-reason">
              {latest.reason}
            </p>
          </div>
          <button
            type="button"
            class="icon-btn age-notice-close"
            aria-label="Close this notice"
            onClick={() => {
              dismissed.add(latest.id);
              setClosed((n) => n + 1);
            }}
          >
            ×
          </button>
        </div>
      )}
      {before && (
        <div class="age-notice" role="note" data-testid="age-evidence-notice">
          <ShieldIcon size={18} />
          <p class="age-notice-text">
            {restricted.length > 0 ? `${restricted.map((l) => `${l.name} (${l.ageLimit}+)`).join(', ')}: ` : ''}
            an agent checks your age on live video. A still frame of your video is kept with the check as evidence
            {days ? ` for ${days} days` : " for the store's retention period"}, seen only by the store's staff.
          </p>
        </div>
      )}
    </div>
  );
}
