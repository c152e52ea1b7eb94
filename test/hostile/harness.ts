import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync } from "node:fs";
import net from "node:net";
import { fileURLToPath } from "node:url";
import type { HealthResponse } from "../../server/metering/health.js";
import { freePort } from "../helpers/child-server.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MiB = 1024 * 1024;

/**
 * The server under attack: `server/main.ts` in a process of its own, with the defaults a user gets
 * (only what a case names is changed), its every log line kept, and its file descriptors and
 * memory read from outside.
 */
export class Target {
  private log = "";
  private constructor(
    readonly process: ChildProcess,
    readonly port: number,
  ) {
    const keep = (chunk: Buffer): void => {
      this.log += chunk.toString();
    };
    process.stdout?.on("data", keep);
    process.stderr?.on("data", keep);
  }

  static async start(env: Record<string, string> = {}): Promise<Target> {
    const port = await freePort();
    const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", "server/main.ts"], {
      cwd: ROOT,
      // `info` so that anything a client can make the server say is visible to `errorLines`.
      env: { ...process.env, HOST: "127.0.0.1", PORT: String(port), LOG_LEVEL: "info", LAB_TLS_PORT: "0", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const target = new Target(child, port);
    const deadline = Date.now() + 20_000;
    while (!target.log.includes("listening on")) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`server did not start: ${target.log}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return target;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Log lines at error level or above (pino's 50, 60), and anything printed that is not a log line. */
  errorLines(): string[] {
    return this.log.split("\n").filter((line) => {
      if (line.trim() === "" || /^transport lab listening on |^SIG(INT|TERM): closing/.test(line)) return false;
      try {
        return ((JSON.parse(line) as { level?: number }).level ?? 60) >= 50;
      } catch {
        return true;
      }
    });
  }

  /** Open file descriptors of the server process (sockets included). */
  fds(): number {
    return readdirSync(`/proc/${this.process.pid}/fd`).length;
  }

  /** `gc`: collect garbage first; `reset`: start the event-loop delay histogram again after this answer. */
  async health(options: { gc?: boolean; reset?: boolean } = {}): Promise<HealthResponse> {
    const query = [options.gc === true ? "gc=1" : "", options.reset === true ? "reset=1" : ""].filter((part) => part !== "").join("&");
    const response = await fetch(`${this.url}/api/health${query === "" ? "" : `?${query}`}`);
    return (await response.json()) as HealthResponse;
  }

  async stop(): Promise<void> {
    if (this.process.exitCode !== null) return;
    const exited = new Promise((resolve) => this.process.once("exit", resolve));
    this.process.kill("SIGTERM");
    await exited;
  }
}

/**
 * Asks `/api/health` over and over on a connection of its own while an attack runs, and keeps each
 * answer's round trip: the operator's view of whether the server still answers.
 */
export class HealthWatch {
  readonly roundTripsMs: number[] = [];
  peakRssBytes = 0;
  private running = true;
  private readonly done: Promise<void>;

  constructor(
    private readonly target: Target,
    everyMs = 100,
  ) {
    this.done = (async () => {
      // The server's own event-loop delay histogram starts again here, so `stop` reports this window.
      await target.health({ reset: true });
      while (this.running) {
        const started = performance.now();
        const health = await target.health();
        this.roundTripsMs.push(performance.now() - started);
        this.peakRssBytes = Math.max(this.peakRssBytes, health.rssBytes);
        await new Promise((resolve) => setTimeout(resolve, everyMs));
      }
    })();
  }

  /**
   * Round trips as this process saw them (they include this process's own delays: it runs the
   * attacking clients too), and the server's event-loop delay over the window, measured inside it.
   */
  async stop(): Promise<{ maxMs: number; medianMs: number; samples: number; peakRssMiB: number; serverLoopDelayMaxMs: number; serverLoopDelayP99Ms: number }> {
    this.running = false;
    await this.done;
    const last = await this.target.health();
    const sorted = [...this.roundTripsMs].sort((a, b) => a - b);
    return {
      maxMs: sorted.at(-1) ?? Number.NaN,
      medianMs: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN,
      samples: sorted.length,
      peakRssMiB: Math.max(this.peakRssBytes, last.rssBytes) / MiB,
      serverLoopDelayMaxMs: last.eventLoopDelayMs.max,
      serverLoopDelayP99Ms: last.eventLoopDelayMs.p99,
    };
  }
}

/** A raw connection that sends what it is told and, unless asked, never reads a byte. */
export class RawClient {
  readonly socket: net.Socket;
  readonly connected: Promise<void>;
  readonly closed: Promise<void>;
  received = "";

  constructor(port: number, options: { read?: boolean; localAddress?: string } = {}) {
    this.socket = net.connect({ port, host: "127.0.0.1", localAddress: options.localAddress });
    this.socket.on("error", () => undefined);
    this.connected = new Promise((resolve) => this.socket.once("connect", () => resolve()));
    this.closed = new Promise((resolve) => this.socket.once("close", () => resolve()));
    if (options.read === true) this.socket.on("data", (chunk: Buffer) => (this.received += chunk.toString("latin1")));
    else this.socket.pause();
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** A clean close: FIN, as a well-behaved client leaves. */
  end(): void {
    this.socket.end();
  }

  /** An abrupt close: RST. */
  reset(): void {
    this.socket.resetAndDestroy();
  }
}

export function request(method: string, path: string, headers: Record<string, string> = {}, body = ""): string {
  const lines = [`${method} ${path} HTTP/1.1`, "Host: 127.0.0.1", ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
  if (body !== "") lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join("\r\n")}\r\n\r\n${body}`;
}

/** Publish `count` messages of `text` (within the default publish budget), returning the first id. */
export async function fillFeed(url: string, count: number, text: string): Promise<number> {
  let first = 0;
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${url}/api/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ from: "filler", text }),
    });
    if (response.status !== 201) throw new Error(`publish ${i} got ${response.status}: ${await response.text()}`);
    const { id } = (await response.json()) as { id: number };
    if (i === 0) first = id;
  }
  return first;
}

/** Resolve once `check()` holds (async checks allowed), polling; reject after `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The text that escapes worst in JSON: every character a 6-byte `\u00XX`. */
export const WORST_TEXT = "\u0001".repeat(2_000);
export { MiB };
