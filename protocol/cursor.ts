import type { ChatMessage, ResetSignal } from "./types.js";

/**
 * Client-side cursor: the last id delivered to the application, so a reconnect resumes after it.
 * Feed ids are contiguous, so a jump is a real gap and a repeat a real duplicate; both are counted
 * (and dropped or let through) rather than hidden, because proving they stay at 0 is the point.
 */
export class CursorTracker {
  last: number | undefined;
  duplicates = 0;
  gaps = 0;
  resets = 0;

  constructor(start?: number) {
    this.last = start;
  }

  /** True when the message is new and should be delivered; false for a duplicate (dropped). */
  accept(message: ChatMessage): boolean {
    if (this.last !== undefined) {
      if (message.id <= this.last) {
        this.duplicates++;
        return false;
      }
      if (message.id > this.last + 1) this.gaps++;
    }
    this.last = message.id;
    return true;
  }

  /** The server could not honour the cursor and continues after `signal.cursor`. */
  reset(signal: ResetSignal): void {
    this.resets++;
    this.last = signal.cursor;
  }

  /** The `after` query value for the next request, or undefined for "recent history, then live". */
  get after(): number | undefined {
    return this.last;
  }
}
