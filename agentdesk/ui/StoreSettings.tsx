// The store's settings on the supervisor's desk: the store's one time zone
// (its figures' days and its appointment slots), the service-level
// threshold, and the rules for approving credit without a supervisor
// (mall/store_settings.go). A save is refused when another supervisor
// saved meanwhile; the form then offers to reload.

import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../../backend/web/ui/api';
import { ShieldIcon } from '../../backend/web/ui/icons';
import { formatMoney } from '../../backend/web/ui/money';
import { errorMessage } from '../../backend/web/ui/session';
import './store-settings.css';

/** CreditRules are the store's rules for automatic credit (mall.CreditRulesSettings). */
export interface CreditRules {
  maxAutoLimitMinor: number;
  minAge: number;
  requireVerifiedEmail: boolean;
  minPaidOrders: number;
}

/** StoreSettingsView is GET /desk/store-settings (mall.StoreSettings). */
export interface StoreSettingsView {
  version: number;
  timeZone: string;
  serviceLevelSeconds: number;
  credit: CreditRules;
  currency: string;
  updatedAt?: string;
}

/** Form is the settings as the inputs hold them (the limit in major units, as typed). */
interface Form {
  timeZone: string;
  serviceLevelSeconds: string;
  limit: string;
  minAge: string;
  minPaidOrders: string;
  requireVerifiedEmail: boolean;
}

function formOf(s: StoreSettingsView): Form {
  return {
    timeZone: s.timeZone,
    serviceLevelSeconds: String(s.serviceLevelSeconds),
    limit: (s.credit.maxAutoLimitMinor / 100).toFixed(2),
    minAge: String(s.credit.minAge),
    minPaidOrders: String(s.credit.minPaidOrders),
    requireVerifiedEmail: s.credit.requireVerifiedEmail,
  };
}

/** zoneNames lists the IANA zones the browser knows, with UTC and the store's own. */
function zoneNames(current: string): string[] {
  let names: string[] = [];
  try {
    names = (Intl as unknown as { supportedValuesOf(k: string): string[] }).supportedValuesOf('timeZone');
  } catch {
    names = [];
  }
  const all = new Set(['UTC', ...names]);
  if (current) all.add(current);
  return [...all].sort((a, b) => (a === 'UTC' ? -1 : b === 'UTC' ? 1 : a.localeCompare(b)));
}

/** nowIn writes the time now in zone, or '' when the browser does not know it. */
function nowIn(zone: string): string {
  try {
    return new Intl.DateTimeFormat(undefined, { timeZone: zone, weekday: 'short', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }).format(new Date());
  } catch {
    return '';
  }
}

/** StoreSettings is the supervisor's editor of their store's settings; onSaved hears each save. */
export function StoreSettings({ onSaved }: { onSaved?: (s: StoreSettingsView) => void }) {
  const [loaded, setLoaded] = useState<StoreSettingsView | null>(null);
  const [form, setForm] = useState<Form | null>(null);
  const [error, setError] = useState('');
  const [conflict, setConflict] = useState(false);
  const [saved, setSaved] = useState('');
  const [busy, setBusy] = useState(false);

  const load = () => {
    setError('');
    setConflict(false);
    api.get<StoreSettingsView>('/desk/store-settings').then(
      (s) => {
        setLoaded(s);
        setForm(formOf(s));
      },
      (e) => setError(errorMessage(e)),
    );
  };
  useEffect(load, []);

  if (!loaded || !form) {
    return error ? (
      <section class="card store-settings" id="store-settings" data-testid="store-settings">
        <p class="field-error" role="alert">
          {error}
        </p>
      </section>
    ) : null;
  }

  const set = (k: keyof Form, v: string | boolean) => {
    setForm({ ...form, [k]: v });
    setSaved('');
  };
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    setConflict(false);
    try {
      const s = await api.put<StoreSettingsView>('/desk/store-settings', {
        version: loaded.version,
        timeZone: form.timeZone,
        serviceLevelSeconds: Number(form.serviceLevelSeconds),
        credit: {
          maxAutoLimitMinor: Math.round(Number(form.limit) * 100),
          minAge: Number(form.minAge),
          requireVerifiedEmail: form.requireVerifiedEmail,
          minPaidOrders: Number(form.minPaidOrders),
        },
      });
      setLoaded(s);
      setForm(formOf(s));
      onSaved?.(s);
      const at = new Date().toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
      setSaved(`Saved at ${at}. The next report, appointment slot and credit decision use these settings.`);
    } catch (err) {
      setConflict(err instanceof ApiError && err.code === 'conflict');
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const zones = zoneNames(form.timeZone);
  const limitMinor = Math.round(Number(form.limit) * 100);
  const now = nowIn(form.timeZone);
  return (
    <section class="card store-settings" id="store-settings" aria-labelledby="settings-title" data-testid="store-settings">
      <div class="catalog-head">
        <div class="tile-head">
          <ShieldIcon size={20} />
          <h2 id="settings-title">Store settings</h2>
        </div>
        <p class="muted small catalog-sub">For the whole store. Only supervisors see and change them.</p>
      </div>
      <form onSubmit={save} noValidate={false}>
        <div class="settings-groups">
          <fieldset class="settings-group">
            <legend>Time and service level</legend>
            <div class="field">
              <label for="ss-tz">Time zone</label>
              <select id="ss-tz" value={form.timeZone} onChange={(e) => set('timeZone', e.currentTarget.value)} aria-describedby="ss-tz-help">
                {zones.map((z) => (
                  <option key={z} value={z}>
                    {z.replaceAll('_', ' ')}
                  </option>
                ))}
              </select>
              <p class="hint" id="ss-tz-help">
                Your figures count days from midnight here, and appointment slots follow it.{now && ` It is ${now} there now.`}
              </p>
            </div>
            <div class="field">
              <label for="ss-sl">Service-level threshold</label>
              <div class="input-unit">
                <input
                  id="ss-sl"
                  type="number"
                  inputMode="numeric"
                  min={1}
                  max={3600}
                  step={1}
                  required
                  value={form.serviceLevelSeconds}
                  onInput={(e) => set('serviceLevelSeconds', e.currentTarget.value)}
                  aria-describedby="ss-sl-help"
                />
                <span class="unit">seconds</span>
              </div>
              <p class="hint" id="ss-sl-help">
                A call answered within this time counts as in service level (1–3600 s).
              </p>
            </div>
            <p class="hint settings-aside">Call length and working hours for appointments are set under “Working hours for appointments”.</p>
          </fieldset>

          <fieldset class="settings-group">
            <legend>Credit without a supervisor</legend>
            <div class="field">
              <label for="ss-limit">Largest automatic limit</label>
              <div class="input-unit">
                <input
                  id="ss-limit"
                  class="is-money"
                  type="number"
                  inputMode="decimal"
                  min={0}
                  max={10000000}
                  step={0.01}
                  required
                  value={form.limit}
                  onInput={(e) => set('limit', e.currentTarget.value)}
                  aria-describedby="ss-limit-help"
                />
                <span class="unit">{loaded.currency}</span>
              </div>
              <p class="hint" id="ss-limit-help">
                {limitMinor > 0 && Number.isFinite(limitMinor)
                  ? `Applications up to ${formatMoney(limitMinor, loaded.currency)} that meet the rules below are approved in the call; larger ones go to a supervisor.`
                  : 'At 0, every application goes to a supervisor.'}
              </p>
            </div>
            <div class="settings-pair">
              <div class="field">
                <label for="ss-age">Minimum age</label>
                <div class="input-unit">
                  <input id="ss-age" type="number" inputMode="numeric" min={18} max={120} step={1} required value={form.minAge} onInput={(e) => set('minAge', e.currentTarget.value)} />
                  <span class="unit">years</span>
                </div>
              </div>
              <div class="field">
                <label for="ss-orders">Paid orders needed</label>
                <div class="input-unit">
                  <input
                    id="ss-orders"
                    type="number"
                    inputMode="numeric"
                    min={0}
                    max={1000}
                    step={1}
                    required
                    value={form.minPaidOrders}
                    onInput={(e) => set('minPaidOrders', e.currentTarget.value)}
                  />
                  <span class="unit">orders</span>
                </div>
              </div>
            </div>
            <p class="hint settings-pair-help">Age by the registered birth date (18–120); paid orders at your store (0–1000).</p>
            <label class="settings-check">
              <input type="checkbox" checked={form.requireVerifiedEmail} onChange={(e) => set('requireVerifiedEmail', e.currentTarget.checked)} />
              <span>Require a verified email address</span>
            </label>
          </fieldset>
        </div>

        <div class="settings-foot">
          <button type="submit" class="btn btn-primary" disabled={busy} data-testid="save-settings">
            {busy ? 'Saving…' : 'Save settings'}
          </button>
          {saved && (
            <p class="status-ok settings-status" role="status" data-testid="settings-saved">
              {saved}
            </p>
          )}
          {error && (
            <p class="status-error settings-status" role="alert" data-testid="settings-error">
              {error}
              {conflict && (
                <button type="button" class="btn btn-ghost btn-sm" onClick={load}>
                  Reload
                </button>
              )}
            </p>
          )}
        </div>
      </form>
    </section>
  );
}
