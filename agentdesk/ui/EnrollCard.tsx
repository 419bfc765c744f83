import { useState } from 'preact/hooks';
import { linkRefusal, useLinkLoad, type AccountLink } from '../../backend/web/ui/accountLink';
import { KeyIcon } from '../../backend/web/ui/icons';
import { redeemLink } from '../../backend/web/ui/passkey';
import { errorMessage, roleName, type Session } from '../../backend/web/ui/session';

/**
 * EnrollCard redeems a staff enrollment link (welcome, then register the first
 * passkey) or a recovery link (add a passkey to an account whose owner lost
 * theirs).
 */
export function EnrollCard({ link, session, onEnrolled }: { link: AccountLink; session: Session; onEnrolled(): void }) {
  const load = useLinkLoad(link);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<{ error: boolean; text: string }>({ error: false, text: '' });
  const recovering = link.kind === 'recover';

  async function register() {
    setBusy(true);
    setStatus({ error: false, text: 'Creating your passkey…' });
    try {
      const account = await redeemLink(link.kind, link.token);
      session.set(account);
      onEnrolled();
    } catch (e) {
      setStatus({ error: true, text: errorMessage(e) });
      setBusy(false);
    }
  }

  if (load.state === 'loading') {
    return <div class="enroll-card card" aria-busy="true"><p class="muted">Opening your link…</p></div>;
  }
  if (load.state !== 'ready') {
    const refusal = linkRefusal(link.kind, load);
    return (
      <section class="enroll-card card" role="alert" aria-labelledby="enroll-gone">
        <h1 id="enroll-gone" class="enroll-title">
          {refusal.title}
        </h1>
        <p class="muted">{refusal.text}</p>
        <div class="actions">
          <button type="button" class="btn btn-primary" onClick={onEnrolled}>
            Go to sign in
          </button>
        </div>
      </section>
    );
  }

  const e = load.enrollment;
  const where = e.store ? e.store.name : 'livemall';
  return (
    <section class="enroll-card card" aria-labelledby="enroll-title">
      <span class="enroll-icon" aria-hidden="true">
        <KeyIcon size={28} />
      </span>
      <p class="eyebrow">{recovering ? 'Account recovery' : 'Staff enrollment'}</p>
      <h1 id="enroll-title" class="enroll-title">
        {recovering ? `${e.name} — add a new passkey for ${where}` : `Welcome ${e.name} — register your passkey for ${where}`}
      </h1>
      <p class="muted">
        {recovering
          ? 'An administrator issued this one-time link because you lost your passkey. The new passkey stays on this device; the link works once, within an hour.'
          : 'Your passkey stays on this device and is how you sign in to the desk from now on. No password to remember.'}
      </p>
      <dl class="enroll-facts">
        <div class="wide">
          <dt>Email</dt>
          <dd>{e.email}</dd>
        </div>
        <div>
          <dt>Role</dt>
          <dd>{roleName(e.role)}</dd>
        </div>
        <div>
          <dt>Store</dt>
          <dd>{e.store ? e.store.name : 'All stores'}</dd>
        </div>
      </dl>
      <button type="button" class="btn btn-primary btn-block btn-lg" onClick={register} disabled={busy}>
        <KeyIcon />
        {recovering ? 'Add my new passkey' : 'Register my passkey'}
      </button>
      <p class={`status ${status.error ? 'status-error' : busy ? 'status-busy' : ''}`} role="status" aria-live="polite">
        {busy && <span class="spinner" aria-hidden="true" />}
        {status.text}
      </p>
    </section>
  );
}
