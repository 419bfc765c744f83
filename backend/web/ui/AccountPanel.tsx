// AccountPanel: sign in, create an account, add a passkey and sign out.
// Every app shows it; the desk hides sign-up because staff are enrolled by link.

import { useEffect, useId, useRef, useState } from 'preact/hooks';
import type { TargetedEvent } from 'preact';
import { api, ApiError, type Account, type Passkey } from './api';
import { addPasskey, passkeysSupported, signIn, signUp, type SignUpForm } from './passkey';
import { errorMessage, initials, roleName, type Session } from './session';
import { CheckIcon, KeyIcon } from './icons';
import { checkNumber } from './numbers';
import { VanityField } from './VanityField';

export interface AccountPanelProps {
  session: Session;
  /** allowSignUp shows the "Create account" form to signed-out visitors. */
  allowSignUp?: boolean;
  /** signInHint replaces the line under the sign-in heading. */
  signInHint?: string;
  /** onSignedIn runs after any successful sign-in or sign-up. */
  onSignedIn?(account: Account): void;
  /** allowVanity adds the optional "Choose your number" field to the sign-up form. */
  allowVanity?: boolean;
  /** signUpTitle replaces the "Create account" heading's lead-in line. */
  signUpLead?: string;
}

type Status = { kind: 'idle' | 'busy' | 'ok' | 'error'; text: string };
const idle: Status = { kind: 'idle', text: '' };

/** AccountPanel shows the right account controls for the session's state. */
export function AccountPanel(props: AccountPanelProps) {
  const { session } = props;
  if (session.loading) {
    return (
      <section class="account-panel card" aria-busy="true">
        <p class="muted">Checking your account…</p>
      </section>
    );
  }
  return session.account ? (
    <SignedIn session={session} account={session.account} />
  ) : (
    <SignedOut {...props} />
  );
}

function StatusLine({ status }: { status: Status }) {
  return (
    <p
      class={`status status-${status.kind}`}
      role={status.kind === 'error' ? 'alert' : 'status'}
      aria-live={status.kind === 'error' ? 'assertive' : 'polite'}
    >
      {status.kind === 'busy' && <span class="spinner" aria-hidden="true" />}
      {status.kind === 'ok' && <CheckIcon size={16} />}
      {status.text}
    </p>
  );
}

type Field = keyof SignUpForm;
type TextField = Exclude<Field, 'vanityNumber'>;
type FieldErrors = Partial<Record<Field, string>>;

/** fieldOf guesses which form field a server message is about. */
function fieldOf(e: unknown, vanity: boolean): Field | null {
  const m = errorMessage(e).toLowerCase();
  if (vanity && /\bnumber\b/.test(m) && !m.includes('email')) return 'vanityNumber';
  if (e instanceof ApiError && e.status === 409) return 'email';
  if (m.includes('email')) return 'email';
  if (m.includes('birth') || m.includes('age')) return 'birthDate';
  if (m.includes('address')) return 'address';
  if (m.includes('name')) return 'name';
  return null;
}

function validate(f: SignUpForm): FieldErrors {
  const errs: FieldErrors = {};
  if (!f.name.trim()) errs.name = 'Enter your name.';
  if (!f.email.trim()) errs.email = 'Enter your email address.';
  else if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(f.email.trim())) errs.email = 'Enter an email address like name@example.com.';
  if (!f.birthDate) errs.birthDate = 'Enter your birth date.';
  else if (f.birthDate > new Date().toISOString().slice(0, 10)) errs.birthDate = 'Your birth date cannot be in the future.';
  if (!f.address.trim()) errs.address = 'Enter your postal address.';
  if (f.vanityNumber) {
    const c = checkNumber(f.vanityNumber);
    if (c.problem) errs.vanityNumber = c.problem;
    else if (!c.complete) errs.vanityNumber = `A number has 12 digits; this has ${c.digits.length}.`;
  }
  return errs;
}

function SignedOut(props: AccountPanelProps) {
  const { session, allowSignUp, onSignedIn } = props;
  const [status, setStatus] = useState<Status>(idle);
  const [form, setForm] = useState<SignUpForm>({ name: '', email: '', birthDate: '', address: '', vanityNumber: '' });
  const [errors, setErrors] = useState<FieldErrors>({});
  const id = useId();
  const formRef = useRef<HTMLFormElement>(null);
  const busy = status.kind === 'busy';
  const supported = passkeysSupported();

  async function doSignIn() {
    setStatus({ kind: 'busy', text: 'Waiting for your passkey…' });
    try {
      const account = await signIn();
      session.set(account);
      onSignedIn?.(account);
    } catch (e) {
      setStatus({ kind: 'error', text: errorMessage(e) });
    }
  }

  async function doSignUp(ev: Event) {
    ev.preventDefault();
    const errs = validate(form);
    setErrors(errs);
    if (Object.keys(errs).length > 0) {
      setStatus({ kind: 'error', text: 'Please fix the highlighted fields.' });
      const first = Object.keys(errs)[0];
      formRef.current?.querySelector<HTMLElement>(`[name="${first}"]`)?.focus();
      return;
    }
    setStatus({ kind: 'busy', text: 'Creating your passkey…' });
    try {
      const account = await signUp({ ...form, name: form.name.trim(), email: form.email.trim(), address: form.address.trim() });
      session.set(account);
      onSignedIn?.(account);
    } catch (e) {
      const field = fieldOf(e, Boolean(form.vanityNumber));
      if (field && e instanceof ApiError && e.status >= 400) {
        setErrors({ [field]: e.message });
        formRef.current?.querySelector<HTMLElement>(`[name="${field}"]`)?.focus();
      }
      setStatus({ kind: 'error', text: errorMessage(e) });
    }
  }

  const input = (name: TextField) => ({
    id: `${id}-${name}`,
    name,
    value: form[name],
    disabled: busy,
    'aria-invalid': errors[name] ? ('true' as const) : undefined,
    'aria-describedby': errors[name] ? `${id}-${name}-err` : undefined,
    onInput: (e: TargetedEvent<HTMLInputElement | HTMLTextAreaElement>) => {
      const value = e.currentTarget.value;
      setForm((f) => ({ ...f, [name]: value }));
      if (errors[name]) setErrors((er) => ({ ...er, [name]: undefined }));
    },
  });
  const fieldError = (name: Field) =>
    errors[name] ? (
      <p class="field-error" id={`${id}-${name}-err`}>
        {errors[name]}
      </p>
    ) : null;

  return (
    <section class="account-panel card" aria-labelledby={`${id}-signin`}>
      <div class="panel-block">
        <h2 id={`${id}-signin`} class="panel-title">
          Sign in
        </h2>
        <p class="muted">
          {props.signInHint ?? 'Use the passkey saved on this device — no username, no password.'}
        </p>
        <button type="button" class="btn btn-primary btn-block" onClick={doSignIn} disabled={busy || !supported}>
          <KeyIcon />
          Sign in with a passkey
        </button>
        {!supported && (
          <p class="field-error">This browser cannot use passkeys. Try a current Chrome, Edge, Safari or Firefox.</p>
        )}
      </div>

      {allowSignUp && (
        <>
          <div class="divider" role="presentation">
            <span>New to livemall?</span>
          </div>
          <form class="panel-block signup" onSubmit={doSignUp} noValidate ref={formRef} aria-labelledby={`${id}-signup`}>
            <h2 id={`${id}-signup`} class="panel-title">
              Create account
            </h2>
            {props.signUpLead && <p class="muted small signup-lead">{props.signUpLead}</p>}
            <div class="field">
              <label for={`${id}-name`}>Full name</label>
              <input type="text" autocomplete="name" required {...input('name')} />
              {fieldError('name')}
            </div>
            <div class="field">
              <label for={`${id}-email`}>Email</label>
              <input type="email" autocomplete="email" inputMode="email" required {...input('email')} />
              {fieldError('email')}
            </div>
            <div class="field">
              <label for={`${id}-birthDate`}>Birth date</label>
              <input type="date" autocomplete="bday" required max={new Date().toISOString().slice(0, 10)} {...input('birthDate')} />
              {fieldError('birthDate')}
              <p class="hint">Some products are sold only to adults; we check your age from this.</p>
            </div>
            <div class="field">
              <label for={`${id}-address`}>Postal address</label>
              <textarea rows={3} autocomplete="street-address" required {...input('address')} />
              {fieldError('address')}
            </div>
            {props.allowVanity && (
              <VanityField
                id={`${id}-vanityNumber`}
                name="vanityNumber"
                label="Choose your number (optional)"
                digits={form.vanityNumber ?? ''}
                onDigits={(d) => {
                  setForm((f) => ({ ...f, vanityNumber: d }));
                  if (errors.vanityNumber) setErrors((er) => ({ ...er, vanityNumber: undefined }));
                }}
                error={errors.vanityNumber}
                disabled={busy}
                hint="Leave it empty and we give you the next free number. Yours for life either way."
              />
            )}
            <button type="submit" class="btn btn-secondary btn-block" disabled={busy || !supported}>
              Create account
            </button>
            <p class="hint center">You will be asked to save a passkey on this device.</p>
          </form>
        </>
      )}
      <StatusLine status={status} />
    </section>
  );
}

function formatDate(iso: string | null): string {
  if (!iso) return 'never';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

function SignedIn({ session, account }: { session: Session; account: Account }) {
  const [status, setStatus] = useState<Status>(idle);
  const [passkeys, setPasskeys] = useState<Passkey[] | null>(null);
  const id = useId();
  const busy = status.kind === 'busy';

  async function loadPasskeys() {
    try {
      setPasskeys(await api.passkeys());
    } catch {
      setPasskeys(null);
    }
  }

  useEffect(() => {
    void loadPasskeys();
  }, [account.id]);

  async function doAdd() {
    setStatus({ kind: 'busy', text: 'Creating another passkey…' });
    try {
      await addPasskey();
      await loadPasskeys();
      setStatus({ kind: 'ok', text: 'Passkey added. You can now sign in with it too.' });
    } catch (e) {
      setStatus({ kind: 'error', text: errorMessage(e) });
    }
  }

  async function doSignOut() {
    setStatus({ kind: 'busy', text: 'Signing out…' });
    try {
      await api.signOut();
      session.set(null);
    } catch (e) {
      setStatus({ kind: 'error', text: errorMessage(e) });
    }
  }

  return (
    <section class="account-panel card" aria-labelledby={`${id}-who`}>
      <div class="who">
        <span class="avatar" aria-hidden="true">
          {initials(account.name)}
        </span>
        <div class="who-text">
          <p id={`${id}-who`} class="who-line">
            Signed in as <strong class="account-name">{account.name}</strong>
          </p>
          <p class="muted small">{account.email}</p>
          <p class="badges">
            <span class={`badge badge-role badge-${account.role}`}>{roleName(account.role)}</span>
            {account.store && <span class="badge badge-store">{account.store.name}</span>}
          </p>
        </div>
      </div>

      <div class="panel-block">
        <h3 class="panel-subtitle" id={`${id}-keys`}>
          Your passkeys
        </h3>
        {passkeys === null ? (
          <p class="muted small">Loading passkeys…</p>
        ) : (
          <ul class="passkeys" aria-labelledby={`${id}-keys`}>
            {passkeys.map((p, i) => (
              <li key={p.id} class="passkey">
                <KeyIcon size={16} />
                <span>
                  Passkey {i + 1}
                  <span class="muted small"> · added {formatDate(p.createdAt)}</span>
                  {p.lastUsedAt && <span class="muted small"> · last used {formatDate(p.lastUsedAt)}</span>}
                </span>
              </li>
            ))}
          </ul>
        )}
      </div>

      <div class="actions">
        <button type="button" class="btn btn-secondary" onClick={doAdd} disabled={busy}>
          <KeyIcon />
          Add another passkey
        </button>
        <button type="button" class="btn btn-ghost" onClick={doSignOut} disabled={busy}>
          Sign out
        </button>
      </div>
      <StatusLine status={status} />
    </section>
  );
}
