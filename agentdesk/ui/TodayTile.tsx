// TodayTile: "Your calls today" — the calls the agent answered since
// midnight UTC, the sales and add-ons among them and the average handle
// time, read from GET /desk/agent when the desk opens, after each call and
// every minute.

import { useEffect, useState } from 'preact/hooks';
import { UserIcon } from '../../backend/web/ui/icons';
import { clock, deskApi, type AgentToday } from './deskApi';

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** TodayTile shows the agent's day; refresh changes when a call starts or ends. */
export function TodayTile({ refresh }: { refresh: string }) {
  const [today, setToday] = useState<AgentToday | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let gone = false;
    const load = () =>
      deskApi
        .agent()
        .then((a) => {
          if (gone) return;
          setToday(a.today ?? null);
          setFailed(false);
        })
        .catch(() => !gone && setFailed(true));
    load();
    const timer = window.setInterval(load, 60_000);
    return () => {
      gone = true;
      window.clearInterval(timer);
    };
  }, [refresh]);

  let big = '…';
  let detail = 'Counting your calls…';
  if (failed) {
    big = '—';
    detail = 'Your figures could not be loaded; they will be tried again in a minute.';
  } else if (today && today.served === 0) {
    big = 'None yet';
    detail = 'Calls you take and orders you close are counted here.';
  } else if (today) {
    big = plural(today.served, 'call', 'calls');
    const parts = [plural(today.sold, 'sale', 'sales'), plural(today.addOns, 'add-on sold', 'add-ons sold')];
    if (today.averageHandleSeconds > 0) parts.push(`${clock(today.averageHandleSeconds)} per call on average`);
    detail = parts.join(' · ');
  }
  return (
    <section class="tile" aria-labelledby="you-title" data-testid="today-tile">
      <div class="tile-head">
        <UserIcon size={20} />
        <h2 id="you-title">Your calls today</h2>
      </div>
      <p class="tile-big" data-testid="today-served">
        {big}
      </p>
      <p class="muted small">{detail}</p>
    </section>
  );
}
