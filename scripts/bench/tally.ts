import type { ChatMessage } from "../../protocol/types.js";
import type * as hdr from "hdr-histogram-js";
import { createHistogram, encode, recordMicros } from "./measure/histogram.js";
import { parseNonce } from "./worker-protocol.js";

/** One subscriber's delivery record: which measured messages it saw, in what feed order. */
class SubscriberRecord {
  readonly seen: Uint8Array;
  lastId = 0;
  constructor(size: number) {
    this.seen = new Uint8Array(size);
  }
}

/**
 * Counts deliveries and latency for a thread's subscribers. Loss and duplicates are judged by the
 * publisher's sequence number (in the nonce), order by the feed's ids: the publisher's parallel
 * requests may reach the server in any order, but every subscriber must see the feed's order.
 * Latency runs from the message's scheduled send time, so a stall delays every message behind it.
 */
export class Tally {
  warmup = 0;
  delivered = 0;
  duplicated = 0;
  outOfOrder = 0;
  jsonBytes = 0;
  jsonCount = 0;
  readonly histogram: hdr.Histogram = createHistogram();
  private readonly perSecond = new Map<number, hdr.Histogram>();
  private readonly records: SubscriberRecord[] = [];
  private readonly warmupSeen: Set<number>[] = [];
  private windowStartMs = 0;

  constructor(
    subscribers: number,
    private readonly measuredCount: number,
  ) {
    for (let i = 0; i < subscribers; i++) {
      this.records.push(new SubscriberRecord(measuredCount));
      this.warmupSeen.push(new Set());
    }
  }

  startWindow(epochMs: number): void {
    this.windowStartMs = epochMs;
  }

  record(subscriber: number, message: ChatMessage, receivedMs: number): void {
    const record = this.records[subscriber];
    const nonce = parseNonce(message.nonce);
    if (record === undefined || nonce === null) return;
    const repeat = nonce.tag === "m" ? record.seen[nonce.seq] === 1 : this.warmupSeen[subscriber]?.has(nonce.seq) === true;
    if (repeat) {
      this.duplicated++;
      return;
    }
    if (message.id < record.lastId) this.outOfOrder++;
    record.lastId = Math.max(record.lastId, message.id);
    if (nonce.tag === "w") {
      this.warmupSeen[subscriber]?.add(nonce.seq);
      this.warmup++;
      return;
    }
    if (nonce.seq >= this.measuredCount) return;
    record.seen[nonce.seq] = 1;
    this.delivered++;
    const latencyUs = receivedMs * 1000 - nonce.scheduledUs;
    recordMicros(this.histogram, latencyUs);
    const second = Math.max(0, Math.floor((nonce.scheduledUs / 1000 - this.windowStartMs) / 1000));
    let bucket = this.perSecond.get(second);
    if (bucket === undefined) {
      bucket = createHistogram();
      this.perSecond.set(second, bucket);
    }
    recordMicros(bucket, latencyUs);
    if (subscriber === 0) {
      this.jsonBytes += Buffer.byteLength(JSON.stringify(message));
      this.jsonCount++;
    }
  }

  encodedPerSecond(): [number, string][] {
    return [...this.perSecond].map(([second, histogram]) => [second, encode(histogram)]);
  }

  destroy(): void {
    this.histogram.destroy();
    for (const h of this.perSecond.values()) h.destroy();
  }
}
