import type { ChatMessage, PublishRequest, RedisStatus, ResetSignal } from "../protocol/types.js";

/** A stored message with its JSON, serialized once and shared by every transport and subscriber. */
export interface FeedEntry {
  readonly message: ChatMessage;
  readonly json: string;
  /** UTF-8 length of `json`: what one copy of this message costs in a page or a buffer. */
  readonly bytes: number;
}

export interface ReadResult {
  entries: FeedEntry[];
  /** Set when the cursor could not be honoured; `entries` then starts after `reset.cursor`. */
  reset: ResetSignal | null;
  /** True when `limit` or `maxBytes` cut the answer short. */
  more: boolean;
  /**
   * Where the next read continues: the last message returned, else where the reset put the reader,
   * else where it asked to start (the newest id when it gave no cursor).
   */
  cursor: number;
}

export type FeedListener = (entry: FeedEntry) => void;

/**
 * The only owner of messages: ids, the bounded history and the cursor rules. It knows nothing of
 * HTTP; transports read from a cursor and subscribe to what comes next, and never know which
 * implementation they talk to: the in-memory ring below (the default) or the Redis log that several
 * instances share (redis-feed.ts), which keeps one of these rings as its local copy.
 *
 * Reads and subscriptions are synchronous in both: a message is delivered from memory, never
 * fetched per subscriber. Only publishing may wait, for the shared log to store the message.
 */
export interface Feed {
  /** Id of the newest message this instance holds. */
  readonly lastId: number;
  /** Id of the oldest retained message (lastId + 1 while empty). */
  readonly oldestId: number;
  readonly retained: number;
  readonly subscriberCount: number;
  /**
   * Store a message and deliver it to every subscriber. The ring does it at once and returns the
   * entry; a shared log returns a promise settled once the log has stored it (rejected with
   * `FeedUnavailableError` when it could not: nothing was acknowledged).
   */
  publish(request: PublishRequest, time?: number): FeedEntry | Promise<FeedEntry>;
  read(after: number | undefined, limit?: number, maxBytes?: number): ReadResult;
  subscribe(listener: FeedListener): () => void;
  /**
   * Null when a read after `after` can be answered now; else a promise that settles once this
   * instance holds `after` or knows it does not exist (rejected with `FeedUnavailableError` when it
   * cannot tell). Only a shared log, whose instances each apply the log a little apart, ever waits.
   */
  caughtUpTo(after: number | undefined): Promise<void> | null;
  /** The shared log's connection and lag, or null for the in-memory ring. */
  redisStatus(): RedisStatus | null;
  /**
   * `listener` is called when the history restarted without messages subscribers may not have had
   * (a shared log trimmed past this instance, or one that lost its data): held connections should
   * then be dropped, so that their clients reconnect with their cursors and get an explicit reset.
   */
  onHistoryLost(listener: () => void): void;
  close(): Promise<void>;
}

/** The feed's store cannot take a message now (Redis unreachable): nothing was stored; retry later. */
export class FeedUnavailableError extends Error {
  override name = "FeedUnavailableError";
}

/**
 * The in-memory ring: ids, the bounded history and the cursor rules, in one process.
 *
 * Ids are contiguous and start from this process's start time in microseconds, so a cursor handed
 * out by an earlier server process is always either older than this history or newer than anything
 * here, and gets an explicit reset rather than a silent skip into unrelated messages.
 */
export class MemoryFeed implements Feed {
  private readonly ring: (FeedEntry | undefined)[];
  private readonly listeners = new Set<FeedListener>();
  /** Id of the newest message; `base` while empty. */
  private last: number;
  private base: number;

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
    const json = JSON.stringify(message);
    const entry: FeedEntry = { message, json, bytes: Buffer.byteLength(json) };
    this.append(entry);
    return entry;
  }

  /** Store a message whose id was given elsewhere (the shared log): it must be the next one. */
  append(entry: FeedEntry): void {
    if (entry.message.id !== this.last + 1) throw new Error(`feed invariant broken: appending id ${entry.message.id} after ${this.last}`);
    this.ring[entry.message.id % this.historySize] = entry;
    this.last = entry.message.id;
    // No copy of the set per message: a listener that unsubscribes while being called is simply not
    // visited again, and one added meanwhile (none is, in practice) would see a message it can
    // also have read from the history, which the delivery core skips by its cursor.
    for (const listener of this.listeners) listener(entry);
  }

  /**
   * Forget the history and hold `entries` instead, contiguous ids after `startId`, without calling
   * any listener: the shared log's copy when this instance starts, or after the log lost what this
   * ring held (every cursor before `startId` then gets an explicit reset).
   */
  restart(startId: number, entries: readonly FeedEntry[] = []): void {
    this.base = startId;
    this.last = startId;
    for (const entry of entries) {
      if (entry.message.id !== this.last + 1) throw new Error(`feed invariant broken: restarting with id ${entry.message.id} after ${this.last}`);
      this.ring[entry.message.id % this.historySize] = entry;
      this.last = entry.message.id;
    }
  }

  /**
   * Messages after `after`, oldest first, at most `limit` of them and at most `maxBytes` of their
   * JSON (but always one, however large). Without a cursor: the recent history. A cursor before the
   * retained history or after the newest id gets `reset` and the recent history.
   *
   * The byte budget is what keeps one cheap request from making the server build a huge answer: a
   * thousand messages of control characters escape to 12 MB of JSON.
   */
  read(after: number | undefined, limit = Number.POSITIVE_INFINITY, maxBytes = Number.POSITIVE_INFINITY): ReadResult {
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
    let bytes = 0;
    let id = from;
    for (; id <= to; id++) {
      const entry = this.entryAt(id);
      if (entries.length > 0 && bytes + entry.bytes > maxBytes) break;
      entries.push(entry);
      bytes += entry.bytes;
    }
    const cursor = entries.at(-1)?.message.id ?? (reset === null ? (after ?? this.last) : reset.cursor);
    return { entries, reset, more: id <= this.last, cursor };
  }

  /** Calls `listener` for every message published from now on, until the returned function is called. */
  subscribe(listener: FeedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  caughtUpTo(): null {
    return null;
  }

  redisStatus(): null {
    return null;
  }

  /** Never: the ring is the whole history of this process. */
  onHistoryLost(): void {}

  async close(): Promise<void> {}

  private recentStart(): number {
    return Math.max(this.oldestId, this.last - this.recentLimit + 1);
  }

  private entryAt(id: number): FeedEntry {
    const entry = this.ring[id % this.historySize];
    if (entry === undefined || entry.message.id !== id) throw new Error(`feed invariant broken: no entry for id ${id}`);
    return entry;
  }
}
