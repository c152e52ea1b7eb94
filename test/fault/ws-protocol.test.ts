import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closePayload, OP, openConversation, textFrames, type WsConversation } from "../helpers/raw-ws.js";
import { startServer, waitFor, type TestServer } from "../helpers/server.js";

/**
 * The WebSocket endpoint against the protocol cases of the Autobahn|Testsuite's fuzzing client
 * (which cannot be installed here: PyPI is out of reach), written as raw frames on a bare socket.
 * ws does the framing; these tests prove the server is configured so that every case ends as RFC
 * 6455 says, and that nothing a peer sends can take the server down.
 */
let server: TestServer;

beforeAll(async () => {
  server = await startServer({ wsMaxPayload: 4096 });
});
afterAll(() => server.close());

const open = (): Promise<WsConversation> => openConversation(server.port);
const closedWith = async (c: WsConversation, code: number): Promise<void> => {
  await c.until((x) => x.closeCode !== undefined || x.ended, `close ${code}`);
  expect(c.closeCode).toBe(code);
  await c.until((x) => x.ended, "the TCP connection to end");
};
const send = (text: string, nonce: string): string => JSON.stringify({ type: "send", from: "raw", text, nonce });
const acked = (c: WsConversation, nonce: string): boolean =>
  textFrames(c).some((f) => (f as { type?: string; nonce?: string }).type === "ack" && (f as { nonce?: string }).nonce === nonce);

describe("valid but unusual framing is accepted", () => {
  it("reassembles a text message fragmented over three frames", async () => {
    const c = await open();
    const whole = send("fragmented", "f1");
    c.send({ opcode: OP.text, payload: whole.slice(0, 10), fin: false });
    c.send({ opcode: OP.continuation, payload: whole.slice(10, 30), fin: false });
    c.send({ opcode: OP.continuation, payload: whole.slice(30), fin: true });
    await c.until((x) => acked(x, "f1"), "the ack of the fragmented send");
    c.destroy();
  });

  it("answers a ping interleaved between fragments, then assembles the message", async () => {
    const c = await open();
    const whole = send("interleaved", "f2");
    c.send({ opcode: OP.text, payload: whole.slice(0, 5), fin: false });
    c.send({ opcode: OP.ping, payload: "are you there" });
    c.send({ opcode: OP.continuation, payload: whole.slice(5), fin: true });
    await c.until((x) => acked(x, "f2"), "the ack");
    const pong = c.frames.find((f) => f.opcode === OP.pong);
    expect(pong?.payload.toString()).toBe("are you there");
    c.destroy();
  });

  it("echoes a clean close with its code", async () => {
    const c = await open();
    c.send({ opcode: OP.close, payload: closePayload(1000, "bye") });
    await closedWith(c, 1000);
  });

  it("takes a message exactly at maxPayload", async () => {
    const c = await open();
    const base = send("", "max");
    const padding = 4096 - Buffer.byteLength(base) - Buffer.byteLength(`,"x":""`);
    c.send({ opcode: OP.text, payload: `${base.slice(0, -1)},"x":"${"a".repeat(padding)}"}` });
    // An unknown field is refused with an error frame: what matters is that 4096 bytes are read.
    await c.until((x) => textFrames(x).some((f) => (f as { type?: string }).type === "error"), "an error frame");
    expect(c.ended).toBe(false);
    c.destroy();
  });
});

describe("protocol violations close the connection with the right code", () => {
  const cases: { name: string; frames: Parameters<WsConversation["send"]>[0][]; code: number }[] = [
    { name: "an unmasked client frame", frames: [{ opcode: OP.text, payload: "{}", mask: false }], code: 1002 },
    { name: "a reserved opcode (0x3)", frames: [{ opcode: 0x3, payload: "x" }], code: 1002 },
    { name: "a reserved control opcode (0xB)", frames: [{ opcode: 0xb }], code: 1002 },
    { name: "RSV1 set without a negotiated extension", frames: [{ opcode: OP.text, payload: "{}", rsv: 0b100 }], code: 1002 },
    { name: "a continuation frame with nothing to continue", frames: [{ opcode: OP.continuation, payload: "x" }], code: 1002 },
    {
      name: "a new text frame inside a fragmented message",
      frames: [
        { opcode: OP.text, payload: "a", fin: false },
        { opcode: OP.text, payload: "b" },
      ],
      code: 1002,
    },
    { name: "a fragmented ping", frames: [{ opcode: OP.ping, payload: "x", fin: false }], code: 1002 },
    { name: "a ping over 125 bytes", frames: [{ opcode: OP.ping, payload: "p".repeat(126) }], code: 1002 },
    { name: "a close frame with a 1-byte payload", frames: [{ opcode: OP.close, payload: Buffer.from([0x03]) }], code: 1002 },
    { name: "close code 999", frames: [{ opcode: OP.close, payload: closePayload(999) }], code: 1002 },
    { name: "close code 1005 (reserved: never on the wire)", frames: [{ opcode: OP.close, payload: closePayload(1005) }], code: 1002 },
    { name: "close code 1006 (reserved)", frames: [{ opcode: OP.close, payload: closePayload(1006) }], code: 1002 },
    { name: "close code 5000", frames: [{ opcode: OP.close, payload: closePayload(5000) }], code: 1002 },
    {
      name: "a close reason that is not UTF-8",
      frames: [{ opcode: OP.close, payload: Buffer.concat([closePayload(1000), Buffer.from([0xc3, 0x28])]) }],
      code: 1007,
    },
    { name: "a text frame that is not UTF-8", frames: [{ opcode: OP.text, payload: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }], code: 1007 },
    {
      name: "UTF-8 broken across fragments",
      frames: [
        { opcode: OP.text, payload: Buffer.from([0x22, 0xe2, 0x82]), fin: false },
        { opcode: OP.continuation, payload: Buffer.from([0x28, 0x22]) },
      ],
      code: 1007,
    },
    { name: "a message over maxPayload", frames: [{ opcode: OP.text, payload: "x".repeat(4097) }], code: 1009 },
    {
      name: "fragments adding up to over maxPayload",
      frames: [
        { opcode: OP.text, payload: "x".repeat(3000), fin: false },
        { opcode: OP.continuation, payload: "y".repeat(3000) },
      ],
      code: 1009,
    },
  ];
  for (const { name, frames, code } of cases) {
    it(`${name} → ${code}`, async () => {
      const c = await open();
      for (const frame of frames) c.send(frame);
      await closedWith(c, code);
    });
  }

  it("a declared 2^63-1 byte length closes with 1009 before anything is buffered", async () => {
    const c = await open();
    const header = Buffer.from([0x81, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4]);
    c.sendRaw(header);
    await c.until((x) => x.ended, "the connection to end");
    expect([1009, undefined]).toContain(c.closeCode);
  });
});

describe("bad application frames get error frames and the connection stays open", () => {
  const cases: { name: string; frame: Parameters<WsConversation["send"]>[0]; error: string }[] = [
    { name: "binary", frame: { opcode: OP.binary, payload: Buffer.from([1, 2, 3]) }, error: "binary_not_supported" },
    { name: "not JSON", frame: { opcode: OP.text, payload: "hello" }, error: "bad_json" },
    { name: "an unknown type", frame: { opcode: OP.text, payload: JSON.stringify({ type: "subscribe" }) }, error: "unknown_type" },
    { name: "a JSON array", frame: { opcode: OP.text, payload: "[1,2]" }, error: "unknown_type" },
    { name: "a wrong field type", frame: { opcode: OP.text, payload: JSON.stringify({ type: "send", from: "a", text: 5 }) }, error: "bad_request" },
    {
      name: "an unknown field",
      frame: { opcode: OP.text, payload: JSON.stringify({ type: "send", from: "a", text: "b", admin: true }) },
      error: "bad_request",
    },
  ];
  it.each(cases)("$name → $error", async ({ frame, error }) => {
    const c = await open();
    c.send(frame);
    await c.until((x) => textFrames(x).some((f) => (f as { type?: string }).type === "error"), "an error frame");
    expect(textFrames(c).find((f) => (f as { type?: string }).type === "error")).toMatchObject({ type: "error", error });
    // Still usable afterwards.
    c.send({ opcode: OP.text, payload: send("still here", "after") });
    await c.until((x) => acked(x, "after"), "an ack after the error");
    c.destroy();
  });
});

it("the server is still healthy after every case above", async () => {
  const response = await fetch(`${server.url}/api/stats`);
  expect(response.status).toBe(200);
  await waitFor(() => server.app.heldConnections.size === 0 && server.app.lab.feed.subscriberCount === 0, "every connection released");
});
