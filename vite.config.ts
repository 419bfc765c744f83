import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

// One build, three apps. The Go server embeds backend/web/dist and maps
// / -> app/mall/ui/index.html, /desk/ -> app/agentdesk/ui/index.html and
// /phone/ -> app/directory/ui/index.html; hashed files live under /assets/.
export default defineConfig({
  root,
  base: '/',
  publicDir: false,
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
