import type * as hdr from "hdr-histogram-js";
import { createHistogram, recordMicros } from "./measure/histogram.js";
import { epochNow } from "./measure/thread-load.js";
import { scheduledOffsetMs, type Workload } from "./scenarios.js";
import type { PublishChannel } from "./publish-channel.js";
import { makeNonce } from "./worker-protocol.js";
import { chatText } from "./chat-text.js";

/**
 * Open-loop publisher: each message has a scheduled time and is sent then, whether or
 * not earlier answers came back, so a stalled server cannot slow the schedule down and hide its stall.
 * Its own lateness against the schedule is recorded too, to tell a slow generator from a slow server.
 */
export class Publisher {
  readonly lag: hdr.Histogram = createHistogram();
  errors = 0;
  errorSamples: string[] = [];
  private readonly text: string;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly channel: PublishChannel,
    private readonly workload: Pick<Workload, "rate" | "burstSize" | "size">,
    /** Chat-like words (chat-text.ts) instead of one repeated character: for compression runs. */
    private readonly varied = false,
  ) {
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
    await this.channel.close();
  }

  private async publish(tag: "w" | "m", seq: number, dueMs: number): Promise<boolean> {
    const sentMs = epochNow();
    recordMicros(this.lag, (sentMs - dueMs) * 1000);
    const result = await this.channel.send({
      from: "bench",
      text: this.varied ? chatText(seq, this.workload.size) : this.text,
      nonce: makeNonce(tag, seq, Math.round(dueMs * 1000)),
    });
    if (result === true) return true;
    this.errors++;
    if (this.errorSamples.length < 5) this.errorSamples.push(result);
    return false;
  }
}
