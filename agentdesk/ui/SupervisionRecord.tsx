// SupervisionRecord: the supervisors' steps in an engagement, from GET
// /desk/engagements/{entryId} (supervisions). An agent reads the steps
// they knew of (a supervisor whispering to them or barging in); the
// store's supervisors read every step, monitoring too.
//
//   <SupervisionRecord entryId={item.entryId} />

import { useEffect, useState } from 'preact/hooks';
import { api } from '../../backend/web/ui/api';
import { EyeIcon } from './superviseIcons';
import './supervise.css';

/** SupervisionStep is one step of a supervisor in the engagement. */
export interface SupervisionStep {
  supervisor: string;
  mode: 'monitor' | 'whisper' | 'barge' | 'stop';
  at: string;
}

const said: Record<SupervisionStep['mode'], string> = {
  monitor: 'monitored the call',
  whisper: 'whispered to the agent',
  barge: 'joined the call',
  stop: 'left the call',
};

function timeOf(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** SupervisionRecord lists the steps, or nothing when there were none. */
export function SupervisionRecord({ entryId }: { entryId: string }) {
  const [steps, setSteps] = useState<SupervisionStep[]>([]);
  useEffect(() => {
    let alive = true;
    api
      .get<{ supervisions?: SupervisionStep[] }>(`/desk/engagements/${encodeURIComponent(entryId)}`)
      .then((e) => alive && setSteps(e.supervisions ?? []))
      .catch(() => {});
    return () => {
      alive = false;
    };
  }, [entryId]);
  if (steps.length === 0) return null;
  return (
    <div class="sv-record" data-testid="supervision-record">
      <p class="sv-record-title">
        <EyeIcon size={16} /> Supervisor in this call
      </p>
      <ul>
        {steps.map((s, i) => (
          <li key={i}>
            <time dateTime={s.at}>{timeOf(s.at)}</time> {s.supervisor} {said[s.mode] ?? s.mode}
          </li>
        ))}
      </ul>
    </div>
  );
}
