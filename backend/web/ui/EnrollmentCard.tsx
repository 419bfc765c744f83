// EnrollmentCard redeems an enrollment or recovery link (welcome, then
// register a passkey on this device) for every app: the desk's staff and the
// phone's members see the same card in their app's words.

import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { linkRefusal, useLinkLoad, type AccountLink } from './accountLink';
import type { Enrollment } from './api';
import { KeyIcon } from './icons';
import { redeemLink } from './passkey';
import { errorMessage, type Session } from './session';

export interface EnrollmentWords {
  /** eyebrow is the small line above the title. */
  eyebrow: string;
  title: string;
  lead: string;
}

export interface EnrollmentCardProps {
  link: AccountLink;
  session: Session;
  /** onDone runs once the passkey is registered, or when the link is refused and the user goes to sign in. */
  onDone(): void;
  /** words says the card's text for the link's person, enrolling or recovering. */
  words(e: Enrollment, recovering: boolean): EnrollmentWords;
  /** facts are shown between the text and the button (the email, role, store). */
  facts(e: Enrollment): ComponentChildren;
}

/** EnrollmentCard is the card shown for ?enroll= and ?recover= links. */
export function EnrollmentCard({ link, session, onDone, words, facts }: EnrollmentCardProps) {
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
  const w = words(e, recovering);
  return (
    <section class="card enroll-card" aria-labelledby="enroll-title">
      <span class="card-icon" aria-hidden="true">
        <KeyIcon size={28} />
      </span>
      <p class="eyebrow">{w.eyebrow}</p>
      <h1 id="enroll-title" class="enroll-title">
        {w.title}
      </h1>
      <p class="muted">{w.lead}</p>
      {facts(e)}
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
