import { Worker } from "node:worker_threads";
import type { ClientCounts, ThreadLoad } from "../results.js";
import type { WindowCounts } from "./tally.js";
import { shareAdded } from "./plan.js";
import type { ErrorTally, FromScaleWorker, ScaleWorkerInit, ToScaleWorker } from "./protocol.js";
import { awaitReplies } from "../worker-replies.js";

const BOOT = new URL("../worker-boot.mjs", import.meta.url);
const ENTRY = new URL("./worker.ts", import.meta.url).href;

export interface WindowEnd {
  counts: WindowCounts[];
  loads: ThreadLoad[];
  errors: ErrorTally;
  sockets: ClientCounts[];
}

/** Sums threads' error tallies, keeping a few samples. */
export function mergeErrors(list: readonly ErrorTally[]): ErrorTally {
  const out: ErrorTally = { count: 0, codes: {}, samples: [] };
  for (const e of list) {
    out.count += e.count;
    for (const [code, n] of Object.entries(e.codes)) out.codes[code] = (out.codes[code] ?? 0) + n;
    for (const s of e.samples) if (out.samples.length < 5) out.samples.push(s);
  }
  return out;
}

/** The ramp's subscriber threads, driven by the main thread; each holds its share of the clients. */
export class ScaleGenerator {
  private readonly workers: Worker[] = [];
  private readonly held: number[] = [];
  private readonly progress: { connected: number; warmup: number; delivered: number }[] = [];
  private failure: Error | null = null;

  constructor(addresses: string[][], base: Omit<ScaleWorkerInit, "entry" | "name" | "addresses">) {
    addresses.forEach((list, index) => {
      const init: ScaleWorkerInit = { ...base, entry: ENTRY, name: `subscribers-${index + 1}`, addresses: list };
      const worker = new Worker(BOOT, { workerData: init });
      this.held.push(0);
      this.progress.push({ connected: 0, warmup: 0, delivered: 0 });
      worker.on("message", (message: FromScaleWorker) => {
        if (message.type === "progress") this.progress[index] = { connected: message.connected, warmup: message.warmup, delivered: message.delivered };
        if (message.type === "fatal") this.failure = new Error(message.message);
      });
      worker.on("error", (error) => {
        this.failure = error;
      });
      this.workers.push(worker);
    });
  }

  get error(): Error | null {
    return this.failure;
  }

  get threads(): number {
    return this.workers.length;
  }

  /** Live sums of the threads' last progress reports. */
  get live(): { connected: number; warmup: number; delivered: number } {
    return this.progress.reduce((a, p) => ({ connected: a.connected + p.connected, warmup: a.warmup + p.warmup, delivered: a.delivered + p.delivered }), {
      connected: 0,
      warmup: 0,
      delivered: 0,
    });
  }

  /** Adds subscribers up to `target` in all; resolves with how many are connected and the failed attempts. */
  async grow(target: number, after: number, deadlineMs: number): Promise<{ connected: number; errors: ErrorTally }> {
    const adds = shareAdded(this.held, target);
    adds.forEach((n, i) => {
      this.held[i] = (this.held[i] ?? 0) + n;
    });
    const replies = await this.all((i) => ({ type: "add", count: adds[i] ?? 0, after, deadlineMs }), "added", Math.max(0, deadlineMs - Date.now()) + 30_000);
    const added = replies.flatMap((r) => (r.type === "added" ? [r] : []));
    return { connected: added.reduce((n, r) => n + r.connected, 0), errors: mergeErrors(added.map((r) => r.errors)) };
  }

  async windowStart(startMs: number, count: number): Promise<void> {
    await this.all(() => ({ type: "window-start", startMs, count }), "window-started", 10_000);
  }

  async windowEnd(): Promise<WindowEnd> {
    const replies = (await this.all(() => ({ type: "window-end" }), "window-ended", 10_000)).flatMap((r) => (r.type === "window-ended" ? [r] : []));
    return {
      counts: replies.map((r) => r.counts),
      loads: replies.map((r) => r.load),
      errors: mergeErrors(replies.map((r) => r.errors)),
      sockets: replies.map((r) => r.sockets),
    };
  }

  /** Closes every subscriber; the threads then exit. */
  async stop(): Promise<void> {
    try {
      await this.all(() => ({ type: "stop" }), "stopped", 60_000);
    } finally {
      await Promise.all(this.workers.map((w) => w.terminate()));
    }
  }

  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private all(command: (index: number) => ToScaleWorker, expect: FromScaleWorker["type"], timeoutMs: number): Promise<FromScaleWorker[]> {
    return awaitReplies<FromScaleWorker>(this.workers, command, expect, timeoutMs, "scale subscriber thread");
  }
}
