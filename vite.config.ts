import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { installableApps } from './backend/web/pwa/plugin';

const root = fileURLToPath(new URL('.', import.meta.url));

// The three pages share their head (charset, viewport, theme colour, icon)
// and body (the app's root and its script, ./main.tsx beside each page):
// each index.html marks their places with <!-- livemall:head ... --> and
// <!-- livemall:body ... --> and keeps only its own description and title.
function sharedPartials(): Plugin {
  const partials = ['head', 'body'].map((name) => ({
    marker: new RegExp(`^[ \\t]*<!-- livemall:${name}\\b[^>]*-->`, 'm'),
    html: readFileSync(resolve(root, `backend/web/ui/${name}.html`), 'utf8').trimEnd(),
    name,
  }));
  return {
    name: 'livemall-shared-partials',
    transformIndexHtml: {
      order: 'pre',
      handler(html, ctx) {
        for (const p of partials) {
          if (!p.marker.test(html)) throw new Error(`${ctx.filename} has no <!-- livemall:${p.name} --> marker`);
          html = html.replace(p.marker, p.html);
        }
        return html;
      },
    },
  };
}

export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  plugins: [
    sharedPartials(),
    installableApps([
      {
        dir: 'phone',
        name: 'livemall phone',
        short: 'Phone',
        description: 'Your livemall phone: a permanent number, the member directory and your mailbox.',
        lead: 'The phone needs a connection to call and to be called. Missed calls go to your mailbox meanwhile.',
      },
      {
        dir: 'desk',
        name: 'livemall desk',
        short: 'Desk',
        description: 'The livemall agent desk for store staff.',
        lead: 'The desk needs a connection to take shoppers’ calls. While you are away, calls go to your colleagues.',
      },
    ]),
  ],
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'backend/web/dist/app',
    emptyOutDir: true,
    assetsDir: 'assets',
    rollupOptions: {
      input: {
        mall: resolve(root, 'mall/ui/index.html'),
        desk: resolve(root, 'agentdesk/ui/index.html'),
        phone: resolve(root, 'directory/ui/index.html'),
      },
    },
  },
});
