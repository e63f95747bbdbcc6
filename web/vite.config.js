// The explorer is built into the Python package (graphsvc/api/explorer), which serves it at / and /formats.
// `npm ci && npm run build` here rebuilds it; the build output is committed so an installed graphsvc needs
// neither Node nor a network.
import { resolve } from "node:path";
import { defineConfig } from "vite";

export default defineConfig({
  base: "/",
  build: {
    outDir: resolve(import.meta.dirname, "../graphsvc/api/explorer"),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      input: {
        index: resolve(import.meta.dirname, "index.html"),
        formats: resolve(import.meta.dirname, "formats.html"),
      },
    },
  },
  server: {
    // `npm run dev` against a graphsvc on :8000
    proxy: { "/v1": "http://127.0.0.1:8000" },
  },
});
