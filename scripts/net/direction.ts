import type { Socket } from "node:net";
import { releaseAt, segmentBytes, type DirectionRate } from "./schedule.js";

/** Totals one direction adds to, shared by every connection of a link so closed connections still count. */
export interface DirectionTotals {
  /** Bytes the proxy read from this direction's sender. */
  bytesIn: number;
  /** Bytes the proxy has delivered to this direction's receiver. */
  bytesOut: number;
  /** The most one connection's queue in this direction has held at once. */
  peakQueuedBytes: number;
}

type Entry = { arrivalMs: number; chunk: Buffer; offset: number } | { arrivalMs: number; chunk: null };

/**
 * One direction of one proxied connection: a FIFO of (arrival time, bytes), drained by a single
 * timer that re-arms for the head's release time (schedule.ts says when that is). Everything due
 * when the timer fires leaves in that turn, so a late timer does not slow the link, and there is
 * never more than one timer per direction, however many chunks wait.
 *
 * Memory stays bounded from both ends: when the queue holds more than `queueLimitBytes` the sender's
 * socket is paused (its kernel buffers fill and TCP flow control pushes back on the sender) and
 * resumed as soon as the queue is back under the limit (at 1 Gbit/s half the limit is one
 * millisecond of data, which a timer's granularity can drain dry: the link would idle), and
 * when the receiver's socket will not take more (write() returned false: it stopped reading) the
 * queue stops draining until 'drain'; the link then restarts at its own rate from that moment, as
 * a TCP sender does when a closed window opens, rather than bursting the backlog at once.
 */
export class LinkDirection {
  private readonly queue: Entry[] = [];
  private readonly segment: number;
  private previousReleaseMs: number;
  /** The head segment's release time, computed once when it becomes the head. */
  private headReleaseMs: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private destination: Socket | undefined;
  private waitingForDrain = false;
  private stopped = false;
  private queued = 0;
  private paused = false;

  constructor(
    private readonly source: Socket,
    private readonly rate: DirectionRate,
    private readonly queueLimitBytes: number,
    /** The earliest a byte may be delivered (the handshake's cost, for the up direction). */
    notBeforeMs: number,
    private readonly totals: DirectionTotals,
    private readonly now: () => number,
  ) {
    this.segment = segmentBytes(rate.bitsPerSecond);
    this.previousReleaseMs = notBeforeMs;
  }

  get queuedBytes(): number {
    return this.queued;
  }

  get sourcePaused(): boolean {
    return this.paused;
  }

  /** The receiving socket, once it is connected: nothing is delivered before. */
  attach(destination: Socket): void {
    this.destination = destination;
    destination.on("drain", () => {
      if (!this.waitingForDrain) return;
      this.waitingForDrain = false;
      this.previousReleaseMs = Math.max(this.previousReleaseMs, this.now());
      this.pump();
    });
    this.pump();
  }

  /** Bytes read from the sender. */
  receive(chunk: Buffer): void {
    if (this.stopped) return;
    this.totals.bytesIn += chunk.length;
    this.queue.push({ arrivalMs: this.now(), chunk, offset: 0 });
    this.queued += chunk.length;
    if (this.queued > this.totals.peakQueuedBytes) this.totals.peakQueuedBytes = this.queued;
    if (this.queued > this.queueLimitBytes && !this.paused) {
      this.paused = true;
      this.source.pause();
    }
    if (this.queue.length === 1) this.pump();
  }

  /** The sender half-closed (FIN): pass it on once every byte before it has been delivered. */
  receiveEnd(): void {
    if (this.stopped) return;
    this.queue.push({ arrivalMs: this.now(), chunk: null });
    if (this.queue.length === 1) this.pump();
  }

  /** A reset: whatever is still queued is dropped, as a RST makes the receiving stack drop unread data. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.queued = 0;
  }

  private pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const destination = this.destination;
    if (destination === undefined || this.waitingForDrain || this.stopped) return;
    for (let head = this.queue[0]; head !== undefined; head = this.queue[0]) {
      const now = this.now();
      if (head.chunk === null) {
        const release = Math.max(head.arrivalMs + this.rate.oneWayMs, this.previousReleaseMs);
        if (release > now) {
          this.arm(release - now);
          return;
        }
        this.queue.shift();
        destination.end();
        return;
      }
      const size = Math.min(this.segment, head.chunk.length - head.offset);
      this.headReleaseMs ??= releaseAt(head.arrivalMs, size, this.previousReleaseMs, this.rate);
      if (this.headReleaseMs > now) {
        this.arm(this.headReleaseMs - now);
        return;
      }
      const piece = head.chunk.subarray(head.offset, head.offset + size);
      head.offset += size;
      if (head.offset === head.chunk.length) this.queue.shift();
      this.previousReleaseMs = this.headReleaseMs;
      this.headReleaseMs = undefined;
      this.queued -= size;
      this.totals.bytesOut += size;
      if (this.paused && this.queued <= this.queueLimitBytes) {
        this.paused = false;
        this.source.resume();
      }
      if (!destination.write(piece)) {
        this.waitingForDrain = true;
        return;
      }
    }
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(() => this.pump(), delayMs);
  }
}
