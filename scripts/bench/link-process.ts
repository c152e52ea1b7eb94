import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { LinkStats } from "../net/link.js";
import type { LinkProfile } from "../net/profiles.js";

const CHILD = fileURLToPath(new URL("./link-child.ts", import.meta.url));

export interface LinkProcess {
  /** The server as the subscribers see it: through the link. */
  url: string;
  stats(): Promise<LinkStats>;
  close(): Promise<void>;
}

/** Starts the link emulator in front of `target` (a plain http:// origin) in a process of its own. */
export async function startLinkProcess(target: string, profile: LinkProfile): Promise<LinkProcess> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", CHILD, new URL(target).host, JSON.stringify(profile)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const killOnExit = (): void => {
    child.kill("SIGKILL");
  };
  process.once("exit", killOnExit);
  child.once("exit", () => process.off("exit", killOnExit));
  const reply = <T>(type: string, timeoutMs: number): Promise<T> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.off("message", on);
        reject(new Error(`the link process did not answer "${type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const on = (message: { type: string }): void => {
        if (message.type !== type) return;
        clearTimeout(timer);
        child.off("message", on);
        resolve(message as T);
      };
      child.on("message", on);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the link process exited (code ${code})`));
      });
    });
  const { url } = await reply<{ url: string }>("listening", 30_000);
  return {
    url,
    stats: async () => {
      const answer = reply<{ stats: LinkStats }>("stats", 5_000);
      child.send({ type: "stats" });
      return (await answer).stats;
    },
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.send({ type: "close" });
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
