// MemberEnroll redeems a member's enrollment link (/phone/?enroll=TOKEN, printed
// by `livemall member add`): welcome, then register a passkey on this device.

import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Enrollment } from '../../backend/web/ui/api';
import { KeyIcon } from '../../backend/web/ui/icons';
import { enroll } from '../../backend/web/ui/passkey';
import { errorMessage, type Session } from '../../backend/web/ui/session';

type Load = { state: 'loading' } | { state: 'gone' } | { state: 'error'; message: string } | { state: 'ready'; enrollment: Enrollment };

/** MemberEnroll is the card shown for ?enroll=. */
export function MemberEnroll({ token, session, onDone }: { token: string; session: Session; onDone(): void }) {
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  useEffect(() => {
    api.enrollment(token).then(
      (enrollment) => setLoad({ state: 'ready', enrollment }),
      (e: unknown) =>
        setLoad(e instanceof ApiError && e.status === 404 ? { state: 'gone' } : { state: 'error', message: errorMessage(e) }),
    );
  }, [token]);

  async function register() {
    setBusy(true);
    setError('');
    try {
      session.set(await enroll(token));
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
    return (
      <section class="card enroll-card" role="alert" aria-labelledby="enroll-gone">
        <h1 id="enroll-gone" class="enroll-title">
          {load.state === 'gone' ? 'This link can no longer be used' : 'The link did not open'}
        </h1>
        <p class="muted">
          {load.state === 'gone'
            ? 'It was already used or it has expired. If you registered a passkey with it, just sign in.'
            : load.message}
        </p>
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
      <p class="eyebrow">Your livemall phone</p>
      <h1 id="enroll-title" class="enroll-title">
        Welcome {e.name}
      </h1>
      <p class="muted">
        Your number is waiting. Register a passkey on this device to sign in — no password to remember.
      </p>
      <p class="small">
        Email: <strong>{e.email}</strong>
      </p>
      <button type="button" class="btn btn-primary btn-block btn-lg" onClick={register} disabled={busy}>
        <KeyIcon />
        Register my passkey
      </button>
      <p class={`status ${error ? 'status-error' : busy ? 'status-busy' : ''}`} role="status" aria-live="polite">
        {busy && <span class="spinner" aria-hidden="true" />}
        {error || (busy ? 'Creating your passkey…' : '')}
      </p>
    </section>
  );
}
