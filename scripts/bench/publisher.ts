import { Pool } from "undici";
import type * as hdr from "hdr-histogram-js";
import { createHistogram, recordMicros } from "./measure/histogram.js";
import { SocketCounter } from "./measure/socket-counter.js";
import { epochNow } from "./measure/thread-load.js";
import { scheduledOffsetMs, type Workload } from "./scenarios.js";
import { makeNonce } from "./worker-protocol.js";

/**
 * Open-loop publisher over HTTP POST: each message has a scheduled time and is sent then, whether or
 * not earlier answers came back, so a stalled server cannot slow the schedule down and hide its stall.
 * Its own lateness against the schedule is recorded too, to tell a slow generator from a slow server.
 */
export class Publisher {
  readonly counter = new SocketCounter();
  readonly lag: hdr.Histogram = createHistogram();
  errors = 0;
  errorSamples: string[] = [];
  private readonly pool: Pool;
  private readonly text: string;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(origin: string, private readonly workload: Pick<Workload, "rate" | "burstSize" | "size">) {
    this.pool = new Pool(origin, { connections: 16, connect: this.counter.connector(), keepAliveTimeout: 600_000, keepAliveMaxTimeout: 600_000 });
    this.text = "x".repeat(workload.size);
  }

  /** Publishes `count` messages on schedule from `startMs` (epoch ms); resolves with how many were stored. */
  run(tag: "w" | "m", count: number, startMs: number, onSent?: (sent: number) => void): Promise<number> {
    return new Promise((resolve) => {
      const inflight: Promise<boolean>[] = [];
      let next = 0;
      const tick = (): void => {
        const now = epochNow();
        while (next < count) {
          const due = startMs + scheduledOffsetMs(this.workload, next);
          if (due > now) break;
          inflight.push(this.publish(tag, next, due));
          next++;
        }
        onSent?.(next);
        if (next < count) {
          this.timer = setTimeout(tick, Math.max(0, startMs + scheduledOffsetMs(this.workload, next) - epochNow()));
        } else {
          void Promise.all(inflight).then((results) => resolve(results.filter(Boolean).length));
        }
      };
      tick();
    });
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    if (this.closed) return;
    this.closed = true;
    await this.pool.close();
  }

  private async publish(tag: "w" | "m", seq: number, dueMs: number): Promise<boolean> {
    const sentMs = epochNow();
    recordMicros(this.lag, (sentMs - dueMs) * 1000);
    const body = JSON.stringify({ from: "bench", text: this.text, nonce: makeNonce(tag, seq, Math.round(dueMs * 1000)) });
    this.counter.requests++;
    try {
      const response = await this.pool.request({ method: "POST", path: "/api/messages", headers: { "content-type": "application/json" }, body });
      const text = await response.body.text();
      if (response.statusCode === 201) return true;
      this.fail(`HTTP ${response.statusCode}: ${text.slice(0, 200)}`);
    } catch (error) {
      this.fail(error instanceof Error ? error.message : String(error));
    }
    return false;
  }

  private fail(message: string): void {
    this.errors++;
    if (this.errorSamples.length < 5) this.errorSamples.push(message);
  }
}
