// Appointments on the desk: the store's booked video calls (agents and
// supervisors; each sees only their own store's), cancel on the store's
// behalf, and for supervisors the booking rules and each agent's weekly
// working hours, from which the mall offers slots.

import { useEffect, useState } from 'preact/hooks';
import { api } from '../../backend/web/ui/api';
import { VideoIcon } from '../../backend/web/ui/icons';
import { errorMessage } from '../../backend/web/ui/session';
import './appointments.css';

/** DeskAppointment is a booking as the desk lists it (appointments/hours.go). */
export interface DeskAppointment {
  id: string;
  agentId: string;
  agentName: string;
  name: string;
  email: string;
  productSku?: string;
  start: string;
  end: string;
  status: 'booked' | 'joined' | 'cancelled' | 'no_show';
  cancelledBy?: 'shopper' | 'store';
  due: boolean;
}

interface Settings {
  timeZone: string;
  slotMinutes: number;
  leadMinutes: number;
  horizonDays: number;
  noShowMinutes: number;
}

interface HoursRange {
  agentId: string;
  weekday: number;
  start: string;
  end: string;
}

interface Schedule {
  settings: Settings;
  hours: HoursRange[];
  agents: { id: string; name: string }[];
}

const statusNames: Record<DeskAppointment['status'], string> = {
  booked: 'Booked',
  joined: 'Shopper joined',
  cancelled: 'Cancelled',
  no_show: 'No-show',
};

const day = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short' });
const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

/** DeskAppointments lists the store's appointments from today on. */
export function DeskAppointments({ mine }: { mine: string }) {
  const [list, setList] = useState<DeskAppointment[] | null>(null);
  const [error, setError] = useState('');
  const load = () =>
    api.get<{ appointments: DeskAppointment[] }>('/desk/appointments').then(
      (r) => {
        setList(r.appointments);
        setError('');
      },
      (e) => setError(errorMessage(e)),
    );
  useEffect(() => {
    void load();
    const id = setInterval(load, 15_000);
    return () => clearInterval(id);
  }, []);
  const cancel = async (a: DeskAppointment) => {
    if (!confirm(`Cancel ${a.name}'s video call? They are emailed.`)) return;
    try {
      await api.post(`/desk/appointments/${encodeURIComponent(a.id)}/cancel`);
      await load();
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  const upcoming = (list ?? []).filter((a) => a.status === 'booked' || a.status === 'joined').length;
  return (
    <section class="card desk-appointments" aria-labelledby="appointments-title" data-testid="desk-appointments">
      <div class="catalog-head">
        <div class="tile-head">
          <VideoIcon size={20} />
          <h2 id="appointments-title">Appointments</h2>
        </div>
        <p class="muted small catalog-sub">
          {list === null ? 'Loading…' : upcoming === 0 ? 'No video calls booked ahead.' : `${upcoming} booked ahead.`} At the
          time, the shopper's call rings here like any other.
        </p>
      </div>
      {error && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
      {list && list.length > 0 && (
        <ul class="appt-list">
          {list.map((a) => (
            <li
              key={a.id}
              class={`appt ${a.due ? 'is-due' : ''} is-${a.status}`}
              data-testid="desk-appointment"
              data-id={a.id}
              data-status={a.status}
            >
              <div class="appt-when">
                <strong>{time.format(new Date(a.start))}</strong>
                <span class="muted small">{day.format(new Date(a.start))}</span>
              </div>
              <div class="appt-who">
                <strong>{a.name}</strong>
                <span class="muted small">
                  {a.email}
                  {a.productSku && <> · about {a.productSku}</>}
                </span>
                <span class="small">
                  with {a.agentId === mine ? 'you' : a.agentName || 'an agent'}
                </span>
              </div>
              <div class="appt-state">
                <span class={`badge appt-badge is-${a.status}`}>
                  {a.due && a.status === 'booked' ? 'Due now' : statusNames[a.status]}
                  {a.status === 'cancelled' && a.cancelledBy && ` by ${a.cancelledBy}`}
                </span>
                {a.status === 'booked' && Date.parse(a.start) > Date.now() && (
                  <button type="button" class="btn btn-ghost btn-sm" onClick={() => cancel(a)}>
                    Cancel
                  </button>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

const weekdays = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** AppointmentHours lets a supervisor set the booking rules and working hours. */
export function AppointmentHours({ timeZone }: { timeZone?: string } = {}) {
  const [sc, setSc] = useState<Schedule | null>(null);
  const [agent, setAgent] = useState('');
  const [error, setError] = useState('');
  const [saved, setSaved] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api.get<Schedule>('/desk/appointment-hours').then(
      (s) => {
        setSc(s);
        setAgent(s.agents[0]?.id ?? '');
      },
      (e) => setError(errorMessage(e)),
    );
  }, []);
  if (!sc) return error ? <p class="field-error">{error}</p> : null;

  const rangeOf = (d: number) => sc.hours.find((h) => h.agentId === agent && h.weekday === d);
  const setRange = (d: number, r: HoursRange | null) => {
    const rest = sc.hours.filter((h) => !(h.agentId === agent && h.weekday === d));
    setSc({ ...sc, hours: r ? [...rest, r] : rest });
    setSaved('');
  };
  const setSetting = (k: keyof Settings, v: string) => {
    setSc({ ...sc, settings: { ...sc.settings, [k]: k === 'timeZone' ? v : Number(v) } });
    setSaved('');
  };
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      // The zone is the store's (Store settings): sent empty, the server keeps it.
      setSc(await api.put<Schedule>('/desk/appointment-hours', { settings: { ...sc.settings, timeZone: '' }, hours: sc.hours }));
      setSaved('Saved: the mall offers the new times now.');
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  const num = (k: keyof Settings, label: string, min: number, max: number) => (
    <div class="field">
      <label for={`appt-${k}`}>{label}</label>
      <input id={`appt-${k}`} type="number" min={min} max={max} value={sc.settings[k]} onInput={(e) => setSetting(k, e.currentTarget.value)} />
    </div>
  );
  return (
    <section class="card appt-hours" aria-labelledby="hours-title" data-testid="appointment-hours">
      <div class="catalog-head">
        <div class="tile-head">
          <VideoIcon size={20} />
          <h2 id="hours-title">Working hours for appointments</h2>
        </div>
        <p class="muted small catalog-sub">Shoppers book from these hours, minus what is booked.</p>
      </div>
      <form onSubmit={save}>
        <div class="appt-settings">
          <div class="field">
            <label for="appt-tz">Time zone</label>
            <input id="appt-tz" value={timeZone || sc.settings.timeZone} readOnly aria-describedby="appt-tz-help" />
            <a class="hint" id="appt-tz-help" href="#store-settings">
              The store's; change it in Store settings
            </a>
          </div>
          {num('slotMinutes', 'Call length (min)', 1, 240)}
          {num('leadMinutes', 'Book at least (min ahead)', 0, 10080)}
          {num('horizonDays', 'Open for (days)', 1, 60)}
          {num('noShowMinutes', 'No-show after (min)', 1, 240)}
        </div>
        <div class="field">
          <label for="appt-agent">Agent</label>
          <select id="appt-agent" value={agent} onChange={(e) => setAgent(e.currentTarget.value)}>
            {sc.agents.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </div>
        <table class="appt-week">
          <tbody>
            {[1, 2, 3, 4, 5, 6, 0].map((d) => {
              const r = rangeOf(d);
              return (
                <tr key={d}>
                  <th scope="row">
                    <label>
                      <input
                        type="checkbox"
                        checked={!!r}
                        onChange={(e) =>
                          setRange(d, e.currentTarget.checked ? { agentId: agent, weekday: d, start: '09:00', end: '17:00' } : null)
                        }
                      />{' '}
                      {weekdays[d]}
                    </label>
                  </th>
                  <td>
                    {r ? (
                      <>
                        <input type="time" aria-label={`${weekdays[d]} from`} value={r.start} onInput={(e) => setRange(d, { ...r, start: e.currentTarget.value })} />
                        {' – '}
                        <input type="time" aria-label={`${weekdays[d]} to`} value={r.end === '24:00' ? '23:59' : r.end} onInput={(e) => setRange(d, { ...r, end: e.currentTarget.value })} />
                      </>
                    ) : (
                      <span class="muted small">Not working</span>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {error && (
          <p class="field-error" role="alert">
            {error}
          </p>
        )}
        {saved && (
          <p class="field-ok" role="status">
            {saved}
          </p>
        )}
        <button type="submit" class="btn btn-primary" disabled={busy}>
          Save hours
        </button>
      </form>
    </section>
  );
}
