import { describe, expect, it } from "vitest";
import { encodeFrame, escapeHeader, headerOf, unescapeHeader } from "../../server/stomp/frame.js";
import { type ParseEvent, StompParser } from "../../server/stomp/parser.js";

const limits = { maxHeadBytes: 1024, maxHeaders: 8, maxBodyBytes: 64 };

function parseSplitAt(bytes: Buffer, cuts: number[]): ParseEvent[] {
  const parser = new StompParser(limits);
  const events: ParseEvent[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    events.push(...parser.push(bytes.subarray(from, cut)));
    from = cut;
  }
  return events;
}

/** Every way of cutting `bytes` in two, and one byte at a time: the same events each time. */
function expectSameAtEverySplit(bytes: Buffer): ParseEvent[] {
  const whole = parseSplitAt(bytes, []);
  for (let cut = 0; cut <= bytes.length; cut++) expect(parseSplitAt(bytes, [cut])).toEqual(whole);
  expect(
    parseSplitAt(
      bytes,
      Array.from({ length: bytes.length }, (_, i) => i),
    ),
  ).toEqual(whole);
  return whole;
}

describe("STOMP frame parser", () => {
  it("reads frames with and without content-length, LF and CRLF, heart-beats between them, at every split", () => {
    const bytes = Buffer.concat([
      Buffer.from("\n\r\n"),
      Buffer.from("SEND\ndestination:/app/chat\ncontent-length:5\n\nab\0cd\0"),
      Buffer.from("\r\nSUBSCRIBE\r\nid:sub-0\r\ndestination:/topic/messages\r\n\r\n\0\n"),
      Buffer.from('SEND\ndestination:/app/chat\n\n{"a":"é"}\0'),
    ]);
    const events = expectSameAtEverySplit(bytes);
    expect(events.map((e) => e.type)).toEqual(["heartbeat", "heartbeat", "frame", "heartbeat", "frame", "heartbeat", "frame"]);
    const frames = events.flatMap((e) => (e.type === "frame" ? [e.frame] : []));
    expect(frames[0]?.body).toEqual(Buffer.from("ab\0cd"));
    expect(frames[1]?.command).toBe("SUBSCRIBE");
    expect(frames[1]?.headers).toEqual([
      ["id", "sub-0"],
      ["destination", "/topic/messages"],
    ]);
    expect(frames[2]?.body.toString()).toBe('{"a":"é"}');
  });

  it("decodes 1.2 header escapes, keeps the first of repeated headers, and leaves CONNECT unescaped", () => {
    const [frame] = parseSplitAt(Buffer.from("SEND\na\\cb:x\\\\y\\nz\na\\cb:second\n\n\0"), []);
    expect(frame?.type === "frame" && headerOf(frame.frame, "a:b")).toBe("x\\y\nz");
    const [connect] = parseSplitAt(Buffer.from("CONNECT\nlogin:a\\cb\n\n\0"), []);
    expect(connect?.type === "frame" && headerOf(connect.frame, "login")).toBe("a\\cb");
    expect(unescapeHeader(escapeHeader("a:b\\c\r\nd"))).toBe("a:b\\c\r\nd");
  });

  it("encodes a frame the parser reads back", () => {
    const bytes = encodeFrame("MESSAGE", [["sub:id", "x\ny"]], "hello\0there");
    const [event] = parseSplitAt(bytes, []);
    expect(event?.type === "frame" && headerOf(event.frame, "sub:id")).toBe("x\ny");
    expect(event?.type === "frame" && event.frame.body.toString()).toBe("hello\0there");
  });

  it.each([
    ["a bad content-length", "SEND\ncontent-length:abc\n\n\0", "bad content-length"],
    ["a content-length over the limit", "SEND\ncontent-length:65\n\n", "body over 64"],
    ["a body over the limit without content-length", `SEND\n\n${"x".repeat(65)}`, "body over 64"],
    ["no NUL after content-length bytes", "SEND\ncontent-length:1\n\nab\0", "does not end with a NUL"],
    ["an undefined escape", "SEND\na:\\t\n\n\0", "undefined escape"],
    ["a header line without a colon", "SEND\nnocolon\n\n\0", "bad header line"],
    ["a lower-case command", "send\n\n\0", "bad command line"],
    ["a bare carriage return", "\rX", "carriage return"],
    ["a head over the limit", `SEND\n${"a:b\n".repeat(300)}`, "frame head over"],
    ["too many headers", `SEND\n${"a:b\n".repeat(9)}\n\0`, "more than 8 headers"],
  ])("refuses %s, once, and reads nothing after it", (_name, input, message) => {
    const parser = new StompParser(limits);
    const events = parser.push(Buffer.from(input));
    const last = events.at(-1);
    expect(last?.type).toBe("error");
    expect(last?.type === "error" && last.message).toContain(message);
    expect(parser.push(Buffer.from("SEND\n\n\0"))).toEqual([]);
  });
});
