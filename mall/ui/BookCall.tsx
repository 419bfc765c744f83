// BookCall: "Book a video call" on product and store pages. A dialog lists
// the store's free slots by day in the store's time zone, takes a name and
// an email, books, and confirms with the .ics file and the booking's link.

import { useEffect, useRef, useState } from 'preact/hooks';
import { CheckIcon, CloseIcon, VideoIcon } from '../../backend/web/ui/icons';
import { errorMessage, useSession } from '../../backend/web/ui/session';
import {
  appointmentPath,
  appointments,
  dayKey,
  dayLabel,
  remember,
  timeLabel,
  type Booked,
  type Slots,
} from './appointmentsApi';
import { linkClick } from './router';
import './appointments.css';

/** BookCallButton opens the booking dialog for the store (about product, if given). */
export function BookCallButton({
  store,
  product,
}: {
  store: { slug: string; name: string };
  product?: { sku: string; name: string };
}) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" class="btn btn-ghost btn-book" onClick={() => setOpen(true)} data-testid="book-call">
        <VideoIcon size={18} />
        Book a video call
      </button>
      {open && <BookingDialog store={store} product={product} onClose={() => setOpen(false)} />}
    </>
  );
}

function BookingDialog({
  store,
  product,
  onClose,
}: {
  store: { slug: string; name: string };
  product?: { sku: string; name: string };
  onClose: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const session = useSession();
  const [slots, setSlots] = useState<Slots | null>(null);
  const [loadError, setLoadError] = useState('');
  const [day, setDay] = useState('');
  const [start, setStart] = useState('');
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [booked, setBooked] = useState<Booked | null>(null);

  useEffect(() => {
    ref.current?.showModal();
    appointments.slots(store.slug).then(
      (s) => {
        setSlots(s);
        if (s.slots.length > 0) setDay(dayKey(s.slots[0].start, s.timeZone));
      },
      (e) => setLoadError(errorMessage(e)),
    );
  }, [store.slug]);

  useEffect(() => {
    if (session.account) {
      setName((n) => n || session.account!.name);
      setEmail((e) => e || session.account!.email);
    }
  }, [session.account]);

  const tz = slots?.timeZone ?? 'UTC';
  const days: { key: string; label: string; first: string }[] = [];
  for (const s of slots?.slots ?? []) {
    const k = dayKey(s.start, tz);
    if (days.length === 0 || days[days.length - 1].key !== k) days.push({ key: k, label: dayLabel(s.start, tz), first: s.start });
  }
  const todays = (slots?.slots ?? []).filter((s) => dayKey(s.start, tz) === day);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!start) {
      setError('Choose a time first.');
      return;
    }
    setBusy(true);
    setError('');
    try {
      const b = await appointments.book(store.slug, { start, name, email, product: product?.sku });
      remember({ token: b.token, start: b.appointment.start, end: b.appointment.end, store: store.name });
      setBooked(b);
    } catch (err) {
      setError(errorMessage(err));
      // A slot taken meanwhile disappears from the list.
      appointments.slots(store.slug).then(setSlots, () => undefined);
      setStart('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog
      ref={ref}
      class="book-dialog"
      aria-labelledby="book-title"
      onClose={onClose}
      onCancel={onClose}
      data-testid="book-dialog"
    >
      <header class="dialog-head">
        <div>
          <p class="eyebrow">{store.name}</p>
          <h2 id="book-title">{booked ? 'Your video call is booked' : 'Book a video call'}</h2>
        </div>
        <button type="button" class="icon-btn" aria-label="Close" onClick={() => ref.current?.close()}>
          <CloseIcon size={18} />
        </button>
      </header>

      {booked ? (
        <div class="book-done" data-testid="book-confirmation">
          <p class="book-done-when">
            <CheckIcon size={20} />
            <span>
              <strong>{dayLabel(booked.appointment.start, booked.appointment.timeZone)}</strong>,{' '}
              {timeLabel(booked.appointment.start, booked.appointment.timeZone)}–
              {timeLabel(booked.appointment.end, booked.appointment.timeZone)}
              <span class="muted small"> ({booked.appointment.timeZone})</span>
            </span>
          </p>
          <p>
            with <strong>{booked.appointment.agentName || store.name}</strong>
            {product && <> about {product.name}</>}. We sent the details to {booked.appointment.email} and will remind you
            an hour before.
          </p>
          <p class="muted small">
            At the time, open your booking's page: the store's agent rings you there. Keep the link to yourself: it
            lets anyone who has it join or cancel the call.
          </p>
          <div class="book-actions">
            <a class="btn btn-primary" href={appointments.calendarUrl(booked.token)} download="video-call.ics" data-testid="book-ics">
              Add to calendar (.ics)
            </a>
            <a
              class="btn btn-secondary"
              href={appointmentPath(booked.token)}
              onClick={(e) => {
                ref.current?.close();
                linkClick(appointmentPath(booked.token))(e);
              }}
              data-testid="book-link"
            >
              Open your booking
            </a>
          </div>
        </div>
      ) : (
        <form onSubmit={submit} class="book-form">
          {product && <p class="muted">About: {product.name}</p>}
          {loadError && (
            <p class="field-error" role="alert">
              {loadError}
            </p>
          )}
          {!slots && !loadError && <p class="muted">Looking for free times…</p>}
          {slots && slots.slots.length === 0 && (
            <p class="book-empty">{store.name} has no free times in the next days. Try again later or talk to an agent now.</p>
          )}
          {days.length > 0 && (
            <>
              <p class="muted small">Times in the store's time zone, {tz}. Each call lasts {slots!.slotMinutes} minutes.</p>
              <div class="book-days" role="tablist" aria-label="Day">
                {days.map((d) => (
                  <button
                    type="button"
                    role="tab"
                    key={d.key}
                    aria-selected={d.key === day}
                    class={`chip ${d.key === day ? 'is-on' : ''}`}
                    onClick={() => {
                      setDay(d.key);
                      setStart('');
                    }}
                  >
                    {d.label}
                  </button>
                ))}
              </div>
              <fieldset class="book-times">
                <legend class="sr-only">Time</legend>
                {todays.map((s) => (
                  <label key={s.start} class={`book-time ${s.start === start ? 'is-on' : ''}`}>
                    <input
                      type="radio"
                      name="slot"
                      value={s.start}
                      checked={s.start === start}
                      onChange={() => setStart(s.start)}
                    />
                    {timeLabel(s.start, tz)}
                  </label>
                ))}
              </fieldset>
              <div class="book-fields">
                <div class="field">
                  <label for="book-name">Your name</label>
                  <input id="book-name" required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} autoComplete="name" />
                </div>
                <div class="field">
                  <label for="book-email">Email for the confirmation</label>
                  <input
                    id="book-email"
                    type="email"
                    required
                    value={email}
                    onInput={(e) => setEmail(e.currentTarget.value)}
                    autoComplete="email"
                  />
                </div>
              </div>
              {error && (
                <p class="field-error" role="alert" data-testid="book-error">
                  {error}
                </p>
              )}
              <div class="book-actions">
                <button type="submit" class="btn btn-primary" disabled={busy || !start} data-testid="book-submit">
                  {busy ? 'Booking…' : start ? `Book ${timeLabel(start, tz)}` : 'Choose a time'}
                </button>
              </div>
            </>
          )}
        </form>
      )}
    </dialog>
  );
}
