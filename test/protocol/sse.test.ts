import { describe, expect, it } from "vitest";
import { encodeSseComment, encodeSseEvent, encodeSseRetry } from "../../protocol/encode.js";
import { SseParser, type SseItem } from "../../protocol/sse.js";

const parseAll = (...chunks: (string | Uint8Array)[]): SseItem[] => {
  const parser = new SseParser();
  return chunks.flatMap((chunk) => parser.push(chunk));
};

describe("SseParser", () => {
  it("reads what the server's encoders write", () => {
    const text =
      encodeSseRetry(2000) +
      encodeSseEvent('{"a":1}', { id: 7 }) +
      encodeSseComment("heartbeat") +
      encodeSseEvent('{"type":"reset"}', { event: "reset", id: 9 });
    expect(parseAll(text)).toEqual([
      { kind: "retry", ms: 2000 },
      { kind: "event", event: "message", data: '{"a":1}', lastEventId: "7" },
      { kind: "comment", text: "heartbeat" },
      { kind: "event", event: "reset", data: '{"type":"reset"}', lastEventId: "9" },
    ]);
  });

  it("gives the same events wherever one split falls, with LF, CRLF or CR line ends", () => {
    for (const eol of ["\n", "\r\n", "\r"]) {
      const text = `: hi${eol}id: 1${eol}data: é 👋${eol}${eol}event: x${eol}data: a${eol}data: b${eol}${eol}`;
      const bytes = new TextEncoder().encode(text);
      const whole = parseAll(bytes);
      expect(whole).toEqual([
        { kind: "comment", text: "hi" },
        { kind: "event", event: "message", data: "é 👋", lastEventId: "1" },
        { kind: "event", event: "x", data: "a\nb", lastEventId: "1" },
      ]);
      for (let at = 0; at <= bytes.length; at++) {
        expect(parseAll(bytes.subarray(0, at), bytes.subarray(at)), `${JSON.stringify(eol)} split at ${at}`).toEqual(whole);
      }
    }
  });

  it("follows the standard's field rules", () => {
    expect(parseAll("\uFEFFdata: bom skipped\n\n")).toEqual([{ kind: "event", event: "message", data: "bom skipped", lastEventId: "" }]);
    expect(parseAll("data:no space\n\n")[0]).toMatchObject({ data: "no space" });
    expect(parseAll("data:  two spaces\n\n")[0]).toMatchObject({ data: " two spaces" });
    expect(parseAll("data\n\n")[0]).toMatchObject({ data: "" });
    expect(parseAll("event: only\n\n")).toEqual([]); // no data: nothing dispatched
    expect(parseAll("id: 1\0\ndata: x\n\n")[0]).toMatchObject({ lastEventId: "" }); // NUL in id: ignored
    expect(parseAll("retry: 12a\n\nretry: 30\n\n")).toEqual([{ kind: "retry", ms: 30 }]);
    expect(parseAll("unknown: field\ndata: x\n\n")).toHaveLength(1);
    expect(parseAll("data: unterminated")).toEqual([]);
  });

  it("keeps the last event id across events, as EventSource does", () => {
    const parser = new SseParser();
    parser.push("id: 5\ndata: a\n\ndata: b\n\n");
    expect(parser.currentLastEventId).toBe("5");
  });
});
