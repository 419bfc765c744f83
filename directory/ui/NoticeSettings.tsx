// NoticeSettings: what the member is told of missed calls and new messages
// while the phone is closed — a push to the devices that take pushes and an
// email (at most one every 10 minutes, to a verified address), each a
// switch.
import { useEffect, useId, useState } from 'preact/hooks';
import { noticesApi, type NoticeSettings as Settings } from './noticesApi';

const rows: { key: keyof Settings; label: string }[] = [
  { key: 'missedCallPush', label: 'Missed call: a notification' },
  { key: 'missedCallEmail', label: 'Missed call: an email' },
  { key: 'messagePush', label: 'New message: a notification' },
  { key: 'messageEmail', label: 'New message: an email' },
];

/** NoticeSettings shows and saves the member's four notice switches. */
export function NoticeSettings({ emailVerified }: { emailVerified: boolean }) {
  const id = useId();
  const [settings, setSettings] = useState<Settings | null>(null);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);

  useEffect(() => {
    noticesApi.get().then(setSettings, (e: Error) => setStatus({ ok: false, text: e.message }));
  }, []);

  const change = async (key: keyof Settings, on: boolean) => {
    if (!settings) return;
    setBusy(true);
    setStatus(null);
    try {
      setSettings(await noticesApi.save({ ...settings, [key]: on }));
      setStatus({ ok: true, text: 'Saved.' });
    } catch (e) {
      setStatus({ ok: false, text: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <fieldset class="phone-section" disabled={busy || !settings} aria-describedby={`${id}-hint`} data-testid="notice-settings">
      <legend class="section-title">When you miss a call</legend>
      {settings &&
        rows.map((r) => (
          <label key={r.key} class="switch">
            <input type="checkbox" role="switch" checked={settings[r.key]} data-notice={r.key} onChange={(e) => void change(r.key, e.currentTarget.checked)} />
            <span class="switch-track" aria-hidden="true">
              <span class="switch-thumb" />
            </span>
            <span>{r.label}</span>
          </label>
        ))}
      <p class="hint" id={`${id}-hint`}>
        Notifications reach the devices where you turned on ringing when the app is closed.{' '}
        {emailVerified
          ? 'Emails go to your verified address, at most one every 10 minutes, with a link to your mailbox — never the recording itself.'
          : 'Emails start once your email address is verified.'}
      </p>
      {status && (
        <p class={status.ok ? 'hint' : 'field-error'} role="status">
          {status.text}
        </p>
      )}
    </fieldset>
  );
}
