// MemberEnroll redeems a member's enrollment link (/phone/?enroll=TOKEN, printed
// by `livemall member add`) or recovery link (/phone/?recover=TOKEN, printed by
// `livemall account recover`): welcome, then register a passkey on this device.

import { useState } from 'preact/hooks';
import { linkRefusal, useLinkLoad, type AccountLink } from '../../backend/web/ui/accountLink';
import { KeyIcon } from '../../backend/web/ui/icons';
import { redeemLink } from '../../backend/web/ui/passkey';
import { errorMessage, type Session } from '../../backend/web/ui/session';

/** MemberEnroll is the card shown for ?enroll= and ?recover=. */
export function MemberEnroll({ link, session, onDone }: { link: AccountLink; session: Session; onDone(): void }) {
  const load = useLinkLoad(link);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const recovering = link.kind === 'recover';

  async function register() {
    setBusy(true);
    setError('');
    try {
      session.set(await redeemLink(link.kind, link.token));
      onDone();
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  }

  if (load.state === 'loading') {
    return (
      <section class="card enroll-card" aria-busy="true">
        <p class="muted">Opening your link…</p>
      </section>
    );
  }
  if (load.state !== 'ready') {
    const refusal = linkRefusal(link.kind, load);
    return (
      <section class="card enroll-card" role="alert" aria-labelledby="enroll-gone">
        <h1 id="enroll-gone" class="enroll-title">
          {refusal.title}
        </h1>
        <p class="muted">{refusal.text}</p>
        <div class="actions">
          <button type="button" class="btn btn-primary" onClick={onDone}>
            Go to sign in
          </button>
        </div>
      </section>
    );
  }
  const e = load.enrollment;
  return (
    <section class="card enroll-card" aria-labelledby="enroll-title">
      <span class="enroll-icon" aria-hidden="true">
        <KeyIcon size={28} />
      </span>
      <p class="eyebrow">{recovering ? 'Account recovery' : 'Your livemall phone'}</p>
      <h1 id="enroll-title" class="enroll-title">
        {recovering ? `${e.name} — add a new passkey` : `Welcome ${e.name}`}
      </h1>
      <p class="muted">
        {recovering
          ? 'An administrator issued this one-time link because you lost your passkey. It works once, within an hour.'
          : 'Your number is waiting. Register a passkey on this device to sign in — no password to remember.'}
      </p>
      <p class="small">
        Email: <strong>{e.email}</strong>
      </p>
      <button type="button" class="btn btn-primary btn-block btn-lg" onClick={register} disabled={busy}>
        <KeyIcon />
        {recovering ? 'Add my new passkey' : 'Register my passkey'}
      </button>
      <p class={`status ${error ? 'status-error' : busy ? 'status-busy' : ''}`} role="status" aria-live="polite">
        {busy && <span class="spinner" aria-hidden="true" />}
        {error || (busy ? 'Creating your passkey…' : '')}
      </p>
    </section>
  );
}
