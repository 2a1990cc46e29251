// The chat widget: one self-contained IIFE at dist/widget.js (stable name, CSS inlined).
// Runs after the pages build, so it must not empty dist/.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const here = import.meta.dirname;

export default defineConfig({
  root: here,
  publicDir: false,
  build: {
    outDir: resolve(here, 'dist'),
    emptyOutDir: false,
    target: 'es2022',
    sourcemap: false,
    copyPublicDir: false,
    lib: {
      entry: resolve(here, 'src/widget/main.ts'),
      formats: ['iife'],
      name: 'BottegaWidget',
      fileName: () => 'widget.js',
    },
  },
});
