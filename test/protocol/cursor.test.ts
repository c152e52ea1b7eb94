import { describe, expect, it } from "vitest";
import { CursorTracker } from "../../protocol/cursor.js";
import type { ChatMessage } from "../../protocol/types.js";

const message = (id: number): ChatMessage => ({ id, from: "a", text: "t", time: 0 });

describe("CursorTracker", () => {
  it("starts without a cursor, then resumes after the last delivered id", () => {
    const cursor = new CursorTracker();
    expect(cursor.after).toBeUndefined();
    expect(cursor.accept(message(41))).toBe(true);
    expect(cursor.accept(message(42))).toBe(true);
    expect(cursor.after).toBe(42);
  });

  it("drops and counts duplicates; counts gaps", () => {
    const cursor = new CursorTracker(10);
    expect(cursor.accept(message(11))).toBe(true);
    expect(cursor.accept(message(11))).toBe(false);
    expect(cursor.accept(message(9))).toBe(false);
    expect(cursor.accept(message(14))).toBe(true);
    expect({ duplicates: cursor.duplicates, gaps: cursor.gaps, after: cursor.after }).toEqual({ duplicates: 2, gaps: 1, after: 14 });
  });

  it("after a reset continues from the server's cursor without counting a gap", () => {
    const cursor = new CursorTracker(10);
    cursor.reset({ type: "reset", reason: "expired", requested: 10, cursor: 500, lastId: 510 });
    expect(cursor.accept(message(501))).toBe(true);
    expect({ gaps: cursor.gaps, resets: cursor.resets, after: cursor.after }).toEqual({ gaps: 0, resets: 1, after: 501 });
  });
});
