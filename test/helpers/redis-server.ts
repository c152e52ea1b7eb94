import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./child-server.js";

/** The system's redis-server (`apt-get install redis-server`; .ci/run installs it). */
export const REDIS_SERVER = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].find((path) => existsSync(path)) ?? null;

export interface RedisProcess {
  port: number;
  /** redis://127.0.0.1:PORT */
  url: string;
  /** Stop it (SIGTERM) and wait for the exit; the data directory stays for `start()`. */
  stop(): Promise<void>;
  /** Start it again on the same port and data directory (after `stop()`). */
  start(): Promise<void>;
  /** Stop it and remove its data directory. */
  dispose(): Promise<void>;
}

/**
 * A real redis-server on a free loopback port, in a temp directory of its own. `persistent`: an
 * append-only file fsynced on every write, so a restart keeps every acknowledged message (what a
 * shared log in production would run with); otherwise nothing is written to disk.
 */
export async function startRedis(options: { persistent?: boolean } = {}): Promise<RedisProcess> {
  if (REDIS_SERVER === null) throw new Error("redis-server is not installed (apt-get install redis-server)");
  const binary = REDIS_SERVER;
  const dir = await mkdtemp(join(tmpdir(), "lab-redis-"));
  const port = await freePort();
  const persistence = options.persistent === true ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"];
  let child: ChildProcess | null = null;

  const start = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", ...persistence, "--dir", dir, "--daemonize", "no", "--loglevel", "notice"];
      const process = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
      child = process;
      let output = "";
      const timer = setTimeout(() => {
        process.kill("SIGKILL");
        reject(new Error(`redis-server did not start within 10 s: ${output}`));
      }, 10_000);
      process.stdout?.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (!output.includes("Ready to accept connections")) return;
        clearTimeout(timer);
        process.stdout?.removeAllListeners("data");
        process.stdout?.resume();
        resolve();
      });
      process.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
      process.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}: ${output}`));
      });
    });

  const stop = async (): Promise<void> => {
    const running = child;
    child = null;
    if (running === null || running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    running.kill("SIGTERM");
    await exited;
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    dispose: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
