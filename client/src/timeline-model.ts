import type { ClientEvent, FrameKind } from "../../protocol/client-events.js";
import type { HttpVersion, Metered } from "../../protocol/types.js";

/** Rows kept: a minute of 10 polls a second, and then some. */
export const MAX_ROWS = 800;
/** Ticks kept per row: older ones are folded into the row's counts only. */
export const MAX_TICKS = 600;

export interface Tick {
  t: number;
  dir: "out" | "in";
  kinds: FrameKind[];
  messages: number;
  bytes: number;
}

/** One request or held connection, as the server saw it. */
export interface TimelineRow {
  key: string;
  transport: Metered;
  method: string;
  url: string;
  httpVersion: HttpVersion;
  tls: boolean;
  upgrade: boolean;
  newConnection: boolean;
  start: number;
  /** When the response head (or the 101) was written: start to here is the wait. */
  responded?: number;
  status?: number;
  end?: number;
  /** The meter's totals: so far while open, final once ended. */
  bytesIn: number;
  bytesOut: number;
  ticks: Tick[];
  /** Frames per kind, every tick counted (also those no longer kept). */
  kindCounts: Partial<Record<FrameKind, number>>;
  frames: number;
  messages: number;
  /** Bumped on every change, so a renderer can skip rows that did not change. */
  version: number;
}

/**
 * The network timeline's state, from the server's event feed: pure (no DOM), bounded (MAX_ROWS rows,
 * MAX_TICKS ticks each), fed batch by batch.
 */
export class TimelineModel {
  readonly rows = new Map<string, TimelineRow>();
  /** Bumped on every change: the view re-renders only when it moved. */
  version = 0;

  apply(events: readonly ClientEvent[], epoch: number): void {
    for (const event of events) this.applyOne(event, `${epoch}:${event.rid}`);
    this.version++;
  }

  clear(): void {
    this.rows.clear();
    this.version++;
  }

  private applyOne(event: ClientEvent, key: string): void {
    if (event.type === "request") {
      this.rows.set(key, {
        key,
        transport: event.transport,
        method: event.method,
        url: event.url,
        httpVersion: event.version,
        tls: event.tls,
        upgrade: event.upgrade,
        newConnection: event.newConnection,
        start: event.t,
        bytesIn: 0,
        bytesOut: 0,
        ticks: [],
        kindCounts: {},
        frames: 0,
        messages: 0,
        version: 0,
      });
      this.trim();
      return;
    }
    const row = this.rows.get(key);
    if (row === undefined) return;
    row.version++;
    if (event.type === "response") {
      row.responded = event.t;
      row.status = event.status;
      row.bytesIn = Math.max(row.bytesIn, event.totalIn);
    } else if (event.type === "frame") {
      row.ticks.push({ t: event.t, dir: event.dir, kinds: event.kinds, messages: event.messages, bytes: event.bytes });
      if (row.ticks.length > MAX_TICKS) row.ticks.splice(0, row.ticks.length - MAX_TICKS);
      row.frames++;
      row.messages += event.messages;
      for (const kind of event.kinds) row.kindCounts[kind] = (row.kindCounts[kind] ?? 0) + 1;
      row.bytesIn = Math.max(row.bytesIn, event.totalIn);
      row.bytesOut = Math.max(row.bytesOut, event.totalOut);
    } else {
      row.end = event.t;
      row.status ??= event.status;
      row.bytesIn = event.bytesIn;
      row.bytesOut = event.bytesOut;
    }
  }

  /** The oldest rows go first, ended ones before any still open. */
  private trim(): void {
    if (this.rows.size <= MAX_ROWS) return;
    for (const [key, row] of this.rows) {
      if (this.rows.size <= MAX_ROWS) return;
      if (row.end !== undefined) this.rows.delete(key);
    }
    for (const key of this.rows.keys()) {
      if (this.rows.size <= MAX_ROWS) return;
      this.rows.delete(key);
    }
  }
}

/** "3 messages, 1 heartbeat" for a row's frames, every kind with its count, messages first. */
export function describeKinds(counts: Partial<Record<FrameKind, number>>): string {
  return Object.entries(counts)
    .sort(([a], [b]) => (a === "message" ? -1 : b === "message" ? 1 : 0))
    .map(([kind, count]) => `${count} ${kind}${count === 1 ? "" : "s"}`)
    .join(", ");
}

export interface LaneTick {
  /** When: the first tick it merges (server clock, ms). */
  t: number;
  dir: "out" | "in";
  kind: FrameKind;
  bytes: number;
  count: number;
  title: string;
}

/**
 * A row's ticks inside the window [from, to], those within one bucket (1/`buckets` of the lane)
 * coalesced into one mark that sums their bytes: at most `buckets` marks a direction, whatever the
 * rate. The mark takes the most telling kind of its ticks (a reset over a message over a heartbeat).
 */
export function laneTicks(ticks: readonly Tick[], from: number, to: number, buckets: number): LaneTick[] {
  const span = Math.max(1, to - from);
  const marks = new Map<string, LaneTick>();
  for (const tick of ticks) {
    if (tick.t < from || tick.t > to) continue;
    const bucket = Math.min(buckets - 1, Math.floor(((tick.t - from) / span) * buckets));
    const id = `${tick.dir}${bucket}`;
    const kind = mainKind(tick.kinds);
    const mark = marks.get(id);
    if (mark === undefined) {
      marks.set(id, { t: tick.t, dir: tick.dir, kind, bytes: tick.bytes, count: 1, title: "" });
    } else {
      mark.bytes += tick.bytes;
      mark.count++;
      if (KIND_RANK.indexOf(kind) < KIND_RANK.indexOf(mark.kind)) mark.kind = kind;
    }
  }
  for (const mark of marks.values()) {
    mark.title =
      mark.count === 1
        ? `${mark.dir === "in" ? "from the client" : "to the client"}: ${mark.kind}, ${mark.bytes} B`
        : `${mark.count} frames ${mark.dir === "in" ? "from" : "to"} the client, ${mark.bytes} B`;
  }
  return [...marks.values()];
}

const KIND_RANK: FrameKind[] = [
  "reset",
  "error",
  "close",
  "message",
  "send",
  "ack",
  "receipt",
  "ping",
  "pong",
  "heartbeat",
  "retry",
  "connected",
  "open",
  "data",
];

export function mainKind(kinds: readonly FrameKind[]): FrameKind {
  let best: FrameKind = kinds[0] ?? "data";
  for (const kind of kinds) if (KIND_RANK.indexOf(kind) < KIND_RANK.indexOf(best)) best = kind;
  return best;
}
