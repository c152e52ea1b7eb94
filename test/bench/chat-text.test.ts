import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { chatText } from "../../scripts/bench/chat-text.js";

describe("chat-like text for compression runs", () => {
  it("is the workload's size in bytes, the same for the same message, different between messages", () => {
    for (const size of [0, 1, 100, 32_768]) expect(Buffer.byteLength(chatText(7, size))).toBe(size);
    expect(chatText(7, 100)).toBe(chatText(7, 100));
    expect(chatText(8, 100)).not.toBe(chatText(7, 100));
  });

  it("compresses as text does, not as one repeated character", () => {
    const words = Array.from({ length: 50 }, (_, i) => chatText(i, 100)).join("\n");
    const xs = Array.from({ length: 50 }, () => "x".repeat(100)).join("\n");
    expect(gzipSync(words).length / words.length).toBeGreaterThan(0.25);
    expect(gzipSync(xs).length / xs.length).toBeLessThan(0.05);
  });
});
