// PhoneCard: the signed-in member's phone — their numbers, presence, how
// calls ring them, whether and how they are listed, and getting another number.

import { useId, useState } from 'preact/hooks';
import type { Account } from '../../backend/web/ui/api';
import { ApiError } from '../../backend/web/ui/api';
import { CheckIcon, CloseIcon } from '../../backend/web/ui/icons';
import { checkNumber } from '../../backend/web/ui/numbers';
import { errorMessage, initials } from '../../backend/web/ui/session';
import { VanityField } from '../../backend/web/ui/VanityField';
import { PushSwitch } from '../../backend/web/ui/PushSwitch';
import { NoticeSettings } from './NoticeSettings';
import { directoryApi, type Device, type MyPhone, type MyPhonePatch, type RingMode } from './directoryApi';
import { Light } from './Light';
import type { PhoneSignal } from './usePhoneSignal';

type Note = { kind: 'ok' | 'error'; text: string } | null;

export interface PhoneCardProps {
  account: Account;
  phone: MyPhone | null;
  loadError: string;
  onPhone(p: MyPhone): void;
  signal: PhoneSignal;
}

/** PhoneCard is the "Your phone" card. */
export function PhoneCard({ account, phone, loadError, onPhone, signal }: PhoneCardProps) {
  const primary = phone?.numbers.find((n) => n.primary) ?? phone?.numbers[0] ?? null;
  const others = phone ? phone.numbers.filter((n) => n !== primary) : [];

  return (
    <section class="card phone-card" aria-labelledby="phone-title">
      <div class="phone-card-head">
        <span class="avatar avatar-lg" aria-hidden="true">
          {initials(account.name)}
        </span>
        <div>
          <p class="eyebrow">Your phone</p>
          <h1 id="phone-title" class="phone-name">
            {account.name}
          </h1>
          <p class="muted small">{account.email}</p>
        </div>
      </div>

      {loadError ? (
        <p class="status status-error" role="alert">
          {loadError}
        </p>
      ) : !phone ? (
        <div class="number-slot" aria-busy="true">
          <span class="number-label">Your number</span>
          <span class="number-digits number-loading">•••• •••• ••••</span>
        </div>
      ) : (
        <>
          <div class="number-slot number-slot-set">
            <span class="number-label">{primary ? 'Your number' : 'No number yet'}</span>
            {primary && (
              <span class="number-digits primary-number" data-number={primary.number}>
                {primary.display}
              </span>
            )}
            {primary && (
              <span class="number-meta">
                {primary.kind === 'vanity' ? 'Your chosen number' : 'Permanent — never given to anyone else'}
              </span>
            )}
          </div>
          {others.length > 0 && (
            <ul class="other-numbers" aria-label="Your other numbers">
              {others.map((n) => (
                <li key={n.number} data-number={n.number}>
                  <span class="mono">{n.display}</span>
                  <span class={`badge ${n.kind === 'vanity' ? 'badge-role' : ''}`}>
                    {n.kind === 'vanity' ? 'Chosen' : 'Sequential'}
                  </span>
                </li>
              ))}
            </ul>
          )}

          <PresenceToggle signal={signal} />
          <GetNumber phone={phone} onPhone={onPhone} />
          <Settings phone={phone} onPhone={onPhone} />
        </>
      )}
    </section>
  );
}

function PresenceToggle({ signal }: { signal: PhoneSignal }) {
  const id = useId();
  const live = signal.state === 'open';
  const options: { value: 'available' | 'away'; label: string }[] = [
    { value: 'available', label: 'Available' },
    { value: 'away', label: 'Away' },
  ];
  return (
    <div class="phone-section">
      <h2 class="section-title" id={`${id}-t`}>
        Your status
      </h2>
      <div class="segmented" role="radiogroup" aria-labelledby={`${id}-t`}>
        {options.map((o) => (
          <button
            key={o.value}
            type="button"
            role="radio"
            aria-checked={signal.presence === o.value}
            class={`segment segment-${o.value}`}
            onClick={() => signal.setPresence(o.value)}
          >
            <Light state={o.value} textHidden />
            {o.label}
          </button>
        ))}
      </div>
      <p class="hint connection-hint" aria-live="polite">
        {live
          ? signal.presence === 'available'
            ? 'Others see you online on this device.'
            : 'Others see you as away; calls still reach you.'
          : signal.state === 'reconnecting'
            ? 'Connection lost — reconnecting…'
            : 'Connecting…'}
        {signal.lastError && <span class="field-error"> {signal.lastError}</span>}
      </p>
    </div>
  );
}

function GetNumber({ phone, onPhone }: { phone: MyPhone; onPhone(p: MyPhone): void }) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const [digits, setDigits] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<Note>(null);
  const [taken, setTaken] = useState(false);
  const check = checkNumber(digits);

  async function take(e: Event) {
    e.preventDefault();
    if (!check.complete) {
      setError(check.problem ?? `A number has 12 digits; this has ${check.digits.length}.`);
      return;
    }
    setBusy(true);
    setNote(null);
    try {
      const n = await directoryApi.addNumber(digits);
      onPhone({ ...phone, numbers: [...phone.numbers, n] });
      setNote({ kind: 'ok', text: `${n.display} is yours now.` });
      setDigits('');
      setOpen(false);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="phone-section">
      <div class="section-head">
        <h2 class="section-title">More numbers</h2>
        {!open && (
          <button type="button" class="btn btn-secondary btn-sm" onClick={() => (setOpen(true), setNote(null))}>
            Get another number
          </button>
        )}
      </div>
      {open && (
        <form class="get-number" onSubmit={take} noValidate>
          <VanityField
            id={`${id}-n`}
            label="Choose a number"
            digits={digits}
            onDigits={(d) => {
              setDigits(d);
              setError(null);
            }}
            error={error}
            disabled={busy}
            hint="Any free 12-digit number starting with 2–9. Spaces, dashes and dots are fine."
            onTaken={setTaken}
          />
          <div class="actions actions-tight">
            <button
              type="submit"
              class="btn btn-primary btn-sm"
              disabled={busy || !check.complete || taken || Boolean(error)}
            >
              {busy ? 'Getting it…' : 'Get this number'}
            </button>
            <button
              type="button"
              class="btn btn-ghost btn-sm"
              onClick={() => {
                setOpen(false);
                setDigits('');
                setError(null);
              }}
            >
              Cancel
            </button>
          </div>
        </form>
      )}
      {note && (
        <p class={`status status-${note.kind}`} role="status">
          {note.kind === 'ok' && <CheckIcon size={16} />}
          {note.text}
        </p>
      )}
    </div>
  );
}

function formatWhen(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

const interestPattern = /^[\p{L}\p{N} -]{1,30}$/u;

function Settings({ phone, onPhone }: { phone: MyPhone; onPhone(p: MyPhone): void }) {
  const id = useId();
  const [note, setNote] = useState<Note>(null);
  const [busy, setBusy] = useState(false);
  const [interest, setInterest] = useState('');
  const [interestError, setInterestError] = useState('');

  async function save(patch: MyPhonePatch, ok: string): Promise<boolean> {
    setBusy(true);
    setNote(null);
    try {
      onPhone(await directoryApi.update(patch));
      setNote({ kind: 'ok', text: ok });
      return true;
    } catch (e) {
      const text = errorMessage(e);
      if (patch.interests && e instanceof ApiError && e.status === 400) setInterestError(text);
      else setNote({ kind: 'error', text });
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function addInterest(e: Event) {
    e.preventDefault();
    const v = interest.trim().replace(/\s+/g, ' ');
    if (!v) return;
    if (!interestPattern.test(v)) {
      setInterestError('An interest is 1–30 letters, digits, spaces or dashes.');
      return;
    }
    if (phone.interests.some((i) => i.toLowerCase() === v.toLowerCase())) {
      setInterestError(`“${v}” is already in your interests.`);
      return;
    }
    if (phone.interests.length >= 10) {
      setInterestError('You can list up to 10 interests; remove one first.');
      return;
    }
    if (await save({ interests: [...phone.interests, v] }, `Added “${v}” to your interests.`)) setInterest('');
  }

  const newest = [...phone.devices].sort((a, b) => b.signedInAt.localeCompare(a.signedInAt))[0];
  const rings = (d: Device) => phone.ringMode === 'all' || d === newest;
  const ringOptions: { value: RingMode; label: string; hint: string }[] = [
    { value: 'newest', label: 'Ring my newest device', hint: 'The browser you signed in on last.' },
    { value: 'all', label: 'Ring all my devices', hint: 'Every browser you are signed in on rings at once.' },
  ];

  return (
    <>
      <fieldset class="phone-section" disabled={busy}>
        <legend class="section-title">When someone calls you</legend>
        <div class="radio-list">
          {ringOptions.map((o) => (
            <label key={o.value} class={`radio-card ${phone.ringMode === o.value ? 'is-checked' : ''}`}>
              <input
                type="radio"
                name={`${id}-ring`}
                value={o.value}
                checked={phone.ringMode === o.value}
                onChange={() => void save({ ringMode: o.value }, o.value === 'all' ? 'All your devices will ring.' : 'Your newest device will ring.')}
              />
              <span>
                <span class="radio-label">{o.label}</span>
                <span class="hint">{o.hint}</span>
              </span>
            </label>
          ))}
        </div>
        {phone.devices.length > 0 && (
          <ul class="devices" aria-label="Your devices">
            {phone.devices.map((d) => (
              <li key={d.id} class="device">
                <Light state={d.online ? 'available' : 'offline'} textHidden />
                <span class="device-name">
                  {d.current ? `This browser (${d.label})` : d.label}
                  <span class="muted small"> · signed in {formatWhen(d.signedInAt)}</span>
                </span>
                {rings(d) && <span class="badge badge-ok">rings</span>}
              </li>
            ))}
          </ul>
        )}
        <PushSwitch
          scope="/phone/"
          label="Ring me when the app is closed"
          hint="Calls to you show a notification on this device, with Answer and Decline, even when no phone tab is open."
        />
      </fieldset>

      <NoticeSettings emailVerified={phone.emailVerified} />

      <fieldset class="phone-section" disabled={busy}>
        <legend class="section-title">Directory listing</legend>
        <label class="switch">
          <input
            type="checkbox"
            role="switch"
            checked={phone.listed}
            onChange={(e) => {
              const listed = e.currentTarget.checked;
              void save({ listed }, listed ? 'You are listed in the directory.' : 'You are no longer listed.');
            }}
          />
          <span class="switch-track" aria-hidden="true">
            <span class="switch-thumb" />
          </span>
          <span>List me in the directory</span>
        </label>
        <p class="hint">
          {!phone.emailVerified
            ? 'You appear in the directory once your email address is verified.'
            : phone.listed
              ? 'Members can find you by name, number and interests.'
              : 'Hidden: only people who know your number can call you.'}
        </p>

        <div class="interests-editor">
          <span class="field-label" id={`${id}-int`}>
            Interests
          </span>
          {phone.interests.length > 0 ? (
            <ul class="chips" aria-labelledby={`${id}-int`}>
              {phone.interests.map((i) => (
                <li key={i} class="chip chip-removable">
                  {i}
                  <button
                    type="button"
                    class="chip-x"
                    aria-label={`Remove interest ${i}`}
                    onClick={() => void save({ interests: phone.interests.filter((x) => x !== i) }, `Removed “${i}”.`)}
                  >
                    <CloseIcon size={12} />
                  </button>
                </li>
              ))}
            </ul>
          ) : (
            <p class="hint">Add what you like to talk about, so members with the same interests find you.</p>
          )}
          <form class="interest-add" onSubmit={addInterest} noValidate>
            <input
              type="text"
              aria-label="New interest"
              placeholder="e.g. cooking"
              maxLength={30}
              value={interest}
              aria-invalid={interestError ? 'true' : undefined}
              aria-describedby={interestError ? `${id}-interr` : undefined}
              onInput={(e) => {
                setInterest(e.currentTarget.value);
                setInterestError('');
              }}
            />
            <button type="submit" class="btn btn-secondary btn-sm" disabled={!interest.trim()}>
              Add
            </button>
          </form>
          {interestError && (
            <p class="field-error" id={`${id}-interr`}>
              {interestError}
            </p>
          )}
        </div>
      </fieldset>

      <fieldset class="phone-section" disabled={busy}>
        <legend class="section-title">In the mall</legend>
        <label class="switch">
          <input
            type="checkbox"
            role="switch"
            checked={phone.showInMall}
            aria-describedby={`${id}-mall`}
            onChange={(e) => {
              const showInMall = e.currentTarget.checked;
              void save(
                { showInMall },
                showInMall ? 'Others now see you in the mall.' : 'You are no longer shown in the mall.',
              );
            }}
          />
          <span class="switch-track" aria-hidden="true">
            <span class="switch-thumb" />
          </span>
          <span>Show me in the mall</span>
        </label>
        <p class="hint" id={`${id}-mall`}>
          Others see your avatar on the building of the store you are in.
        </p>
      </fieldset>
      {note && (
        <p class={`status status-${note.kind}`} role={note.kind === 'error' ? 'alert' : 'status'}>
          {note.kind === 'ok' && <CheckIcon size={16} />}
          {note.text}
        </p>
      )}
    </>
  );
}
