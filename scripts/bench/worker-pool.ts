import { Worker } from "node:worker_threads";
import type { ClientCounts, ThreadLoad } from "./results.js";
import type { FromWorker, ToWorker, WorkerFinal, WorkerInit } from "./worker-protocol.js";
import { awaitReplies } from "./worker-replies.js";

const BOOT = new URL("./worker-boot.mjs", import.meta.url);
const ENTRY = new URL("./worker.ts", import.meta.url).href;

/** One transport's subscriber threads, driven in lock-step by the main thread. */
export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly progress: { warmup: number; measured: number }[] = [];
  private readonly readyFlags: boolean[] = [];
  private failure: Error | null = null;

  constructor(shares: number[], base: Omit<WorkerInit, "entry" | "name" | "clients">) {
    let firstIndex = 0;
    shares.forEach((clients, index) => {
      const init: WorkerInit = { ...base, entry: ENTRY, name: `subscribers-${index + 1}`, clients, firstIndex };
      firstIndex += clients;
      const worker = new Worker(BOOT, { workerData: init });
      this.progress.push({ warmup: 0, measured: 0 });
      this.readyFlags.push(false);
      worker.on("message", (message: FromWorker) => {
        if (message.type === "ready") this.readyFlags[index] = true;
        if (message.type === "progress") this.progress[index] = { warmup: message.warmup, measured: message.measured };
        if (message.type === "fatal") this.failure = new Error(message.message);
      });
      worker.on("error", (error) => {
        this.failure = error;
      });
      this.workers.push(worker);
    });
  }

  /** An error a thread reported, to be raised by whoever waits next. */
  get error(): Error | null {
    return this.failure;
  }

  get delivered(): { warmup: number; measured: number } {
    return this.progress.reduce((a, p) => ({ warmup: a.warmup + p.warmup, measured: a.measured + p.measured }), { warmup: 0, measured: 0 });
  }

  /** Threads may be ready before anyone asks, so readiness is latched and polled. */
  async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.readyFlags.every(Boolean)) {
      if (this.failure !== null) throw this.failure;
      if (Date.now() > deadline) throw new Error(`subscribers did not connect within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async windowStart(epochMs: number): Promise<ClientCounts[]> {
    const replies = await this.all("window-started", { type: "window-start", epochMs }, 10_000);
    return replies.map((r) => (r.type === "window-started" ? r.counts : zero()));
  }

  async windowEnd(): Promise<{ counts: ClientCounts[]; loads: ThreadLoad[] }> {
    const replies = await this.all("window-ended", { type: "window-end" }, 10_000);
    const ended = replies.flatMap((r) => (r.type === "window-ended" ? [r] : []));
    return { counts: ended.map((r) => r.counts), loads: ended.map((r) => r.load) };
  }

  async stop(): Promise<WorkerFinal[]> {
    const replies = await this.all("final", { type: "stop" }, 30_000);
    return replies.flatMap((r) => (r.type === "final" ? [r.result] : []));
  }

  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private all(expect: FromWorker["type"], command: ToWorker | undefined, timeoutMs: number): Promise<FromWorker[]> {
    return awaitReplies<FromWorker>(this.workers, () => command, expect, timeoutMs, "subscriber thread");
  }
}

function zero(): ClientCounts {
  return { bytes: { up: 0, down: 0 }, requests: 0, connections: 0, body: 0 };
}

/** Clients spread as evenly as possible over `threads`. */
export function splitClients(clients: number, threads: number): number[] {
  const base = Math.floor(clients / threads);
  return Array.from({ length: threads }, (_, i) => base + (i < clients % threads ? 1 : 0));
}
