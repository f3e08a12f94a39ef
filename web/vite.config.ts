import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

// `vite build --config web/vite.config.ts` from the repository root builds into web/dist,
// which `marketloop start` serves at `/`. In dev, /v1 and /l go to a running API.
// Two pages: the console (index.html) and the mobile H5 reward pages (h5/index.html, served
// for every /h5/* path; docs/h5.md).
export default defineConfig({
  root,
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      input: { console: `${root}index.html`, h5: `${root}h5/index.html` },
      output: {
        manualChunks: (id) => (id.includes('node_modules') ? (/[\\/](react|react-dom|react-router|react-router-dom|scheduler)[\\/]/.test(id) ? 'react' : 'vendor') : undefined),
      },
    },
  },
  server: {
    proxy: {
      '/v1': process.env.MARKETLOOP_API ?? 'http://127.0.0.1:3000',
      '/l/': process.env.MARKETLOOP_API ?? 'http://127.0.0.1:3000',
      '/h/': process.env.MARKETLOOP_API ?? 'http://127.0.0.1:3000',
    },
  },
});
