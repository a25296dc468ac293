// Two apps from one source tree: the staff console and cockpit (index.html, Element Plus, ECharts,
// Leaflet) and the mobile H5 for residents and grid workers (h5/index.html, Vant). They share the
// API client, the languages and the formats in src/shared. `linli serve` serves web/dist.
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import { resolve } from 'node:path'

export default defineConfig({
  plugins: [vue()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      input: {
        console: resolve(import.meta.dirname, 'index.html'),
        h5: resolve(import.meta.dirname, 'h5/index.html'),
      },
    },
  },
  test: { include: ['tests/unit/**/*.test.js'] },  // vitest; the browser tests run under node --test
  server: {
    proxy: { '/api': 'http://127.0.0.1:8080', '/open311': 'http://127.0.0.1:8080' },
  },
})
