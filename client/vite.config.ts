import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const API = process.env.LAB_API_ORIGIN ?? "http://127.0.0.1:3000";

/** The dashboard: built into client/dist for the Fastify server; the dev server proxies the API. */
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
  // sockjs-client is written for browserify, which provided `global`.
  define: { global: "globalThis" },
  server: {
    host: "127.0.0.1",
    port: 5173,
    proxy: {
      "/api/ws": { target: API.replace(/^http/, "ws"), ws: true },
      "/api/stomp": { target: API.replace(/^http/, "ws"), ws: true },
      "/chat": { target: API, ws: true },
      "/api": { target: API },
      "/results": { target: API },
    },
  },
});
