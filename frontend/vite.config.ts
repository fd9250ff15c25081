import { defineConfig } from "vitest/config";

// `npm run dev` serves the app and forwards /api to a running Zonecut server
// (`make run`, or `zonecut serve`); set ZONECUT_API to point elsewhere.
const apiTarget = process.env.ZONECUT_API ?? "http://127.0.0.1:8000";

export default defineConfig({
  server: {
    port: 5173,
    proxy: { "/api": { target: apiTarget, changeOrigin: false } },
  },
  build: {
    outDir: "dist",
    sourcemap: true,
    target: "es2022",
  },
  test: {
    include: ["tests/**/*.test.ts"],
    environment: "node",
  },
});
