import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

// The three pages share their head (charset, viewport, theme colour, icon):
// each index.html marks its place with <!-- livemall:head ... --> and keeps
// only its own description and title.
function sharedHead(): Plugin {
  const head = readFileSync(resolve(root, 'backend/web/ui/head.html'), 'utf8').trimEnd();
  return {
    name: 'livemall-shared-head',
    transformIndexHtml: {
      order: 'pre',
      handler(html, ctx) {
        if (!html.includes('<!-- livemall:head')) throw new Error(`${ctx.filename} has no <!-- livemall:head --> marker`);
        return html.replace(/^[ \t]*<!-- livemall:head[^>]*-->/m, head);
      },
    },
  };
}

// One build, three apps. The Go server embeds backend/web/dist and maps
// / -> app/mall/ui/index.html, /desk/ -> app/agentdesk/ui/index.html and
// /phone/ -> app/directory/ui/index.html; hashed files live under /assets/.
export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  plugins: [sharedHead()],
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
