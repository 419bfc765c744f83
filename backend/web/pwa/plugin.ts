// installableApps: the Vite plugin that makes the phone and the desk
// installable web apps. For each app it emits, beside the build's assets,
// <dir>/manifest.webmanifest, <dir>/sw.js (worker.js with the app's
// settings), and the icons drawn by icons.ts: <dir>/icon-192.png,
// icon-512.png, icon-maskable-512.png and apple-touch-icon.png (180 px).
// backend/web/ui.go serves them at /<dir>/…; the app's index.html links the
// manifest and the touch icon, and its main.tsx registers the worker.

import { readFileSync } from 'node:fs';
import type { Plugin } from 'vite';
import { accent, iconPNG } from './icons';

/** InstallableApp describes one app's manifest and offline shell. */
export interface InstallableApp {
  /** dir is the app's path without slashes ("phone" serves /phone/). */
  dir: string;
  name: string;
  short: string;
  description: string;
  /** lead is the offline shell's line under its title. */
  lead: string;
}

/** background is the theme's --bg (backend/web/ui/theme.css). */
const background = '#f6f7fb';

/** manifest is the app's web app manifest. */
export function manifest(a: InstallableApp) {
  const scope = `/${a.dir}/`;
  return {
    id: scope,
    name: a.name,
    short_name: a.short,
    description: a.description,
    start_url: scope,
    scope,
    display: 'standalone',
    orientation: 'any',
    theme_color: accent,
    background_color: background,
    categories: ['business', 'social'],
    icons: [
      { src: `${scope}icon-192.png`, sizes: '192x192', type: 'image/png', purpose: 'any' },
      { src: `${scope}icon-512.png`, sizes: '512x512', type: 'image/png', purpose: 'any' },
      { src: `${scope}icon-maskable-512.png`, sizes: '512x512', type: 'image/png', purpose: 'maskable' },
    ],
  };
}

/** installableApps emits every app's manifest, worker and icons. */
export function installableApps(apps: InstallableApp[]): Plugin {
  const worker = readFileSync(new URL('./worker.js', import.meta.url), 'utf8');
  return {
    name: 'livemall-installable-apps',
    apply: 'build',
    generateBundle() {
      const icons = {
        'icon-192.png': iconPNG(192),
        'icon-512.png': iconPNG(512),
        'icon-maskable-512.png': iconPNG(512, { maskable: true }),
        'apple-touch-icon.png': iconPNG(180, { maskable: true }),
      };
      for (const a of apps) {
        const settings = { scope: `/${a.dir}/`, name: a.name, short: a.short, lead: a.lead };
        const emit = (name: string, source: string | Uint8Array) =>
          this.emitFile({ type: 'asset', fileName: `${a.dir}/${name}`, source });
        emit('manifest.webmanifest', JSON.stringify(manifest(a), null, 2) + '\n');
        emit('sw.js', `const app = ${JSON.stringify(settings)};\n\n${worker}`);
        for (const [name, png] of Object.entries(icons)) emit(name, png);
      }
    },
  };
}
