import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig, type ProxyOptions } from 'vite';

/** Where the dev server forwards the station's own paths; `dev.ts` sets it. */
const station = process.env.STATION_URL ?? 'http://127.0.0.1:8750';
const stationPaths = ['/api', '/frames', '/thumbs', '/_sim', '/healthz'];

/**
 * The station refuses WebSocket upgrades from a foreign Origin; through the proxy the
 * browser's Origin is the dev server's, so it is rewritten to the station's own.
 */
function wsProxy(): ProxyOptions {
  return {
    target: station.replace(/^http/, 'ws'),
    ws: true,
    configure: (proxy) => {
      proxy.on('proxyReqWs', (proxyReq) => proxyReq.setHeader('origin', station));
    },
  };
}

export default defineConfig({
  root: import.meta.dirname,
  // Relative asset URLs: the build works wherever station-server mounts it.
  base: './',
  plugins: [react()],
  resolve: { conditions: ['source', ...defaultClientConditions] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 400,
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      ...Object.fromEntries(stationPaths.map((p) => [p, { target: station, changeOrigin: false }])),
      '/ws': wsProxy(),
      '/live': wsProxy(),
    },
  },
});
