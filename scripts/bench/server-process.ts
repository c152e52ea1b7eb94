import { spawn, type ChildProcess } from "node:child_process";
import { connect, createServer } from "node:net";
import { fileURLToPath, pathToFileURL } from "node:url";
import { request } from "undici";
import { buildServer, type ServerEntry } from "../build-server.js";
import type { ProbeCommand, ProbeSample } from "./server-probe.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Each bundle once per bench process (scripts/build-server.ts), however many servers it starts. */
const builds = new Map<ServerEntry, Promise<string>>();
function built(name: ServerEntry): Promise<string> {
  let path = builds.get(name);
  if (path === undefined) {
    path = buildServer(name);
    builds.set(name, path);
  }
  return path;
}

export interface ServerHandle {
  url: string;
  /** The TLS listener (HTTP/2 and HTTP/1.1 by ALPN), when the server was started with one. */
  secureUrl?: string;
  /** Null when targeting a server the bench did not start: its process cannot be observed. */
  probe: ServerProbe | null;
  stop(): Promise<void>;
}

export interface ServerProbe {
  reset(): void;
  sample(): Promise<ProbeSample>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts the lab's server in its own process, as `npm start` would (bundled, scripts/build-server.ts),
 * with the probe preloaded; `entry` names another server to start the same way (the bare
 * baseline). With `tls`, its TLS listener gets a free port too; otherwise it is off unless `env`
 * says otherwise.
 */
export async function startServer(env: Record<string, string>, entry: ServerEntry = "server", options: { tls?: boolean } = {}): Promise<ServerHandle> {
  const port = await freePort();
  const tlsPort = options.tls === true ? await freePort() : 0;
  const [main, probe] = await Promise.all([built(entry), built("server-probe")]);
  const child = spawn(process.execPath, ["--enable-source-maps", "--import", pathToFileURL(probe).href, main], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: "production",
      LAB_TLS_PORT: "0",
      ...env,
      ...(tlsPort > 0 ? { LAB_TLS_PORT: String(tlsPort) } : {}),
      HOST: "127.0.0.1",
      PORT: String(port),
    },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  let output = "";
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  // However the bench ends (an error, Ctrl-C, process.exit), its server must not outlive it.
  const killOnExit = (): void => {
    child.kill("SIGKILL");
  };
  process.once("exit", killOnExit);
  child.once("exit", () => process.off("exit", killOnExit));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilUp(url, child, () => output);
    // The TLS listener starts after the plain one: a client that connected too early would be refused.
    if (tlsPort > 0) await waitUntilAccepting(tlsPort, child, () => output);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return {
    url,
    ...(tlsPort > 0 ? { secureUrl: `https://127.0.0.1:${tlsPort}` } : {}),
    probe: probeOf(child),
    stop: () => stopChild(child),
  };
}

async function waitUntilAccepting(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode} before its TLS listener was up:\n${output()}`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the server's TLS listener did not accept on port ${port} within 30 s:\n${output()}`);
}

async function waitUntilUp(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode} before listening:\n${output()}`);
    try {
      const response = await request(`${url}/api/stats`);
      await response.body.dump();
      if (response.statusCode === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the server did not answer on ${url} within 30 s:\n${output()}`);
}

function probeOf(child: ChildProcess): ServerProbe {
  const command = (c: ProbeCommand): void => {
    child.send(c);
  };
  return {
    reset: () => command({ type: "reset" }),
    sample: () =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("the server probe did not answer")), 5_000);
        child.once("message", (message: ProbeSample) => {
          clearTimeout(timer);
          resolve(message);
        });
        command({ type: "sample" });
      }),
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

/** A server named by --url: no process to observe, nothing to stop. */
export function externalServer(url: string): ServerHandle {
  return { url: url.replace(/\/$/, ""), probe: null, stop: async () => undefined };
}
