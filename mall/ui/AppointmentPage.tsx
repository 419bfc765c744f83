// AppointmentPage: a booking's capability link (/appointments/<token>). It
// shows when the call is and where it stands, lets the shopper cancel it
// before the start, and at the time joins: the page calls the store's sales
// line with the booking's token, so the desk of the agent it was booked with
// rings first (agentdesk/CONTACT_CENTER.md, "Booked calls"), and the call
// panel opens.
// AppointmentNotice offers the same join on any mall page that is open when
// a booking made in this browser is due.

import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../../backend/web/ui/api';
import { VideoIcon } from '../../backend/web/ui/icons';
import { errorMessage } from '../../backend/web/ui/session';
import {
  appointmentPath,
  appointments,
  dayLabel,
  forget,
  remembered,
  timeLabel,
  type Appointment,
} from './appointmentsApi';
import { ErrorCard } from './ErrorCard';
import { linkClick, storePath } from './router';
import { useTalk, useTalkSession, type TalkSession } from './talkSession';
import './appointments.css';

/** useNow ticks every second while mounted. */
function useNow(every = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), every);
    return () => clearInterval(id);
  }, [every]);
  return now;
}

/** until says how long until t, roughly. */
function until(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} min`;
  const h = Math.round(m / 60);
  if (h < 36) return `${h} h`;
  return `${Math.round(h / 24)} days`;
}

/**
 * joinCall marks the shopper present and calls the store's sales line with
 * the booking's token, so the agent it was booked with rings first.
 */
async function joinCall(token: string, talk: TalkSession): Promise<Appointment> {
  const a = await appointments.join(token);
  const { store } = await api.store(a.store.slug);
  const s = store as typeof store & { salesNumber?: string; salesDisplay?: string };
  talk.start(
    {
      store: { slug: s.slug, name: s.name, salesNumber: s.salesNumber ?? '', salesDisplay: s.salesDisplay, brandColor: s.brandColor },
      product: a.productSku ? { sku: a.productSku, name: a.productSku } : undefined,
      appointment: token,
    },
    'video',
  );
  return a;
}

const statusText: Record<Appointment['status'], string> = {
  booked: 'Booked',
  joined: 'Joined',
  cancelled: 'Cancelled',
  no_show: 'Missed',
};

/** AppointmentPage is the booking's own page. */
export function AppointmentPage({ token }: { token: string }) {
  const [a, setA] = useState<Appointment | null>(null);
  const [error, setError] = useState('');
  const [notFound, setNotFound] = useState(false);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState('');
  const talk = useTalkSession();
  const session = useTalk();
  const now = useNow();
  const autoJoined = useRef(false);

  const load = () =>
    appointments.show(token).then(
      (x) => {
        setA(x);
        setError('');
      },
      (e) => {
        setError(errorMessage(e));
        setNotFound((e as { status?: number }).status === 404);
      },
    );
  useEffect(() => {
    void load();
    const id = setInterval(load, 15_000);
    return () => clearInterval(id);
  }, [token]);

  const join = async () => {
    setBusy(true);
    setActionError('');
    try {
      setA(await joinCall(token, talk));
    } catch (e) {
      setActionError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  // At the time, an open page joins by itself: the desk rings the shopper here.
  const startsIn = a ? Date.parse(a.start) - now : Infinity;
  const live = a && (a.status === 'booked' || a.status === 'joined') && now < Date.parse(a.end);
  const canJoin = !!live && now >= Date.parse(a!.joinFrom);
  const onCall = session.target !== null && talk.busy;
  useEffect(() => {
    if (a && live && startsIn <= 0 && !autoJoined.current && !onCall) {
      autoJoined.current = true;
      void join();
    }
  }, [a, live, startsIn <= 0, onCall]);

  if (error && !a) {
    return (
      <ErrorCard
        title={notFound ? 'No booking at this link' : 'The booking could not be loaded'}
        message={notFound ? 'The link may be mistyped or incomplete. Open it again from your confirmation email.' : error}
      />
    );
  }
  if (!a) return <p class="muted">Loading your booking…</p>;

  const cancel = async () => {
    if (!confirm(`Cancel your video call with ${a.store.name}?`)) return;
    setBusy(true);
    setActionError('');
    try {
      setA(await appointments.cancel(token));
      forget(token);
    } catch (e) {
      setActionError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const storeTo = storePath(a.store.slug);
  return (
    <section class="appointment card" aria-labelledby="appointment-title" data-testid="appointment" data-status={a.status}>
      <p class="eyebrow">
        <a href={storeTo} onClick={linkClick(storeTo)}>
          {a.store.name}
        </a>
      </p>
      <h1 id="appointment-title">Video call with {a.store.name}</h1>
      <p class="appointment-when">
        <strong>{dayLabel(a.start, a.timeZone)}</strong>, {timeLabel(a.start, a.timeZone)}–{timeLabel(a.end, a.timeZone)}{' '}
        <span class="muted small">({a.timeZone})</span>
      </p>
      <p>
        <span class={`badge appointment-status is-${a.status}`} data-testid="appointment-status">
          {statusText[a.status]}
          {a.status === 'cancelled' && a.cancelledBy === 'store' && ' by the store'}
        </span>{' '}
        {a.agentName && (a.status === 'booked' || a.status === 'joined') && <>with {a.agentName}</>}
      </p>
      {live && !canJoin && (
        <p class="appointment-wait" aria-live="polite">
          Starts in {until(startsIn)}. Keep this page open: at the time it connects you, and the store's agent rings you
          here.
        </p>
      )}
      {live && canJoin && !onCall && (
        <p class="appointment-wait" aria-live="polite">
          {startsIn > 0 ? `Starts in ${until(startsIn)}: you may join now.` : 'Your call is due now.'}
        </p>
      )}
      {onCall && <p class="appointment-wait">You are in the call: see the call panel.</p>}
      {a.status === 'no_show' && (
        <p>The store waited but nobody joined. You can book another time on the store's page.</p>
      )}
      {a.status === 'cancelled' && <p>This call will not take place. You can book another time on the store's page.</p>}
      {actionError && (
        <p class="field-error" role="alert" data-testid="appointment-error">
          {actionError}
        </p>
      )}
      <div class="book-actions">
        {live && !onCall && (
          <button type="button" class="btn btn-primary" disabled={!canJoin || busy} onClick={join} data-testid="appointment-join">
            <VideoIcon size={18} />
            Join the call
          </button>
        )}
        {(a.status === 'booked' || a.status === 'joined') && (
          <a class="btn btn-secondary" href={appointments.calendarUrl(token)} download="video-call.ics">
            Add to calendar (.ics)
          </a>
        )}
        {a.cancellable && (
          <button type="button" class="btn btn-ghost" disabled={busy} onClick={cancel} data-testid="appointment-cancel">
            Cancel the call
          </button>
        )}
      </div>
      <p class="muted small">Booked by {a.name} ({a.email}). Anyone with this page's link can join or cancel this call.</p>
    </section>
  );
}

/**
 * AppointmentNotice shows, on any mall page, a booking made in this browser
 * that is due (from its join window to its end), with a button that joins.
 */
export function AppointmentNotice({ path }: { path: string }) {
  const now = useNow(5000);
  const talk = useTalkSession();
  const session = useTalk();
  const [dismissed, setDismissed] = useState<string[]>([]);
  const [error, setError] = useState('');
  const due = remembered().find(
    (r) => Date.parse(r.start) - 5 * 60_000 <= now && now < Date.parse(r.end) && !dismissed.includes(r.token),
  );
  if (!due || path.startsWith('/appointments/') || (session.target !== null && talk.busy)) return null;
  return (
    <div class="appointment-notice" role="status" data-testid="appointment-notice">
      <VideoIcon size={18} />
      <span>
        Your video call with <strong>{due.store}</strong> {Date.parse(due.start) > now ? 'starts soon' : 'is due now'}.
      </span>
      <button
        type="button"
        class="btn btn-primary btn-sm"
        onClick={() =>
          joinCall(due.token, talk).then(
            () => setDismissed((d) => [...d, due.token]),
            (e) => setError(errorMessage(e)),
          )
        }
      >
        Join
      </button>
      <a class="btn btn-ghost btn-sm" href={appointmentPath(due.token)} onClick={linkClick(appointmentPath(due.token))}>
        Details
      </a>
      <button type="button" class="btn btn-ghost btn-sm" onClick={() => setDismissed((d) => [...d, due.token])}>
        Not now
      </button>
      {error && <span class="field-error">{error}</span>}
    </div>
  );
}
