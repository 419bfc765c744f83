// The service worker of one app (the phone at /phone/, the desk at /desk/),
// hand-written and small. The build (backend/web/pwa/plugin.ts) puts the
// app's settings in front of it as `const app = {scope, name, short, lead}`.
//
// It does three things:
//   - keeps an offline shell: a page the worker itself makes (no cache to go
//     stale), shown instead of the browser's error when a page of the app
//     cannot be loaded for want of a network; it returns to the app by itself
//     once the browser is online again;
//   - shows pushes as notifications: a ring (kind "ring") with Answer and
//     Decline, kept until acted on and replaced by a later push of the same
//     call; missed calls and messages as plain notices;
//   - acts on a click: Answer or the notification's body opens the app at the
//     push's URL (an open window of that app is focused and navigated), and
//     Decline tells the server (POST /api/v1/calls/{id}/decline).
//
// Only this origin's URLs are ever opened or fetched.

/* global app */
/// <reference lib="webworker" />

const sw = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));

const offlineScript = `${app.scope}offline.js`;

sw.addEventListener('install', () => {
  sw.skipWaiting();
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(sw.clients.claim());
});

// ---------- the offline shell ----------

sw.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (url.origin !== sw.location.origin) return;
  if (url.pathname === offlineScript) {
    event.respondWith(new Response(offlineJS, { headers: { 'Content-Type': 'text/javascript; charset=utf-8' } }));
    return;
  }
  if (req.mode !== 'navigate' || req.method !== 'GET') return;
  // The network first, always: the app never runs from a stale copy. Only a
  // failure to reach the server at all shows the shell; the server's own
  // answers (errors included) pass through.
  event.respondWith(
    fetch(req).catch(
      () =>
        new Response(offlineHTML(), {
          status: 200,
          headers: {
            'Content-Type': 'text/html; charset=utf-8',
            'Cache-Control': 'no-store',
            'Content-Security-Policy': `default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; manifest-src 'self'; base-uri 'none'; form-action 'none'`,
          },
        }),
    ),
  );
});

/**
 * offlineJS returns to the app once the server answers again: when the
 * browser says it is online, and every few seconds (a browser may be
 * online while the server is out of reach).
 */
const offlineJS = `const back = () => fetch(${JSON.stringify(app.scope)}, { method: 'HEAD', cache: 'no-store' }).then((r) => { if (r.ok) location.reload(); }, () => {});
addEventListener('online', back);
setInterval(back, 4000);
document.getElementById('retry').addEventListener('click', (e) => { e.preventDefault(); location.reload(); });
`;

const mark =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='8' fill='%235b3df5'/%3E%3Crect x='6' y='14' width='6' height='12' rx='1' fill='%23fff' opacity='.75'/%3E%3Crect x='13' y='7' width='6' height='19' rx='1' fill='%23fff'/%3E%3Crect x='20' y='11' width='6' height='15' rx='1' fill='%23fff' opacity='.85'/%3E%3C/svg%3E";

function offlineHTML() {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="theme-color" content="#5b3df5"><title>Offline · ${app.name}</title>
<link rel="manifest" href="${app.scope}manifest.webmanifest"><link rel="icon" href="${mark}">
<style>
:root{--accent:#5b3df5;--ink:#141726;--ink-2:#3b4157;--muted:#6b7189;--line:#e3e5ee;--bg:#f6f7fb;--font:system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,'Noto Sans',sans-serif}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;flex-direction:column;font:16px/1.5 var(--font);color:var(--ink);background:var(--bg)}
header{display:flex;align-items:center;gap:.6rem;padding:.9rem 1.5rem;background:#fff;border-bottom:1px solid var(--line);font-weight:700}
header img{width:28px;height:28px}
header span{color:var(--muted);font-weight:600}
main{flex:1;display:grid;place-items:center;padding:2rem 1.25rem}
.card{max-width:30rem;width:100%;background:#fff;border:1px solid var(--line);border-radius:14px;padding:2.2rem 2rem;text-align:center;box-shadow:0 10px 30px rgba(20,23,38,.1),0 2px 6px rgba(20,23,38,.06)}
.icon{width:64px;height:64px;margin:0 auto 1.1rem;border-radius:50%;display:grid;place-items:center;background:#efebff;color:var(--accent)}
h1{font-size:1.35rem;line-height:1.3;margin:0 0 .5rem}
p{margin:0 0 1.4rem;color:var(--ink-2)}
.dot{display:inline-block;width:.6rem;height:.6rem;border-radius:50%;background:#9aa0b4;margin-right:.4rem;vertical-align:.05rem}
.state{font-size:.85rem;color:var(--muted);margin:0 0 1.4rem}
a.btn{display:inline-block;padding:.65rem 1.3rem;border-radius:9px;background:var(--accent);color:#fff;text-decoration:none;font-weight:600}
a.btn:focus-visible{outline:none;box-shadow:0 0 0 3px #fff,0 0 0 5px var(--accent)}
</style></head>
<body>
<header><img src="${mark}" alt=""> livemall <span>${app.short}</span></header>
<main><section class="card" role="alert" data-testid="offline-shell">
<div class="icon" aria-hidden="true"><svg width="30" height="30" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="M2 8.8a15 15 0 0 1 4.2-2.6M10.7 5.1A15 15 0 0 1 22 8.8M5 12.5a10 10 0 0 1 5.2-2.7M15.5 10.4A10 10 0 0 1 19 12.5M8.5 16.1a5 5 0 0 1 7 0M12 20h.01M3 3l18 18"/></svg></div>
<h1>You are offline — calls will ring when you are back</h1>
<p>${app.lead}</p>
<p class="state"><span class="dot" aria-hidden="true"></span>Waiting for a connection; this page returns to the ${app.short.toLowerCase()} by itself.</p>
<a class="btn" id="retry" href="${app.scope}">Try again</a>
</section></main>
<script src="${offlineScript}"></script>
</body></html>`;
}

// ---------- pushes ----------

/**
 * sameOrigin returns url as an absolute URL of this origin, or the app's
 * start page when it is missing or points elsewhere.
 * @param {unknown} url
 */
function sameOrigin(url) {
  try {
    const u = new URL(typeof url === 'string' && url ? url : app.scope, sw.location.origin);
    if (u.origin === sw.location.origin) return u.href;
  } catch {
    // fall through
  }
  return new URL(app.scope, sw.location.origin).href;
}

sw.addEventListener('push', (event) => {
  /** @type {{kind?: string, title?: string, body?: string, url?: string, callId?: string}} */
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { body: event.data ? event.data.text() : '' };
  }
  const ring = data.kind === 'ring' && typeof data.callId === 'string' && data.callId !== '';
  /** @type {NotificationOptions & {actions?: {action: string, title: string}[], renotify?: boolean, vibrate?: number[]}} */
  const options = {
    body: data.body || '',
    icon: `${app.scope}icon-192.png`,
    badge: `${app.scope}icon-192.png`,
    data: { ...data, url: sameOrigin(data.url) },
    requireInteraction: ring,
  };
  if (ring) {
    // A second push for the same call replaces the first.
    options.tag = data.callId;
    options.actions = [
      { action: 'answer', title: 'Answer' },
      { action: 'decline', title: 'Decline' },
    ];
    options.vibrate = [400, 200, 400, 200, 400];
  }
  event.waitUntil(sw.registration.showNotification(data.title || app.name, options));
});

sw.addEventListener('notificationclick', (event) => {
  const n = event.notification;
  const data = n.data || {};
  n.close();
  if (event.action === 'decline') {
    event.waitUntil(decline(data.callId));
    return;
  }
  event.waitUntil(openApp(sameOrigin(data.url)));
});

/**
 * openApp focuses an open window of the app url belongs to and takes it
 * there, or opens a new window when there is none (or it cannot be moved).
 * @param {string} url
 */
async function openApp(url) {
  const target = new URL(url);
  const appPath = `/${target.pathname.split('/')[1]}/`;
  const wins = await sw.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const win = wins.find((w) => new URL(w.url).pathname.startsWith(appPath));
  if (win) {
    // focus needs the click's user activation; moving the window does not.
    const focused = await win.focus().catch(() => win);
    try {
      if (await focused.navigate(url)) return;
    } catch {
      // Not this worker's window (navigate needs that): open a new one.
    }
  }
  await sw.clients.openWindow(url);
}

/**
 * decline tells the server the member declined the ringing call: the caller
 * is offered the mailbox. The CSRF token comes from /api/v1/csrf (the worker
 * has no document.cookie).
 * @param {unknown} callId
 */
async function decline(callId) {
  if (typeof callId !== 'string' || !callId) return;
  try {
    const t = await fetch('/api/v1/csrf', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    const { token } = await t.json();
    const res = await fetch(`/api/v1/calls/${encodeURIComponent(callId)}/decline`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { Accept: 'application/json', 'Content-Type': 'application/json', 'X-CSRF-Token': token },
      body: '{}',
    });
    if (!res.ok && res.status !== 404 && res.status !== 409) throw new Error(`the server answered ${res.status}`);
  } catch (e) {
    // The call rings out to the mailbox on its own; say the decline failed.
    await sw.registration.showNotification('Could not decline the call', {
      body: `It goes to your mailbox when it stops ringing (${e instanceof Error ? e.message : String(e)}).`,
      icon: `${app.scope}icon-192.png`,
      tag: `decline-${callId}`,
      data: { url: sameOrigin(app.scope) },
    });
  }
}

// The push service rotated the subscription: subscribe again with the
// server's key and tell the server, as the app's switch would.
sw.addEventListener('pushsubscriptionchange', (event) => {
  event.waitUntil(
    (async () => {
      const { publicKey } = await (await fetch('/api/v1/push/key', { credentials: 'same-origin' })).json();
      const sub = await sw.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: base64url(publicKey) });
      const { token } = await (await fetch('/api/v1/csrf', { credentials: 'same-origin' })).json();
      await fetch('/api/v1/push/subscription', {
        method: 'PUT',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': token },
        body: JSON.stringify(sub.toJSON()),
      });
    })(),
  );
});

/** @param {string} s base64url */
function base64url(s) {
  const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
  return Uint8Array.from(b, (c) => c.charCodeAt(0));
}
