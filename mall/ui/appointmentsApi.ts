// The appointments API as the mall uses it: a store's free slots, booking,
// and the capability link's view, cancel and join (appointments/routes.go).

import { api } from '../../backend/web/ui/api';

/** Slot is a free time a shopper may book (ISO instants). */
export interface Slot {
  start: string;
  end: string;
}

/** Slots is a store's free slots and the zone its hours are in. */
export interface Slots {
  store: { slug: string; name: string };
  timeZone: string;
  slotMinutes: number;
  slots: Slot[];
}

/** Appointment is a booking as its link shows it. */
export interface Appointment {
  id: string;
  store: { slug: string; name: string };
  agentName: string;
  name: string;
  email: string;
  productSku?: string;
  start: string;
  end: string;
  timeZone: string;
  status: 'booked' | 'joined' | 'cancelled' | 'no_show';
  cancelledBy?: 'shopper' | 'store';
  joinFrom: string;
  joinable: boolean;
  cancellable: boolean;
}

/** Booked is the answer to a booking: the appointment and its capability link. */
export interface Booked {
  appointment: Appointment;
  token: string;
  link: string;
  calendar: string;
}

const t = (token: string) => `/appointments/${encodeURIComponent(token)}`;

export const appointments = {
  slots: (slug: string) => api.get<Slots>(`/stores/${encodeURIComponent(slug)}/appointment-slots`),
  book: (slug: string, body: { start: string; name: string; email: string; product?: string }) =>
    api.post<Booked>(`/stores/${encodeURIComponent(slug)}/appointments`, body),
  show: (token: string) => api.get<{ appointment: Appointment }>(t(token)).then((r) => r.appointment),
  cancel: (token: string) => api.post<{ appointment: Appointment }>(`${t(token)}/cancel`).then((r) => r.appointment),
  join: (token: string) => api.post<{ appointment: Appointment }>(`${t(token)}/join`).then((r) => r.appointment),
  /** calendarUrl is where the .ics downloads (same origin). */
  calendarUrl: (token: string) => `/api/v1${t(token)}/calendar.ics`,
};

/** appointmentPath is the booking's page in the mall (the capability link). */
export const appointmentPath = (token: string) => `/appointments/${encodeURIComponent(token)}`;

/** dayLabel and timeLabel say an instant in the store's zone. */
export function dayLabel(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat(undefined, { timeZone, weekday: 'long', day: 'numeric', month: 'long' }).format(new Date(iso));
}

export function timeLabel(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat(undefined, { timeZone, hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
}

/** dayKey groups instants by their date in the store's zone. */
export function dayKey(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(iso));
}

/**
 * Bookings made in this browser are remembered (token and start) so that an
 * open mall page can offer to join when one is due. The token is the
 * shopper's own capability; it stays in this browser.
 */
const rememberKey = 'livemall.appointments';

export interface Remembered {
  token: string;
  start: string;
  end: string;
  store: string;
}

export function remembered(): Remembered[] {
  try {
    const v = JSON.parse(localStorage.getItem(rememberKey) ?? '[]') as Remembered[];
    return Array.isArray(v) ? v.filter((r) => typeof r.token === 'string' && typeof r.end === 'string') : [];
  } catch {
    return [];
  }
}

export function remember(r: Remembered) {
  const now = Date.now();
  const list = remembered().filter((x) => x.token !== r.token && Date.parse(x.end) > now);
  list.push(r);
  try {
    localStorage.setItem(rememberKey, JSON.stringify(list.slice(-20)));
  } catch {
    // storage full or off: the email link still works
  }
}

export function forget(token: string) {
  try {
    localStorage.setItem(rememberKey, JSON.stringify(remembered().filter((x) => x.token !== token)));
  } catch {
    // nothing to forget
  }
}
