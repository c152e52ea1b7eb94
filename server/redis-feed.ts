import { Redis, type RedisOptions, type Result } from "ioredis";
import type { ChatMessage, PublishRequest, RedisStatus } from "../protocol/types.js";
import { type Feed, type FeedEntry, type FeedListener, FeedUnavailableError, MemoryFeed, type ReadResult } from "./feed.js";

/** The keys of the shared log: the newest id, the id the sequence started after, and the stream of messages. */
export const REDIS_KEYS = { seq: "lab:feed:seq", base: "lab:feed:base", log: "lab:feed:log" } as const;

/**
 * Start the sequence if Redis has none (a new or emptied Redis): at Redis's clock in microseconds,
 * as the in-memory feed starts at its process's, so that an id from a sequence Redis has forgotten
 * is always below the new one and gets an explicit reset. Numbers are formatted with %.0f: Lua's
 * own conversion of a number to a string rounds to 14 digits. `#!lua` (Redis 7): refused as a whole
 * when Redis is out of memory, never stopped half-way.
 */
const START_SEQUENCE = `
local seq = redis.call('GET', KEYS[1])
if not seq then
  local now = redis.call('TIME')
  seq = string.format('%.0f', tonumber(now[1]) * 1000000 + tonumber(now[2]))
  redis.call('SET', KEYS[2], seq)
  redis.call('SET', KEYS[1], seq)
end
`;

/** KEYS: seq, base. Returns {seq, base}. */
const SEQUENCE_SCRIPT = `#!lua
${START_SEQUENCE}
return {seq, redis.call('GET', KEYS[2])}
`;

/**
 * KEYS: seq, base, log; ARGV: the message's JSON after its id (`"from":...}`), the history size.
 * Returns {id, base}. The id is the next one and the message is added under it before the sequence
 * moves: a script that fails stores nothing and leaves no hole, and ids stay contiguous.
 */
const PUBLISH_SCRIPT = `#!lua
${START_SEQUENCE}
local id = string.format('%.0f', tonumber(seq) + 1)
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], id .. '-0', 'm', '{"id":' .. id .. ',' .. ARGV[1])
redis.call('SET', KEYS[1], id)
return {id, redis.call('GET', KEYS[2])}
`;

declare module "ioredis" {
  interface RedisCommander<Context> {
    labFeedSequence(seqKey: string, baseKey: string): Result<[string, string], Context>;
    labFeedPublish(seqKey: string, baseKey: string, logKey: string, tail: string, historySize: number): Result<[string, string], Context>;
  }
}

/** Messages one read of the log brings at most. */
const READ_BATCH = 1_000;
/** A blocking read of the log returns empty after this, and is issued again. */
const READ_BLOCK_MS = 5_000;
/** A command Redis has not answered by then has failed (a publish then gets 503). */
const COMMAND_TIMEOUT_MS = 2_000;
/** How long a request waits for this instance to apply a message another instance already served. */
const CURSOR_WAIT_MS = 2_000;
/** How often the head of the log is read, for the lag. */
const PROBE_MS = 1_000;

export interface RedisFeedOptions {
  url: string;
  /** This instance's name (`LAB_INSTANCE`), in its connections' names (CLIENT LIST); may be empty. */
  instance: string;
  historySize: number;
  recentLimit: number;
}

/**
 * The feed of several instances: its log lives in Redis, and each instance keeps a copy in its own
 * ring, from which every read and delivery is made as in one process.
 *
 * - Publishing runs one script (above) that takes the next id and appends the message to a stream
 *   under that id, trimmed to about the history size: ids are contiguous across instances.
 * - Each instance reads the stream with a blocking XREAD on a connection of its own, from the id
 *   after the newest it holds, and applies what comes strictly in id order. A read that resumes
 *   after a lost connection brings what was published meanwhile (a gap fill). A read that finds
 *   the next id missing (trimmed past it, or Redis lost its data) restarts the ring from the log
 *   and tells `onHistoryLost`, whose connections then reconnect and get an explicit reset.
 * - A publish answers once the script has stored the message and this instance has applied it
 *   (so a publisher's own subscription has it before the answer); Redis unreachable, it rejects
 *   with `FeedUnavailableError` and nothing is stored.
 * - A cursor ahead of this instance (another instance served it first) is waited for in
 *   `caughtUpTo`, not mistaken for an unknown one.
 */
export class RedisFeed implements Feed {
  private readonly ring: MemoryFeed;
  /** Publishes and probes: fails at once while Redis is unreachable. */
  private readonly commands: Redis;
  /** The blocking read of the log, and nothing else. */
  private readonly reader: Redis;
  /** The `base` of the sequence this ring follows. */
  private epoch = 0;
  /** The newest id this instance knows the log holds. */
  private head = 0;
  private readonly counts = { gapFills: 0, gapFilledMessages: 0, discontinuities: 0, publishFailures: 0 };
  /** Publishes and requests waiting for an id to be applied here, resolved in `settleWaiters`. */
  private waiters: { id: number; resolve: (applied: boolean) => void }[] = [];
  private closed = false;
  private loop: Promise<void> = Promise.resolve();
  private probe: NodeJS.Timeout | null = null;
  /** Called when the log no longer holds what this instance's subscribers need (see above). */
  private historyLost: (() => void) | null = null;
  /** The last connection error, for the message when the first connection fails. */
  private lastError: string | null = null;
  /** Ends the follower's wait for a reconnection (see `readerReady`). */
  private wakeReader: (() => void) | null = null;

  private constructor(private readonly options: RedisFeedOptions) {
    this.ring = new MemoryFeed(options.historySize, options.recentLimit, 0);
    const common: RedisOptions = {
      lazyConnect: true,
      // Nothing is queued while Redis is away: a publish must fail now, not be sent later.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // A command whose answer was lost may have run: never sent twice (a publish would be stored twice).
      autoResendUnfulfilledCommands: false,
      retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
    };
    const named = (role: string): string => (options.instance === "" ? role : `${role}:${options.instance}`);
    this.commands = new Redis(options.url, { ...common, commandTimeout: COMMAND_TIMEOUT_MS, connectionName: named("lab-feed") });
    this.reader = new Redis(options.url, { ...common, connectionName: named("lab-feed-reader") });
    for (const connection of [this.commands, this.reader]) {
      connection.defineCommand("labFeedSequence", { numberOfKeys: 2, lua: SEQUENCE_SCRIPT });
      connection.defineCommand("labFeedPublish", { numberOfKeys: 3, lua: PUBLISH_SCRIPT });
      // Connection errors are the status (`connected`), not failures of the process; ioredis reconnects.
      connection.on("error", (error: Error) => (this.lastError = error.message));
    }
  }

  /** Connect, copy the log's history into the ring and start following it; rejects when Redis cannot be reached. */
  static async connect(options: RedisFeedOptions): Promise<RedisFeed> {
    const feed = new RedisFeed(options);
    try {
      await Promise.all([feed.commands.connect(), feed.reader.connect()]);
      await feed.restartFromLog();
    } catch (error) {
      feed.commands.disconnect();
      feed.reader.disconnect();
      // ioredis rejects with "Connection is closed."; the reason came with its error event.
      const reason = feed.lastError ?? (error instanceof Error ? error.message : String(error));
      throw new Error(`cannot use Redis at LAB_REDIS_URL: ${reason}`);
    }
    feed.loop = feed.follow();
    feed.probe = setInterval(() => feed.probeHead(), PROBE_MS).unref();
    return feed;
  }

  get lastId(): number {
    return this.ring.lastId;
  }

  get oldestId(): number {
    return this.ring.oldestId;
  }

  get retained(): number {
    return this.ring.retained;
  }

  get subscriberCount(): number {
    return this.ring.subscriberCount;
  }

  async publish(request: PublishRequest, time = Date.now()): Promise<FeedEntry> {
    // The message's JSON after its id, in the ring's key order: the script puts the id in front.
    const fields: Omit<ChatMessage, "id"> = { from: request.from, text: request.text, time };
    if (request.nonce !== undefined) fields.nonce = request.nonce;
    const tail = JSON.stringify(fields).slice(1);
    if (this.commands.status !== "ready") {
      this.counts.publishFailures++;
      throw new FeedUnavailableError("the feed's store (Redis) is unreachable: the message was not stored");
    }
    let reply: [string, string];
    try {
      reply = await this.commands.labFeedPublish(REDIS_KEYS.seq, REDIS_KEYS.base, REDIS_KEYS.log, tail, this.options.historySize);
    } catch (error) {
      // Not connected, refused or timed out. A timeout or a connection lost after sending may hide a
      // message Redis did store: the publisher hears 503 and may send it again; never a 201 unstored.
      this.counts.publishFailures++;
      throw new FeedUnavailableError(`the feed's store (Redis) did not take the message: ${error instanceof Error ? error.message : String(error)}`);
    }
    const id = Number(reply[0]);
    const message: ChatMessage = { id, ...fields };
    const json = `{"id":${reply[0]},${tail}`;
    const entry: FeedEntry = { message, json, bytes: Buffer.byteLength(json) };
    if (id > this.head) this.head = id;
    if (Number(reply[1]) === this.epoch && id === this.ring.lastId + 1) {
      this.ring.append(entry);
      this.settleWaiters();
    } else if (id > this.ring.lastId) {
      // Others' messages come first: the reader brings them and this one in order. It is stored
      // whatever happens next, so the publisher gets its answer even if that takes too long.
      await this.appliedHere(id, CURSOR_WAIT_MS);
    }
    return entry;
  }

  read(after: number | undefined, limit?: number, maxBytes?: number): ReadResult {
    // In the log but not here yet (a cursor another instance handed out a moment ago, on a route
    // that did not wait in `caughtUpTo`): nothing yet, and no reset; what follows it comes live.
    if (after !== undefined && after > this.ring.lastId && after <= this.head) return { entries: [], reset: null, more: false, cursor: after };
    return this.ring.read(after, limit, maxBytes);
  }

  subscribe(listener: FeedListener): () => void {
    return this.ring.subscribe(listener);
  }

  caughtUpTo(after: number | undefined): Promise<void> | null {
    if (after === undefined || after <= this.ring.lastId) return null;
    return this.waitForCursor(after);
  }

  onHistoryLost(listener: () => void): void {
    this.historyLost = listener;
  }

  redisStatus(): RedisStatus {
    const lastId = this.ring.lastId;
    return {
      connected: this.commands.status === "ready" && this.reader.status === "ready",
      headId: Math.max(this.head, lastId),
      lagMessages: Math.max(0, this.head - lastId),
      ...this.counts,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.probe !== null) clearInterval(this.probe);
    this.settleWaiters(true);
    // Ends the blocking read (or the wait for a reconnection) at once; the loop sees `closed` and returns.
    this.reader.disconnect();
    this.wakeReader?.();
    await this.commands.quit().catch(() => this.commands.disconnect());
    await this.loop;
  }

  /** Follow the log from the newest id held here, for as long as the feed is open. */
  private async follow(): Promise<void> {
    let resumed = false;
    while (!this.closed) {
      try {
        if (resumed) {
          // Back after a lost connection: Redis may have restarted empty and begun a new sequence.
          const [, base] = await this.reader.labFeedSequence(REDIS_KEYS.seq, REDIS_KEYS.base);
          if (Number(base) !== this.epoch) {
            await this.discontinuity();
            resumed = false;
            continue;
          }
        }
        const before = this.ring.lastId;
        const reply = await this.reader.xread("COUNT", READ_BATCH, "BLOCK", READ_BLOCK_MS, "STREAMS", REDIS_KEYS.log, `${before}-0`);
        if (!this.applyFromLog(reply?.[0]?.[1] ?? [])) await this.discontinuity();
        else if (resumed && this.ring.lastId > before) {
          this.counts.gapFills++;
          this.counts.gapFilledMessages += this.ring.lastId - before;
        }
        resumed = false;
      } catch {
        if (this.closed) return;
        resumed = true;
        await this.readerReady();
      }
    }
  }

  /** Apply log entries in id order; false when the next id is missing from them. */
  private applyFromLog(items: [id: string, fields: string[]][]): boolean {
    for (const [streamId, fields] of items) {
      const id = Number(streamId.slice(0, streamId.indexOf("-")));
      if (id <= this.ring.lastId) continue;
      if (id !== this.ring.lastId + 1) return false;
      this.ring.append(entryOf(fields));
      if (id > this.head) this.head = id;
    }
    this.settleWaiters();
    return true;
  }

  /** The log no longer continues this ring: start again from what it holds, and let held connections reconnect. */
  private async discontinuity(): Promise<void> {
    await this.restartFromLog();
    this.counts.discontinuities++;
    this.historyLost?.();
  }

  /** The ring becomes the log's newest `historySize` messages (at start, and after a discontinuity). */
  private async restartFromLog(): Promise<void> {
    const [seq, base] = await this.reader.labFeedSequence(REDIS_KEYS.seq, REDIS_KEYS.base);
    const newest = await this.reader.xrevrange(REDIS_KEYS.log, "+", "-", "COUNT", this.options.historySize);
    const entries = newest.reverse().map(([, fields]) => entryOf(fields));
    const first = entries[0]?.message.id;
    this.epoch = Number(base);
    this.ring.restart(first === undefined ? Number(seq) : first - 1, entries);
    this.head = Math.max(Number(seq), this.ring.lastId);
    this.settleWaiters();
  }

  private async waitForCursor(after: number): Promise<void> {
    if (after > this.head) {
      // Beyond every id this instance has heard of: ask the log for its newest now.
      let seq: string | null;
      try {
        seq = await this.commands.get(REDIS_KEYS.seq);
      } catch (error) {
        throw new FeedUnavailableError(
          `cannot tell whether message ${after} exists: Redis is unreachable (${error instanceof Error ? error.message : String(error)})`,
        );
      }
      if (seq !== null && Number(seq) > this.head) this.head = Number(seq);
      // Not in the log: the read answers it with a reset ("unknown"), as one process would.
      if (after > this.head) return;
    }
    if (!(await this.appliedHere(after, CURSOR_WAIT_MS))) {
      throw new FeedUnavailableError(`this instance has not yet received message ${after} from Redis`);
    }
  }

  /** Resolves true once this instance holds `id`, false after `timeoutMs` or on close. */
  private appliedHere(id: number, timeoutMs: number): Promise<boolean> {
    if (id <= this.ring.lastId) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter.resolve !== settle);
        resolve(false);
      }, timeoutMs);
      const settle = (applied: boolean): void => {
        clearTimeout(timer);
        resolve(applied);
      };
      this.waiters.push({ id, resolve: settle });
    });
  }

  private settleWaiters(all = false): void {
    if (this.waiters.length === 0) return;
    const last = this.ring.lastId;
    const waiting: typeof this.waiters = [];
    for (const waiter of this.waiters) {
      if (waiter.id <= last) waiter.resolve(true);
      else if (all) waiter.resolve(false);
      else waiting.push(waiter);
    }
    this.waiters = waiting;
  }

  /**
   * Resolves once the reader has reconnected, or after a short pause when the error was not a lost
   * connection, or when the feed closes (ioredis does not always say "end" for a connection that
   * was reconnecting when it was told to disconnect).
   */
  private readerReady(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(pause);
        this.reader.off("ready", done);
        this.wakeReader = null;
        resolve();
      };
      const pause = this.reader.status === "ready" ? setTimeout(done, 100) : undefined;
      if (pause === undefined) this.reader.on("ready", done);
      this.wakeReader = done;
    });
  }

  /** The log's newest id, for the lag (the reader brings the messages themselves). */
  private probeHead(): void {
    if (this.commands.status !== "ready") return;
    this.commands.get(REDIS_KEYS.seq).then(
      (seq) => {
        if (seq !== null && Number(seq) > this.head) this.head = Number(seq);
      },
      () => undefined,
    );
  }
}

/** A log entry's fields are `m`, the message's JSON, stored as every transport sends it. */
function entryOf(fields: string[]): FeedEntry {
  const json = fields[1] ?? "";
  return { message: JSON.parse(json) as ChatMessage, json, bytes: Buffer.byteLength(json) };
}
