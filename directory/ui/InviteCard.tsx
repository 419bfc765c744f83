// InviteCard: invite a friend by email.

import { useId, useState } from 'preact/hooks';
import { CheckIcon } from '../../backend/web/ui/icons';
import { errorMessage } from '../../backend/web/ui/session';
import { directoryApi } from './directoryApi';

type Status = { kind: 'idle' | 'busy' | 'ok' | 'error'; text: string };

/** InviteCard sends POST /directory/invites. */
export function InviteCard() {
  const id = useId();
  const [email, setEmail] = useState('');
  const [note, setNote] = useState('');
  const [status, setStatus] = useState<Status>({ kind: 'idle', text: '' });
  const [emailError, setEmailError] = useState('');

  async function send(e: Event) {
    e.preventDefault();
    const to = email.trim();
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(to)) {
      setEmailError('Enter an email address like name@example.com.');
      return;
    }
    setStatus({ kind: 'busy', text: 'Sending…' });
    try {
      await directoryApi.invite(to, note.trim() || undefined);
      setStatus({ kind: 'ok', text: `Invitation sent to ${to}.` });
      setEmail('');
      setNote('');
    } catch (err) {
      setStatus({ kind: 'error', text: errorMessage(err) });
    }
  }

  return (
    <section class="card invite-card" aria-labelledby={`${id}-t`}>
      <h2 class="card-title" id={`${id}-t`}>
        Invite a friend
      </h2>
      <p class="muted small">They get a link to join livemall and their own number for life.</p>
      <form class="invite-form" onSubmit={send} noValidate>
        <div class="field">
          <label for={`${id}-e`}>Friend’s email</label>
          <input
            id={`${id}-e`}
            type="email"
            autocomplete="off"
            value={email}
            aria-invalid={emailError ? 'true' : undefined}
            onInput={(e) => {
              setEmail(e.currentTarget.value);
              setEmailError('');
            }}
          />
          {emailError && <p class="field-error">{emailError}</p>}
        </div>
        <div class="field">
          <label for={`${id}-n`}>Note (optional)</label>
          <input id={`${id}-n`} type="text" maxLength={200} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
        </div>
        <button type="submit" class="btn btn-secondary" disabled={status.kind === 'busy'}>
          Send invitation
        </button>
      </form>
      {status.kind !== 'idle' && status.kind !== 'busy' && (
        <p class={`status status-${status.kind}`} role={status.kind === 'error' ? 'alert' : 'status'}>
          {status.kind === 'ok' && <CheckIcon size={16} />}
          {status.text}
        </p>
      )}
    </section>
  );
}
