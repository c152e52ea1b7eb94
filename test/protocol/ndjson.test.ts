import { describe, expect, it } from "vitest";
import { NdjsonParser } from "../../protocol/ndjson.js";
import { ProtocolError } from "../../protocol/protocol-error.js";

const stream =
  [
    '{"id":1,"from":"ada","text":"héllo 👋","time":5}',
    '{"type":"heartbeat","time":6}',
    '{"id":2,"from":"bob","text":"line\\nbreak","time":7,"nonce":"n"}',
  ].join("\n") + "\n";
const bytes = new TextEncoder().encode(stream);
const expected = stream
  .trim()
  .split("\n")
  .map((line) => JSON.parse(line) as unknown);

describe("NdjsonParser", () => {
  it("parses the same frames wherever one split falls, even inside a UTF-8 character", () => {
    for (let at = 0; at <= bytes.length; at++) {
      const parser = new NdjsonParser();
      const frames = [...parser.push(bytes.subarray(0, at)), ...parser.push(bytes.subarray(at))];
      expect(frames, `split at byte ${at}`).toEqual(expected);
    }
  });

  it("parses a stream fed one byte at a time", () => {
    const parser = new NdjsonParser();
    const frames = [];
    for (const byte of bytes) frames.push(...parser.push(Uint8Array.of(byte)));
    expect(frames).toEqual(expected);
    expect(parser.pending).toBe(0);
  });

  it("keeps an unfinished line until its newline arrives and skips blank lines and CRLF", () => {
    const parser = new NdjsonParser();
    expect(parser.push('{"id":1')).toEqual([]);
    expect(parser.pending).toBe(7);
    expect(parser.push(',"from":"a","text":"b","time":1}\r\n\n')).toEqual([{ id: 1, from: "a", text: "b", time: 1 }]);
  });

  it("refuses a line that is not a JSON object", () => {
    expect(() => new NdjsonParser().push("not json\n")).toThrow(ProtocolError);
    expect(() => new NdjsonParser().push("[1,2]\n")).toThrow(ProtocolError);
    expect(() => new NdjsonParser().push("null\n")).toThrow(ProtocolError);
  });

  it("refuses invalid UTF-8", () => {
    expect(() => new NdjsonParser().push(Uint8Array.of(0x7b, 0xff, 0x7d, 0x0a))).toThrow(ProtocolError);
  });
});
