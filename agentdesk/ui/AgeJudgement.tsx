// AgeJudgement: the agent's age check on live video during an engagement.
// While the shopper's cart or order holds age-restricted items the agent
// may confirm (once the order awaits its check: livemall also checks the
// registered birth date) or refuse on their own judgement: "Doesn't look
// 18+" or "Not the account holder". A refusal takes the restricted items
// out of the cart and the order; the call goes on for the rest. Either way
// a still frame of the shopper's video (from the desk's remote video) is
// kept with the decision for the store's retention period.
//
//   <AgeJudgement entryId={…} name="Vera" avatar={false} cart={cart}
//                 order={order} videoLive onDone={refresh} onRefused={…} />

import { useEffect, useState } from 'preact/hooks';
import { CheckIcon, ShieldIcon, UserIcon, VideoIcon } from '../../backend/web/ui/icons';
import { errorMessage } from '../../backend/web/ui/session';
import { ageApi, captureFrame, type Judged } from './ageApi';
import type { EngagementOrder, ShopperCart } from './engagementApi';
import type { QueueContext } from '../../media/client/protocol';
import './age-judgement.css';

export interface AgeJudgementProps {
  entryId: string;
  name: string;
  /** avatar: the shopper hides behind an avatar (no camera). */
  avatar: boolean;
  cart: ShopperCart | null;
  order: EngagementOrder | null;
  context?: QueueContext;
  videoLive: boolean;
  /** onDone is told after a decision was recorded, to reload the cart and order. */
  onDone(): void;
  /** onRefused hears why an order was refused by the birth date (the server ends the call then). */
  onRefused?(reason: string): void;
}

type Decision = 'confirm' | 'looks_underage' | 'not_account_holder';

/** AgeJudgement is the age check panel; it shows only while there is something age-restricted to decide on, or a decision to show. */
export function AgeJudgement({ entryId, name, avatar, cart, order, context, videoLive, onDone, onRefused }: AgeJudgementProps) {
  const [busy, setBusy] = useState<Decision | null>(null);
  const [error, setError] = useState('');
  const [done, setDone] = useState<Judged | null>(null);
  const [days, setDays] = useState<number | null>(null);

  useEffect(() => {
    let alive = true;
    ageApi
      .retention()
      .then((r) => alive && setDays(r.retentionDays))
      .catch(() => {});
    return () => {
      alive = false;
    };
  }, []);

  const restricted = (cart?.items ?? []).filter((l) => l.ageLimit > 0);
  const awaiting = order?.state === 'awaiting_verification';
  const age = Math.max(18, ...restricted.map((l) => l.ageLimit));
  if (!awaiting && restricted.length === 0 && !done) return null;

  const decide = async (decision: Decision) => {
    setBusy(decision);
    setError('');
    try {
      const frame = await captureFrame();
      const r = await ageApi.judge(entryId, decision, frame.frame, frame.frameAt);
      setDone(r);
      if (decision === 'confirm' && !r.verified && r.reason) onRefused?.(r.reason);
      onDone();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(null);
    }
  };

  const facts = context?.facts ?? {};
  const open = awaiting || restricted.length > 0;
  return (
    <section class="eng-panel age-judgement" data-testid="age-judgement" aria-labelledby="age-judgement-title">
      <header class="eng-head">
        <h2 id="age-judgement-title">Age check</h2>
        <span class="muted small">on live video</span>
      </header>
      {done && <Outcome done={done} name={name} />}
      {open && (
        <div class="eng-agecheck">
          <p class="small">
            {awaiting
              ? `${name}'s order holds age-restricted products. Look at ${name} on live video, then decide: confirming also checks their registered birth date.`
              : `${name}'s cart holds ${restricted.map((l) => `${l.name} (${l.ageLimit}+)`).join(', ')}. Refuse now if they do not look ${age}+ or are not the account holder; confirm once they check out.`}
          </p>
          <ul class="chips ctx-facts" aria-label="Verified facts">
            <AgeFact ok={facts.over18} label="18" />
            <AgeFact ok={facts.over21} label="21" />
          </ul>
          <div class="age-actions">
            <button type="button" class="btn btn-primary" data-testid="age-check" disabled={!!busy || !videoLive || !awaiting} onClick={() => void decide('confirm')}>
              <VideoIcon size={16} /> {busy === 'confirm' ? 'Checking…' : 'I see them on live video — confirm age'}
            </button>
            <button type="button" class="btn btn-danger-soft" data-testid="age-refuse-look" disabled={!!busy || !videoLive} onClick={() => void decide('looks_underage')}>
              <ShieldIcon size={16} /> {busy === 'looks_underage' ? 'Refusing…' : `Doesn't look ${age}+`}
            </button>
            <button type="button" class="btn btn-danger-soft" data-testid="age-refuse-holder" disabled={!!busy || !videoLive} onClick={() => void decide('not_account_holder')}>
              <UserIcon size={16} /> {busy === 'not_account_holder' ? 'Refusing…' : 'Not the account holder'}
            </button>
          </div>
          <p class="small muted" data-testid="age-evidence-note">
            A still frame of {name}'s video is kept with your decision{days ? ` for ${days} days` : ''}, for the store's records; {name} was told so.
          </p>
          {!videoLive && (
            <p class="hint" data-testid="age-check-hint">
              {avatar
                ? `${name} is behind an avatar: use "Ask for live video" in the call, then decide once you see them.`
                : `${name}'s camera is off: ask them to turn it on, then decide once you see them.`}
            </p>
          )}
          {error && (
            <p class="status-error small" role="alert">
              {error}
            </p>
          )}
        </div>
      )}
    </section>
  );
}

/** decisionText names a recorded decision for the desk. */
function decisionText(d: Judged['decision']): string {
  switch (d) {
    case 'confirmed':
      return 'Age verified on live video';
    case 'looks_underage':
      return 'Refused: does not look old enough';
    case 'not_account_holder':
      return 'Refused: not the account holder';
    default:
      return 'Refused by their registered birth date';
  }
}

function Outcome({ done, name }: { done: Judged; name: string }) {
  const kept = new Date(done.keepUntil).toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
  let text = '';
  if (done.verified) text = `${name} may now sign and pay.`;
  else if (done.decision === 'refused_by_record') text = `The order was refused: ${done.reason ?? ''}`;
  else text = `${done.removed.join(', ')} left the ${done.order ? 'order' : 'cart'}. ${name} sees why; the call goes on for the rest.`;
  return (
    <div class={`age-outcome ${done.verified ? 'is-ok' : 'is-refused'}`} data-testid="age-outcome" data-decision={done.decision} role="status">
      <img class="age-frame" src={done.frameUrl} alt={`Still frame of ${name}'s video`} width={96} height={72} data-testid="age-frame" />
      <div class="age-outcome-body">
        <p class="age-outcome-title">
          {done.verified ? <CheckIcon size={14} /> : <ShieldIcon size={14} />} {decisionText(done.decision)}
        </p>
        <p class="small">{text}</p>
        <p class="small muted">Frame kept as evidence until {kept}.</p>
      </div>
    </div>
  );
}

function AgeFact({ ok, label }: { ok: boolean | undefined; label: string }) {
  return (
    <li class={`fact ${ok ? 'tone-ok' : ok === false ? 'tone-warn' : 'tone-muted'}`}>
      {ok ? <CheckIcon size={14} /> : <ShieldIcon size={14} />}
      {ok ? `Over ${label}` : `Not verified over ${label}`}
    </li>
  );
}
