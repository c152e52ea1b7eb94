import { EventEmitter } from "node:events";
import type { ChatMessage, PublishRequest, ResetSignal } from "../protocol/types.js";

/** A stored message with its JSON, serialized once and shared by every transport and subscriber. */
export interface FeedEntry {
  readonly message: ChatMessage;
  readonly json: string;
}

export interface ReadResult {
  entries: FeedEntry[];
  /** Set when the cursor could not be honoured; `entries` then starts after `reset.cursor`. */
  reset: ResetSignal | null;
  /** True when `limit` cut the answer short. */
  more: boolean;
}

export type FeedListener = (entry: FeedEntry) => void;

/**
 * The only owner of messages: ids, the bounded history and the cursor rules. It knows nothing of
 * HTTP; transports read from a cursor and subscribe to what comes next.
 *
 * Ids are contiguous and start from this process's start time in microseconds, so a cursor handed
 * out by an earlier server process is always either older than this history or newer than anything
 * here, and gets an explicit reset rather than a silent skip into unrelated messages.
 */
export class Feed {
  private readonly ring: (FeedEntry | undefined)[];
  private readonly listeners = new Set<FeedListener>();
  private readonly events = new EventEmitter();
  /** Id of the newest message; `base` while empty. */
  private last: number;
  private readonly base: number;

  constructor(
    private readonly historySize: number,
    private readonly recentLimit: number,
    startId = Date.now() * 1000,
  ) {
    this.ring = new Array<FeedEntry | undefined>(historySize);
    this.base = startId;
    this.last = startId;
  }

  get lastId(): number {
    return this.last;
  }

  /** Id of the oldest retained message (lastId + 1 while empty). */
  get oldestId(): number {
    return Math.max(this.base + 1, this.last - this.historySize + 1);
  }

  get retained(): number {
    return this.last - this.oldestId + 1;
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  publish(request: PublishRequest, time = Date.now()): FeedEntry {
    const message: ChatMessage = { id: this.last + 1, from: request.from, text: request.text, time };
    if (request.nonce !== undefined) message.nonce = request.nonce;
    const entry: FeedEntry = { message, json: JSON.stringify(message) };
    this.ring[message.id % this.historySize] = entry;
    this.last = message.id;
    // Listeners may unsubscribe (and others subscribe) while being called: iterate a snapshot.
    for (const listener of [...this.listeners]) listener(entry);
    return entry;
  }

  /**
   * Messages after `after`, oldest first, at most `limit`. Without a cursor: the recent history.
   * A cursor before the retained history or after the newest id gets `reset` and the recent history.
   */
  read(after: number | undefined, limit = Number.POSITIVE_INFINITY): ReadResult {
    let reset: ResetSignal | null = null;
    let from: number;
    if (after === undefined) {
      from = this.recentStart();
    } else if (after < this.oldestId - 1 || after > this.last) {
      from = this.recentStart();
      reset = {
        type: "reset",
        reason: after > this.last ? "unknown" : "expired",
        requested: after,
        cursor: from - 1,
        lastId: this.last,
      };
    } else {
      from = after + 1;
    }
    const to = Math.min(this.last, from + limit - 1);
    const entries: FeedEntry[] = [];
    for (let id = from; id <= to; id++) entries.push(this.entryAt(id));
    return { entries, reset, more: to < this.last };
  }

  /** Calls `listener` for every message published from now on, until the returned function is called. */
  subscribe(listener: FeedListener): () => void {
    this.listeners.add(listener);
    this.events.emit("subscribers", this.listeners.size);
    return () => {
      if (this.listeners.delete(listener)) this.events.emit("subscribers", this.listeners.size);
    };
  }

  /** Observe the subscriber count (tests wait for it to return to zero). */
  onSubscriberCount(handler: (count: number) => void): () => void {
    this.events.on("subscribers", handler);
    return () => this.events.off("subscribers", handler);
  }

  private recentStart(): number {
    return Math.max(this.oldestId, this.last - this.recentLimit + 1);
  }

  private entryAt(id: number): FeedEntry {
    const entry = this.ring[id % this.historySize];
    if (entry === undefined || entry.message.id !== id) throw new Error(`feed invariant broken: no entry for id ${id}`);
    return entry;
  }
}
