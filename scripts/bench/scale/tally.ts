import type * as hdr from "hdr-histogram-js";
import type { ChatMessage } from "../../../protocol/types.js";
import { createHistogram, encode, recordMicros } from "../measure/histogram.js";
import { parseNonce } from "../worker-protocol.js";

export interface WindowCounts {
  delivered: number;
  duplicated: number;
  outOfOrder: number;
  /** Measured messages of an earlier window that arrived during this one (late beyond its drain). */
  stale: number;
  histogram: string;
}

/**
 * A thread's deliveries during a ramp whose subscribers grow step by step. Each latency window
 * starts at a known time with a known number of messages: the publisher numbers a window's
 * messages from 0, so a message belongs to this window only if it was scheduled after the window
 * started (an earlier window's straggler is counted as stale, never as this window's). Order is
 * judged by the feed's ids over the whole ramp, latency from each message's scheduled time.
 */
export class ScaleTally {
  warmup = 0;
  private readonly lastId: number[] = [];
  private seen = new Uint8Array(0);
  private count = 0;
  private startUs = Number.POSITIVE_INFINITY;
  private histogram: hdr.Histogram = createHistogram();
  private counts = { delivered: 0, duplicated: 0, outOfOrder: 0, stale: 0 };

  get subscribers(): number {
    return this.lastId.length;
  }

  get delivered(): number {
    return this.counts.delivered;
  }

  /** A new subscriber's index. */
  add(): number {
    this.lastId.push(0);
    return this.lastId.length - 1;
  }

  /** Opens a window of `count` messages scheduled from `startMs` (epoch ms) on; the previous one is discarded. */
  startWindow(startMs: number, count: number): void {
    this.histogram.destroy();
    this.histogram = createHistogram();
    this.seen = new Uint8Array(this.lastId.length * count);
    this.count = count;
    this.startUs = startMs * 1000;
    this.counts = { delivered: 0, duplicated: 0, outOfOrder: 0, stale: 0 };
    this.warmup = 0;
  }

  record(subscriber: number, message: ChatMessage, receivedMs: number): void {
    const last = this.lastId[subscriber];
    const nonce = parseNonce(message.nonce);
    if (last === undefined || nonce === null) return;
    // 1 ms of slack: the window's first message is scheduled at its very start.
    const measured = nonce.tag === "m" && nonce.scheduledUs >= this.startUs - 1_000 && nonce.seq < this.count;
    const slot = subscriber * this.count + nonce.seq;
    if (measured && this.seen[slot] === 1) {
      this.counts.duplicated++;
      return;
    }
    if (message.id < last) this.counts.outOfOrder++;
    else this.lastId[subscriber] = message.id;
    if (nonce.tag === "w") this.warmup++;
    else if (!measured) this.counts.stale++;
    // A subscriber added after the window opened has no slot: it is not expected to deliver.
    else if (slot < this.seen.length) {
      this.seen[slot] = 1;
      this.counts.delivered++;
      recordMicros(this.histogram, receivedMs * 1000 - nonce.scheduledUs);
    }
  }

  window(): WindowCounts {
    return { ...this.counts, histogram: encode(this.histogram) };
  }

  destroy(): void {
    this.histogram.destroy();
  }
}
