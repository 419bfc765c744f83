// The device id (the "equipment code"): one random id per browser install,
// kept in localStorage. Every API request carries it in X-Device-ID and the
// signaling WebSocket carries it as ?device=, so the server knows which
// browser a member signed in on and which one to ring.

const storageKey = 'lm_device';
const valid = /^[A-Za-z0-9_-]{8,64}$/;

let cached: string | null = null;

function fresh(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  // Older browsers (and non-secure contexts) lack randomUUID: 32 hex digits.
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * deviceId returns this browser's device id, creating and storing it on the
 * first call. When storage is unavailable (private mode, blocked cookies) the
 * id lives for this page only.
 */
export function deviceId(): string {
  if (cached) return cached;
  let id: string | null = null;
  try {
    id = localStorage.getItem(storageKey);
  } catch {
    id = null;
  }
  if (!id || !valid.test(id)) {
    id = fresh();
    try {
      localStorage.setItem(storageKey, id);
    } catch {
      // Storage refused: keep the id in memory.
    }
  }
  cached = id;
  return id;
}
