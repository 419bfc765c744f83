// The figures of a range of the store's days: GET /desk/analytics and its
// CSV twin (agentdesk/analytics.go has the definitions; agentdesk/ANALYTICS.md
// says how each is counted).

import { api } from '../../backend/web/ui/api';

/** Figures are the counts and rates of a set of calls; null rates have no denominator. */
export interface Figures {
  offered: number;
  answered: number;
  abandoned: number;
  withinServiceLevel: number;
  serviceLevel: number | null;
  averageWaitSeconds: number | null;
  averageHandleSeconds: number | null;
  converted: number;
  conversion: number | null;
  orders: number;
  ordersWithAddOns: number;
  attachRate: number | null;
  revenueMinor: number;
  addOnRevenueMinor: number;
  /** Orders of calls this agent handed on to a colleague (an attributed sale), and their totals; not in orders. */
  assistedOrders: number;
  assistedRevenueMinor: number;
}

/** ReportDay is one of the store's days. */
export interface ReportDay extends Figures {
  day: string;
}

/** ReportAgent is one agent's figures over the range. */
export interface ReportAgent extends Figures {
  id: string;
  name: string;
}

/** Report is GET /desk/analytics. */
export interface Report {
  store: { slug: string; name: string };
  range: { preset: string; from: string; to: string; timeZone: string; start: string; end: string };
  serviceLevelSeconds: number;
  currency: string;
  agent?: ReportAgent;
  totals: Figures;
  days: ReportDay[];
  agents: ReportAgent[];
}

/** RangeAsk is the range a person picked: a preset, or custom days. */
export interface RangeAsk {
  preset: 'today' | '7d' | '30d' | 'custom';
  from?: string;
  to?: string;
  /** agent narrows a supervisor's figures to one agent of the store. */
  agent?: string;
}

/** reportQuery is the query string of a range. */
export function reportQuery(r: RangeAsk): string {
  const q = new URLSearchParams({ range: r.preset });
  if (r.preset === 'custom') {
    q.set('from', r.from ?? '');
    q.set('to', r.to ?? '');
  }
  if (r.agent) q.set('agent', r.agent);
  return q.toString();
}

/** analyticsApi fetches the figures and names the CSV export. */
export const analyticsApi = {
  report: (r: RangeAsk) => api.get<Report>(`/desk/analytics?${reportQuery(r)}`),
  csvURL: (r: RangeAsk) => `/api/v1/desk/analytics.csv?${reportQuery(r)}`,
};
