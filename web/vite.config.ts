// Multi-page build of the console (index.html) and the hosted chat page (chat.html).
// The widget is a separate IIFE build: vite.widget.config.ts. Both write into dist/.
import { resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

const here = import.meta.dirname;
// For `npm run dev`: where a running Bottega listens (the dev server proxies the API to it).
const backend = process.env.BOTTEGA_URL ?? 'http://127.0.0.1:8080';

/** Dev server only: /chat/{channel_id} serves chat.html, as the C++ server does. */
function chatRoute(): Plugin {
  return {
    name: 'bottega-chat-route',
    configureServer(server) {
      server.middlewares.use((req, _res, next) => {
        if (req.url && /^\/chat\/[^/?]+\/?(\?.*)?$/.test(req.url)) req.url = '/chat.html';
        next();
      });
    },
  };
}

export default defineConfig({
  root: here,
  base: '/',
  plugins: [chatRoute()],
  build: {
    outDir: resolve(here, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    rolldownOptions: {
      input: {
        index: resolve(here, 'index.html'),
        chat: resolve(here, 'chat.html'),
      },
    },
  },
  server: {
    proxy: {
      '/api': { target: backend, ws: true, changeOrigin: false },
      '/healthz': backend,
    },
  },
});
