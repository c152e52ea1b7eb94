import { describe, expect, it } from "vitest";
import type { ServerFrame } from "../../protocol/types.js";
import { readNdjson } from "../../client/src/transports/stream.js";

const lines = [
  { id: 1, from: "ada", text: "héllo 👋 <b>not markup</b>", time: 5 },
  { type: "heartbeat", time: 6 },
  { id: 2, from: "bob", text: 'quote " and \\ and \n newline', time: 7, nonce: "n-1" },
  { type: "reset", reason: "expired", requested: 0, cursor: 2, lastId: 9 },
];
const bytes = new TextEncoder().encode(lines.map((line) => JSON.stringify(line)).join("\n") + "\n");

function body(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

async function read(chunks: Uint8Array[]): Promise<ServerFrame[]> {
  const frames: ServerFrame[] = [];
  await readNdjson(body(chunks), (frame) => {
    frames.push(frame);
    return true;
  });
  return frames;
}

describe("the HTTP streaming client's NDJSON reader", () => {
  it("yields the same frames wherever the body is split, at every byte position", async () => {
    for (let at = 0; at <= bytes.length; at++) {
      expect(await read([bytes.subarray(0, at), bytes.subarray(at)]), `split at byte ${at}`).toEqual(lines);
    }
  });

  it("yields the same frames from a body that arrives one byte at a time", async () => {
    expect(await read([...bytes].map((byte) => Uint8Array.of(byte)))).toEqual(lines);
  });

  it("stops handing over frames as soon as the consumer says stop, even within one chunk", async () => {
    const frames: ServerFrame[] = [];
    await readNdjson(body([bytes]), (frame) => {
      frames.push(frame);
      return false;
    });
    expect(frames).toEqual([lines[0]]);
  });

  it("rejects a body holding a line that is not JSON", async () => {
    await expect(read([new TextEncoder().encode('{"id":1}\nnot json\n')])).rejects.toThrow(/invalid JSON line/);
  });
});
