import type { ChatMessage, PublishRequest, ResetSignal } from "../../../protocol/types.js";

/**
 * The bare servers' feed: the lab's id and cursor rules (contiguous ids from the start time in
 * microseconds, a ring of history, recent history or a reset for a cursor it cannot honour, pages
 * bounded by count and bytes), and nothing else: no events, no counters, no snapshot of the
 * listeners per publish.
 */

export interface BareEntry {
  message: ChatMessage;
  json: string;
  bytes: number;
}

export interface BarePage {
  entries: BareEntry[];
  reset: ResetSignal | null;
  more: boolean;
  /** Where the next read continues (the lab's `cursor`). */
  cursor: number;
}

/** The lab's defaults: LAB_HISTORY_SIZE, LAB_RECENT_LIMIT, LAB_POLL_PAGE_LIMIT, LAB_PAGE_BYTES. */
export const BARE_LIMITS = { history: 10_000, recent: 50, pageMessages: 1_000, pageBytes: 65_536 } as const;

export class BareFeed {
  private readonly ring: (BareEntry | undefined)[] = new Array<BareEntry | undefined>(BARE_LIMITS.history);
  private readonly listeners = new Set<(entry: BareEntry) => void>();
  private readonly base: number;
  last: number;

  constructor(startId = Date.now() * 1000) {
    this.base = startId;
    this.last = startId;
  }

  get oldestId(): number {
    return Math.max(this.base + 1, this.last - BARE_LIMITS.history + 1);
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  publish(request: PublishRequest): BareEntry {
    const message: ChatMessage = { id: this.last + 1, from: request.from, text: request.text, time: Date.now() };
    if (request.nonce !== undefined) message.nonce = request.nonce;
    const json = JSON.stringify(message);
    const entry: BareEntry = { message, json, bytes: Buffer.byteLength(json) };
    this.ring[message.id % BARE_LIMITS.history] = entry;
    this.last = message.id;
    // Deleting from a Set while iterating it is safe: a long poll answered here unsubscribes itself.
    for (const listener of this.listeners) listener(entry);
    return entry;
  }

  /** One page after `after` (undefined: the recent history), as the lab's poll-body.ts reads it. */
  read(after: number | undefined): BarePage {
    let reset: ResetSignal | null = null;
    const recent = Math.max(this.oldestId, this.last - BARE_LIMITS.recent + 1);
    let from = recent;
    if (after !== undefined && (after < this.oldestId - 1 || after > this.last)) {
      reset = { type: "reset", reason: after > this.last ? "unknown" : "expired", requested: after, cursor: recent - 1, lastId: this.last };
    } else if (after !== undefined) {
      from = after + 1;
    }
    const entries: BareEntry[] = [];
    let bytes = 0;
    let id = from;
    for (const to = Math.min(this.last, from + BARE_LIMITS.pageMessages - 1); id <= to; id++) {
      const entry = this.ring[id % BARE_LIMITS.history];
      if (entry === undefined) break;
      if (entries.length > 0 && bytes + entry.bytes > BARE_LIMITS.pageBytes) break;
      entries.push(entry);
      bytes += entry.bytes;
    }
    const cursor = entries.at(-1)?.message.id ?? (reset !== null ? reset.cursor : (after ?? this.last));
    return { entries, reset, more: id <= this.last, cursor };
  }

  subscribe(listener: (entry: BareEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
