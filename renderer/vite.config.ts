// Builds the renderer. Electron loads the output from file://, so every asset URL is relative.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    // The CSP has no 'unsafe-inline': keep every asset a separate file, never a data: script.
    assetsInlineLimit: 0,
    sourcemap: true,
  },
});
