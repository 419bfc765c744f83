// The browser side of "ring me when the app is closed": the app's service
// worker (backend/web/pwa/worker.js, at <scope>sw.js) and this browser's
// push subscription, kept by the server for the member signed in on this
// device (push/routes.go: GET/PUT/DELETE /api/v1/push/subscription).

import { api, ApiError } from './api';

/** registerWorker registers the app's service worker; it does nothing where there are none. */
export function registerWorker(scope: string): void {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register(`${scope}sw.js`, { scope }).catch((e: unknown) => {
    // The app works without it; only installing and push need it.
    console.warn('livemall: the service worker did not register', e);
  });
}

/** PushSupport says whether this browser can ring the member by push. */
export type PushSupport = 'ok' | 'unsupported' | 'denied';

/** pushSupport checks the browser's APIs and the notification permission. */
export function pushSupport(): PushSupport {
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) return 'unsupported';
  return Notification.permission === 'denied' ? 'denied' : 'ok';
}

/** deniedText explains a refused notification permission. */
export const deniedText = 'Notifications are blocked for this site. Allow them in your browser’s site settings, then turn this on again.';

/** unsupportedText explains a browser without Web Push. */
export const unsupportedText =
  'This browser cannot ring you while the app is closed. On a phone, install the app first (Add to Home screen).';

/** pushSubscribed asks the server whether this device is subscribed for the signed-in member. */
export async function pushSubscribed(): Promise<boolean> {
  return (await api.get<{ subscribed: boolean }>('/push/subscription')).subscribed;
}

/** registration is the app's worker registration, registering it if needed. */
async function registration(scope: string): Promise<ServiceWorkerRegistration> {
  const reg = (await navigator.serviceWorker.getRegistration(scope)) ?? (await navigator.serviceWorker.register(`${scope}sw.js`, { scope }));
  if (reg.active) return reg;
  return navigator.serviceWorker.ready;
}

function keyBytes(b64url: string): Uint8Array<ArrayBuffer> {
  const s = b64url.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(s + '='.repeat((4 - (s.length % 4)) % 4));
  const out = new Uint8Array(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function sameKey(sub: PushSubscription, key: Uint8Array): boolean {
  const have = sub.options.applicationServerKey;
  if (!have) return false;
  const a = new Uint8Array(have);
  return a.length === key.length && a.every((v, i) => v === key[i]);
}

/**
 * subscribeTimeout bounds the browser's subscribing: without its push
 * service (no network to it, a browser built without one) the promise may
 * never settle, and the switch must not spin forever.
 */
const subscribeTimeout = 15_000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(what)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e)),
    );
  });
}

/**
 * turnPushOn asks for the notification permission, subscribes this browser
 * with the server's VAPID key and hands the subscription to the server. It
 * throws an Error fit to show when permission is refused, push is not
 * supported, or the browser's push service fails.
 */
export async function turnPushOn(scope: string): Promise<void> {
  if (pushSupport() === 'unsupported') throw new Error(unsupportedText);
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw new Error(permission === 'denied' ? deniedText : 'Allow notifications when the browser asks, so calls can ring you.');
  const reg = await registration(scope);
  const { publicKey } = await api.get<{ publicKey: string }>('/push/key');
  const key = keyBytes(publicKey);
  let sub = await reg.pushManager.getSubscription();
  if (sub && !sameKey(sub, key)) {
    // Made with another server key (the server's keys were replaced): useless now.
    await sub.unsubscribe();
    sub = null;
  }
  if (!sub) {
    try {
      sub = await withTimeout(
        reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }),
        subscribeTimeout,
        'it did not answer',
      );
    } catch (e) {
      throw new Error(`The browser’s push service did not take the subscription (${e instanceof Error ? e.message : String(e)}). Try again later.`);
    }
  }
  try {
    await api.put('/push/subscription', sub.toJSON());
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw new Error('The subscription could not be saved. Try again.');
  }
}

/** turnPushOff unsubscribes this browser and tells the server to forget the device's subscription. */
export async function turnPushOff(scope: string): Promise<void> {
  if ('serviceWorker' in navigator) {
    const reg = await navigator.serviceWorker.getRegistration(scope);
    const sub = await reg?.pushManager.getSubscription();
    await sub?.unsubscribe().catch(() => false);
  }
  await api.del('/push/subscription');
}
