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

/** NumberFieldProps are a NumberField's label, unit, bounds and value (as typed). */
interface NumberFieldProps {
  id: string;
  label: string;
  /** unit is the word beside the input (seconds, a currency). */
  unit: string;
  min: number;
  max: number;
  /** step also picks the keyboard: whole numbers, or decimals below 1. */
  step: number;
  /** money aligns the figures as amounts (.is-money). */
  money?: boolean;
  value: string;
  onInput(value: string): void;
  /** hint is the line under the field (id-help, which the input points at); none when absent. */
  hint?: string;
}

/** NumberField is a labelled, required number input with its unit and, when given, a hint. */
function NumberField({ id, label, unit, min, max, step, money, value, onInput, hint }: NumberFieldProps) {
  const help = hint ? `${id}-help` : undefined;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <div class="input-unit">
        <input
          id={id}
          class={money ? 'is-money' : undefined}
          type="number"
          inputMode={Number.isInteger(step) ? 'numeric' : 'decimal'}
          min={min}
          max={max}
          step={step}
          required
          value={value}
          onInput={(e) => onInput(e.currentTarget.value)}
          aria-describedby={help}
        />
        <span class="unit">{unit}</span>
      </div>
      {hint && (
        <p class="hint" id={help}>
          {hint}
        </p>
      )}
    </div>
  );
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
            <NumberField
              id="ss-sl"
              label="Service-level threshold"
              unit="seconds"
              min={1}
              max={3600}
              step={1}
              value={form.serviceLevelSeconds}
              onInput={(v) => set('serviceLevelSeconds', v)}
              hint="A call answered within this time counts as in service level (1–3600 s)."
            />
            <p class="hint settings-aside">Call length and working hours for appointments are set under “Working hours for appointments”.</p>
          </fieldset>

          <fieldset class="settings-group">
            <legend>Credit without a supervisor</legend>
            <NumberField
              id="ss-limit"
              label="Largest automatic limit"
              unit={loaded.currency}
              money
              min={0}
              max={10000000}
              step={0.01}
              value={form.limit}
              onInput={(v) => set('limit', v)}
              hint={
                limitMinor > 0 && Number.isFinite(limitMinor)
                  ? `Applications up to ${formatMoney(limitMinor, loaded.currency)} that meet the rules below are approved in the call; larger ones go to a supervisor.`
                  : 'At 0, every application goes to a supervisor.'
              }
            />
            <div class="settings-pair">
              <NumberField id="ss-age" label="Minimum age" unit="years" min={18} max={120} step={1} value={form.minAge} onInput={(v) => set('minAge', v)} />
              <NumberField id="ss-orders" label="Paid orders needed" unit="orders" min={0} max={1000} step={1} value={form.minPaidOrders} onInput={(v) => set('minPaidOrders', v)} />
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
