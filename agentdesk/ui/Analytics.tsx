// Analytics: the figures of a range of the store's days (today, 7 days,
// 30 days or custom), for a supervisor the store's with every agent's, for
// an agent their own. Small SVG charts show the days; the CSV export holds
// the same figures.

import { useEffect, useRef, useState } from 'preact/hooks';
import { formatMoney } from '../../backend/web/ui/money';
import { errorMessage } from '../../backend/web/ui/session';
import { analyticsApi, type Figures, type RangeAsk, type Report, type ReportDay } from './analyticsApi';
import { clock } from './deskApi';
import './analytics.css';

const presets: { id: RangeAsk['preset']; label: string }[] = [
  { id: 'today', label: 'Today' },
  { id: '7d', label: '7 days' },
  { id: '30d', label: '30 days' },
  { id: 'custom', label: 'Custom' },
];

function percent(r: number | null): string {
  return r === null ? '–' : `${Math.round(r * 100)}%`;
}

function seconds(s: number | null): string {
  return s === null ? '–' : clock(s);
}

function Figure({ label, value, hint, testid }: { label: string; value: string; hint?: string; testid?: string }) {
  return (
    <div class="live-figure">
      <dt>{label}</dt>
      <dd>
        <span class="live-value" data-testid={testid}>
          {value}
        </span>
        {hint && <span class="live-hint muted small">{hint}</span>}
      </dd>
    </div>
  );
}

/** niceMax rounds a chart's top up to 1, 2 or 5 times a power of ten. */
function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function dayLabel(day: string, many: boolean): string {
  const [, m, d] = day.split('-').map(Number);
  return many ? String(d) : `${d}/${m}`;
}

interface Series {
  name: string;
  cls: string;
  value: (d: ReportDay) => number;
}

/** BarChart stacks the series of each day into one bar; values are the y axis's unit. */
function BarChart({ title, days, series, format, testid }: { title: string; days: ReportDay[]; series: Series[]; format: (v: number) => string; testid: string }) {
  // The chart is drawn at its own width, so that its text keeps its size
  // on a phone.
  const box = useRef<HTMLElement>(null);
  const [W, setW] = useState(640);
  useEffect(() => {
    const el = box.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => setW(Math.max(240, Math.round(el.clientWidth))));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const H = 180;
  const left = 52;
  const bottom = 24;
  const top = 10;
  const plotW = W - left - 8;
  const plotH = H - top - bottom;
  const totals = days.map((d) => series.reduce((s, x) => s + x.value(d), 0));
  const max = niceMax(Math.max(0, ...totals));
  const slot = plotW / Math.max(days.length, 1);
  const barW = Math.max(2, Math.min(36, slot * 0.68));
  const labelEvery = Math.ceil(days.length / Math.max(3, Math.floor(plotW / 40)));
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const summary = `${title}: ` + days.map((d, i) => `${d.day} ${format(totals[i])}`).join(', ');
  return (
    <figure class="chart" data-testid={testid}>
      <figcaption>
        <span class="chart-title">{title}</span>
        <span class="chart-legend">
          {series.map((s) => (
            <span key={s.name} class="chart-key">
              <span class={`chart-swatch ${s.cls}`} aria-hidden="true" />
              {s.name}
            </span>
          ))}
        </span>
      </figcaption>
      <div ref={box as never} class="chart-plot">
      <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={summary}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line class="chart-grid" x1={left} x2={W - 8} y1={y(max * f)} y2={y(max * f)} />
            <text class="chart-axis" x={left - 6} y={y(max * f) + 4} text-anchor="end">
              {format(max * f)}
            </text>
          </g>
        ))}
        {days.map((d, i) => {
          let acc = 0;
          const x = left + i * slot + (slot - barW) / 2;
          return (
            <g key={d.day}>
              <title>{`${d.day}: ${series.map((s) => `${s.name} ${format(s.value(d))}`).join(', ')}`}</title>
              {series.map((s) => {
                const v = s.value(d);
                const y0 = y(acc);
                acc += v;
                const h = y0 - y(acc);
                return v > 0 ? <rect key={s.name} class={`chart-bar ${s.cls}`} x={x} y={y0 - h} width={barW} height={Math.max(h, 1)} rx={2} /> : null;
              })}
              {i % labelEvery === 0 && (
                <text class="chart-axis" x={x + barW / 2} y={H - 6} text-anchor="middle">
                  {dayLabel(d.day, days.length > 7)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      </div>
    </figure>
  );
}

function FigureList({ f, report }: { f: Figures; report: Report }) {
  const cur = report.currency;
  return (
    <dl class="live-figures analytics-figures">
      <Figure label="Calls offered" value={String(f.offered)} hint={`${f.answered} answered · ${f.abandoned} abandoned`} testid="analytics-offered" />
      <Figure label="Service level" value={percent(f.serviceLevel)} hint={`answered within ${report.serviceLevelSeconds} s`} />
      <Figure label="Average wait" value={seconds(f.averageWaitSeconds)} hint="until answered" />
      <Figure label="Average handle" value={seconds(f.averageHandleSeconds)} hint="answer to hang-up" />
      <Figure label="Conversion" value={percent(f.conversion)} hint={`${f.converted} of ${f.answered} calls → paid order`} />
      <Figure label="Attach rate" value={percent(f.attachRate)} hint={`${f.ordersWithAddOns} of ${f.orders} orders with an add-on`} />
      <Figure
        label="Revenue"
        value={formatMoney(f.revenueMinor, cur)}
        hint={`${f.orders} orders from calls` + (f.assistedOrders > 0 ? ` · ${f.assistedOrders} assisted by a transfer (${formatMoney(f.assistedRevenueMinor, cur)})` : '')}
      />
      <Figure label="From add-ons" value={formatMoney(f.addOnRevenueMinor, cur)} hint="suggested lines kept" />
    </dl>
  );
}

/** Analytics is the figures panel of the desk; own says it shows the agent's own figures. */
export function Analytics({ own }: { own: boolean }) {
  const [ask, setAsk] = useState<RangeAsk>({ preset: '7d' });
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(false);
  const seq = useRef(0);

  useEffect(() => {
    const n = ++seq.current;
    setLoading(true);
    analyticsApi
      .report(ask)
      .then((r) => {
        if (n !== seq.current) return;
        setReport(r);
        setError('');
        if (ask.preset !== 'custom') {
          setFrom(r.range.from);
          setTo(r.range.to);
        }
      })
      .catch((e) => n === seq.current && setError(errorMessage(e)))
      .finally(() => n === seq.current && setLoading(false));
  }, [ask]);

  const pick = (preset: RangeAsk['preset']) => {
    if (preset === 'custom') setAsk({ preset, from, to, agent: ask.agent });
    else setAsk({ preset, agent: ask.agent });
  };
  const apply = (e: Event) => {
    e.preventDefault();
    setAsk({ preset: 'custom', from, to, agent: ask.agent });
  };
  const focus = (agent?: string) => setAsk({ ...ask, agent });
  // A supervisor looking at one agent of the store.
  const oneAgent = !own && report?.agent ? report.agent : null;

  const cur = report?.currency ?? 'EUR';
  const money = (v: number) => formatMoney(Math.round(v), cur).replace(/[.,]00(?=\D*$)/, '');
  return (
    <section class="card analytics" aria-labelledby="analytics-title" data-testid="analytics">
      <div class="analytics-head">
        <div>
          <h2 id="analytics-title">{own ? 'Your figures' : oneAgent ? `${oneAgent.name}'s figures` : 'Store figures'}</h2>
          <p class="muted small">
            {report
              ? `${report.range.from === report.range.to ? report.range.from : `${report.range.from} to ${report.range.to}`} · days in ${report.range.timeZone}`
              : 'Calls, service level and sales from calls.'}
          </p>
          {oneAgent && (
            <button type="button" class="btn btn-sm btn-ghost analytics-back" onClick={() => focus(undefined)}>
              ← The whole store
            </button>
          )}
        </div>
        <div class="analytics-range" role="group" aria-label="Range">
          {presets.map((p) => (
            <button key={p.id} type="button" class={`btn btn-sm ${ask.preset === p.id ? 'btn-primary' : 'btn-ghost'}`} aria-pressed={ask.preset === p.id} onClick={() => pick(p.id)}>
              {p.label}
            </button>
          ))}
        </div>
      </div>
      {ask.preset === 'custom' && (
        <form class="analytics-custom" onSubmit={apply}>
          <label>
            From <input type="date" value={from} required onInput={(e) => setFrom((e.target as HTMLInputElement).value)} />
          </label>
          <label>
            To <input type="date" value={to} required onInput={(e) => setTo((e.target as HTMLInputElement).value)} />
          </label>
          <button type="submit" class="btn btn-sm btn-primary">
            Show
          </button>
        </form>
      )}
      {error && (
        <p class="status status-error" role="alert">
          {error}
        </p>
      )}
      {report && (
        <div class={loading ? 'analytics-body is-loading' : 'analytics-body'} aria-busy={loading}>
          <FigureList f={report.totals} report={report} />
          <div class="analytics-charts">
            <BarChart
              title="Calls per day"
              testid="chart-calls"
              days={report.days}
              format={(v) => String(Math.round(v))}
              series={[
                { name: 'Answered', cls: 'bar-answered', value: (d) => d.answered },
                { name: 'Abandoned', cls: 'bar-abandoned', value: (d) => d.abandoned },
                { name: 'Message or call back', cls: 'bar-other', value: (d) => d.offered - d.answered - d.abandoned },
              ]}
            />
            <BarChart
              title="Revenue from calls"
              testid="chart-revenue"
              days={report.days}
              format={money}
              series={[
                { name: 'Add-ons', cls: 'bar-addons', value: (d) => d.addOnRevenueMinor },
                { name: 'Rest of the order', cls: 'bar-revenue', value: (d) => d.revenueMinor - d.addOnRevenueMinor },
              ]}
            />
          </div>
          {!own && report.agents.length > 0 && (
            <div class="analytics-table-wrap">
              <table class="analytics-table" data-testid="analytics-agents">
                <caption class="muted small">By agent</caption>
                <thead>
                  <tr>
                    <th scope="col">Agent</th>
                    <th scope="col">Answered</th>
                    <th scope="col">Service level</th>
                    <th scope="col">Avg handle</th>
                    <th scope="col">Conversion</th>
                    <th scope="col">Attach rate</th>
                    <th scope="col">Add-on revenue</th>
                    <th scope="col" title="Orders of calls they handed on to a colleague">Assisted</th>
                  </tr>
                </thead>
                <tbody>
                  {report.agents.map((a) => (
                    <tr key={a.id}>
                      <th scope="row">
                        <button type="button" class="link-button" title={`Show ${a.name}'s figures by day`} onClick={() => focus(a.id)}>
                          {a.name}
                        </button>
                      </th>
                      <td data-label="Answered">{a.answered}</td>
                      <td data-label="Service level">{percent(a.serviceLevel)}</td>
                      <td data-label="Avg handle">{seconds(a.averageHandleSeconds)}</td>
                      <td data-label="Conversion">{percent(a.conversion)}</td>
                      <td data-label="Attach rate">{percent(a.attachRate)}</td>
                      <td data-label="Add-on revenue">{formatMoney(a.addOnRevenueMinor, cur)}</td>
                      <td data-label="Assisted">
                        {a.assistedOrders > 0 ? `${a.assistedOrders} · ${formatMoney(a.assistedRevenueMinor, cur)}` : '–'}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <p class="analytics-foot muted small">
            <a class="btn btn-sm btn-ghost" href={analyticsApi.csvURL(ask)} download data-testid="analytics-csv">
              Download CSV
            </a>
            <span>An order counts for the last call of its shopper that it was paid during or within 24 h of.</span>
          </p>
        </div>
      )}
    </section>
  );
}
