import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createServer } from "vite";

/**
 * `npm run dev`: the API server (port 3000, restarted by tsx on server changes) and Vite's dev
 * server with hot reload, whose proxy forwards /api (WebSocket included) and /results to the API.
 * Ctrl-C stops both.
 */
const root = fileURLToPath(new URL("..", import.meta.url));
const apiPort = process.env.PORT ?? "3000";

process.env.LAB_API_ORIGIN ??= `http://127.0.0.1:${apiPort}`;

const tsxCli = fileURLToPath(import.meta.resolve("tsx/cli"));
const api = spawn(process.execPath, [tsxCli, "watch", "--clear-screen=false", "server/main.ts"], {
  cwd: root,
  env: { ...process.env, PORT: apiPort },
  stdio: "inherit",
});

const vite = await createServer({
  configFile: fileURLToPath(new URL("../client/vite.config.ts", import.meta.url)),
});
await vite.listen();
vite.printUrls();
console.log(`API on http://127.0.0.1:${apiPort} (proxied by the dev server above)`);

let stopping = false;
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  api.kill("SIGTERM");
  await vite.close();
  process.exit(code);
}

process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
api.on("exit", (code) => {
  if (!stopping) {
    console.error(`API server exited (${code ?? "signal"}); stopping the dev server too`);
    void stop(code ?? 1);
  }
});
