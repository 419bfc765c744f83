// The one clock of the apps: call timers, wait times and message lengths.

import { useEffect, useState } from 'preact/hooks';

/** clock formats seconds as m:ss (mm:ss with pad), or h:mm:ss from an hour. */
export function clock(seconds: number, pad = false): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  if (h > 0) return `${h}:${String(m).padStart(2, '0')}:${ss}`;
  return `${pad ? String(m).padStart(2, '0') : m}:${ss}`;
}

/** useNow re-renders every `every` ms while on and returns the time. */
export function useNow(on: boolean, every = 500): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!on) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), every);
    return () => clearInterval(t);
  }, [on, every]);
  return now;
}
