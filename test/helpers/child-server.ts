import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface ChildServer {
  process: ChildProcess;
  url: string;
  port: number;
  /** SIGTERM, then wait for the exit. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (bound then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** `node --import tsx server/main.ts` as its own process, as `npm start` runs it, with extra env. */
export function startChildServer(port: number, env: Record<string, string> = {}, nodeFlags: string[] = []): Promise<ChildServer> {
  const child = spawn(process.execPath, [...nodeFlags, "--import", "tsx", "server/main.ts"], {
    cwd: ROOT,
    env: { ...process.env, HOST: "127.0.0.1", PORT: String(port), LOG_LEVEL: "error", LAB_TLS_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`server did not start within 20 s: ${output}`));
    }, 20_000);
    const onOutput = (chunk: Buffer): void => {
      output += chunk.toString();
      if (!output.includes("listening on")) return;
      clearTimeout(timer);
      child.stdout?.off("data", onOutput);
      child.stdout?.resume();
      resolve({
        process: child,
        port,
        url: `http://127.0.0.1:${port}`,
        stop: async () => {
          if (child.exitCode === null) child.kill("SIGTERM");
          await exited;
        },
      });
    };
    child.stdout?.on("data", onOutput);
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${output}`));
    });
  });
}
