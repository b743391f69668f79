// Vite builds the single-page app into the folder given by --outDir (the build folder's web/, see
// scripts/web_build.sh). Hashed file names under /assets/ let the server cache them for a year.
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

export default defineConfig({
  plugins: [preact()],
  build: {
    target: 'es2020',
    assetsDir: 'assets',
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
  server: {
    // `npm run dev`: the API comes from a bashgah server on the usual port.
    proxy: { '/api': 'http://127.0.0.1:8080', '/healthz': 'http://127.0.0.1:8080' },
  },
});
