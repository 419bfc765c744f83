import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Enrollment } from '../../backend/web/ui/api';
import { KeyIcon } from '../../backend/web/ui/icons';
import { enroll } from '../../backend/web/ui/passkey';
import { errorMessage, roleName, type Session } from '../../backend/web/ui/session';

type Load = { state: 'loading' } | { state: 'gone' } | { state: 'error'; message: string } | { state: 'ready'; enrollment: Enrollment };

/** EnrollCard redeems a staff enrollment link: welcome, then register a passkey. */
export function EnrollCard({ token, session, onEnrolled }: { token: string; session: Session; onEnrolled(): void }) {
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<{ error: boolean; text: string }>({ error: false, text: '' });

  useEffect(() => {
    api.enrollment(token).then(
      (enrollment) => setLoad({ state: 'ready', enrollment }),
      (e: unknown) =>
        setLoad(e instanceof ApiError && e.status === 404 ? { state: 'gone' } : { state: 'error', message: errorMessage(e) }),
    );
  }, [token]);

  async function register() {
    setBusy(true);
    setStatus({ error: false, text: 'Creating your passkey…' });
    try {
      const account = await enroll(token);
      session.set(account);
      onEnrolled();
    } catch (e) {
      setStatus({ error: true, text: errorMessage(e) });
      setBusy(false);
    }
  }

  if (load.state === 'loading') {
    return <div class="enroll-card card" aria-busy="true"><p class="muted">Opening your enrollment link…</p></div>;
  }
  if (load.state === 'gone' || load.state === 'error') {
    return (
      <section class="enroll-card card" role="alert" aria-labelledby="enroll-gone">
        <h1 id="enroll-gone" class="enroll-title">
          {load.state === 'gone' ? 'This enrollment link can no longer be used' : 'The enrollment link did not open'}
        </h1>
        <p class="muted">
          {load.state === 'gone'
            ? 'It was already used or it has expired. If you registered a passkey with it, sign in below; otherwise ask your administrator for a new link.'
            : load.message}
        </p>
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
      <p class="eyebrow">Staff enrollment</p>
      <h1 id="enroll-title" class="enroll-title">
        Welcome {e.name} — register your passkey for {where}
      </h1>
      <p class="muted">
        Your passkey stays on this device and is how you sign in to the desk from now on. No password to remember.
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
        Register my passkey
      </button>
      <p class={`status ${status.error ? 'status-error' : busy ? 'status-busy' : ''}`} role="status" aria-live="polite">
        {busy && <span class="spinner" aria-hidden="true" />}
        {status.text}
      </p>
    </section>
  );
}
