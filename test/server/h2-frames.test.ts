import { describe, expect, it } from "vitest";
import { CLIENT_PREFACE_LENGTH, FrameFlag, FrameParser, FrameType, PREFACE } from "../../server/metering/h2-frames.js";

interface Frame {
  streamId: number;
  type: number;
  flags: number;
  payload: number;
}

function encode(frame: Frame): Buffer {
  const bytes = Buffer.alloc(9 + frame.payload, 0xab);
  bytes.writeUIntBE(frame.payload, 0, 3);
  bytes[3] = frame.type;
  bytes[4] = frame.flags;
  bytes.writeUInt32BE(frame.streamId, 5);
  return bytes;
}

/** What the parser reported: bytes per stream and type, and the frames it saw start, in order. */
function parse(chunks: Buffer[], preface = 0): { bytes: Map<string, number>; starts: string[] } {
  const bytes = new Map<string, number>();
  const starts: string[] = [];
  const parser = new FrameParser((streamId, type, flags, count, first) => {
    const key = `${streamId}/${type}`;
    bytes.set(key, (bytes.get(key) ?? 0) + count);
    if (first) starts.push(`${key}/${flags}`);
  }, preface);
  for (const chunk of chunks) parser.push(chunk);
  return { bytes, starts };
}

const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
const frames: Frame[] = [
  { streamId: 0, type: FrameType.SETTINGS, flags: 0, payload: 18 },
  { streamId: 0, type: FrameType.SETTINGS, flags: 1, payload: 0 },
  { streamId: 1, type: FrameType.HEADERS, flags: FrameFlag.END_HEADERS, payload: 40 },
  { streamId: 3, type: FrameType.HEADERS, flags: FrameFlag.END_STREAM, payload: 7 },
  { streamId: 3, type: FrameType.CONTINUATION, flags: FrameFlag.END_HEADERS, payload: 5 },
  { streamId: 1, type: FrameType.DATA, flags: 0, payload: 300 },
  { streamId: 0, type: FrameType.WINDOW_UPDATE, flags: 0, payload: 4 },
  { streamId: 1, type: FrameType.DATA, flags: FrameFlag.END_STREAM, payload: 1 },
  { streamId: 0x7fffffff, type: FrameType.RST_STREAM, flags: 0, payload: 4 },
];
const wire = Buffer.concat([preface, ...frames.map(encode)]);
const expected = parse([wire], CLIENT_PREFACE_LENGTH);

describe("HTTP/2 frame parser", () => {
  it("gives every byte to its frame's stream: the 9-byte header and the payload", () => {
    expect(expected.starts).toEqual(frames.map((f) => `${f.streamId}/${f.type}/${f.flags}`));
    expect(Object.fromEntries(expected.bytes)).toEqual({
      [`0/${PREFACE}`]: 24,
      [`0/${FrameType.SETTINGS}`]: 9 + 18 + 9,
      [`1/${FrameType.HEADERS}`]: 9 + 40,
      [`3/${FrameType.HEADERS}`]: 9 + 7,
      [`3/${FrameType.CONTINUATION}`]: 9 + 5,
      [`1/${FrameType.DATA}`]: 9 + 300 + 9 + 1,
      [`0/${FrameType.WINDOW_UPDATE}`]: 9 + 4,
      [`2147483647/${FrameType.RST_STREAM}`]: 9 + 4,
    });
  });

  it("reads the same at every split into two chunks", () => {
    for (let at = 0; at <= wire.length; at++) {
      expect(parse([wire.subarray(0, at), wire.subarray(at)], CLIENT_PREFACE_LENGTH)).toEqual(expected);
    }
  });

  it("reads the same at every split into three chunks around the headers", () => {
    for (let a = 20; a < 80; a++) {
      for (let b = a; b < 100; b++) {
        expect(parse([wire.subarray(0, a), wire.subarray(a, b), wire.subarray(b)], CLIENT_PREFACE_LENGTH)).toEqual(expected);
      }
    }
  });

  it("reads the same one byte at a time", () => {
    const bytes = [...wire].map((byte) => Buffer.from([byte]));
    expect(parse(bytes, CLIENT_PREFACE_LENGTH)).toEqual(expected);
  });

  it("ignores the reserved bit of the stream id and reads 24-bit lengths", () => {
    const frame = encode({ streamId: 5, type: FrameType.DATA, flags: 0, payload: 70_000 });
    frame[5] = (frame[5] as number) | 0x80;
    const { bytes, starts } = parse([frame.subarray(0, 4), frame.subarray(4, 40_000), frame.subarray(40_000)]);
    expect(starts).toEqual([`5/${FrameType.DATA}/0`]);
    expect(bytes.get(`5/${FrameType.DATA}`)).toBe(9 + 70_000);
  });

  it("does not report a header torn off by the end of the input", () => {
    const { bytes } = parse([wire.subarray(0, CLIENT_PREFACE_LENGTH + 5)], CLIENT_PREFACE_LENGTH);
    expect(Object.fromEntries(bytes)).toEqual({ [`0/${PREFACE}`]: 24 });
  });
});
