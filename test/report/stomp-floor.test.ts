import { describe, expect, it } from "vitest";
import type { ChatMessage } from "../../protocol/types.js";
import { messageFrame } from "../../server/stomp/deliveries.js";
import { chunkFraming, exchangeFloor, messageFloor, windowFloor, wsHeader, type ModelInput } from "../../scripts/report/model.js";
import { chatShapedJson, sockjsArrayFrame, STOMP_SUBSCRIPTION, stompMessageFrame, XHR_STREAMING_PRELUDE } from "../../scripts/report/stomp-floor.js";

const input: ModelInput = { jsonBytes: 150, sampleId: 1_767_225_600_000_000, host: "127.0.0.1:3000", longPollTimeoutMs: 25_000 };
const len = (s: string): number => Buffer.byteLength(s);
/** The frame the floor counts for the input's message. */
const frame = stompMessageFrame(chatShapedJson(input.jsonBytes, input.sampleId), input.sampleId);

describe("STOMP's framing floor", () => {
  it("counts the MESSAGE frame the server writes, byte for byte", () => {
    const message: ChatMessage = { id: 42, from: "ann", text: "hello", time: 1_767_225_600_000 };
    const json = JSON.stringify(message);
    const written = messageFrame(STOMP_SUBSCRIPTION, { message, json, bytes: len(json) });
    expect(stompMessageFrame(json, 42)).toBe(written.toString("utf8"));
  });

  it("shapes a message's JSON to the size asked, with a chat message's quotes", () => {
    const json = chatShapedJson(150, input.sampleId);
    expect(len(json)).toBe(150);
    expect(json.split('"').length - 1).toBe(12);
    expect(JSON.parse(json)).toMatchObject({ id: input.sampleId, from: "" });
  });

  it("over /api/stomp: the frame in one WebSocket text frame, so STOMP adds its command, five headers and NUL over bare WebSocket", () => {
    const head = `MESSAGE\ndestination:/topic/messages\nsubscription:sub-0\nmessage-id:${input.sampleId}\ncontent-type:application/json\ncontent-length:150\n\n`;
    expect(len(frame)).toBe(len(head) + 150 + 1);
    expect(messageFloor("stomp-ws", input)).toBe(len(frame) + 4);
    // Both payloads are over 125 bytes: the same 4-byte WebSocket header.
    expect(messageFloor("stomp-ws", input) - messageFloor("ws", input)).toBe(len(head) + 1);
  });

  it("over SockJS: the frame JSON-quoted in an a[...] array frame, then each sub-transport's framing", () => {
    const array = sockjsArrayFrame([frame]);
    // Each LF becomes \n, the NUL \u0000, each of the JSON's 12 quotes \".
    expect(len(array)).toBe(len(frame) + 2 + 2 + 8 * 1 + 5 + 12);
    const at = (sockjs: ModelInput["sockjs"]): ModelInput => ({ ...input, ...(sockjs !== undefined ? { sockjs } : {}) });
    expect(messageFloor("stomp-sockjs", at("websocket"))).toBe(len(array) + wsHeader(len(array)));
    expect(messageFloor("stomp-sockjs", at(undefined))).toBe(messageFloor("stomp-sockjs", at("websocket")));
    expect(messageFloor("stomp-sockjs", at("xhr-streaming"))).toBe(len(array) + 1 + chunkFraming(len(array) + 1));
    expect(messageFloor("stomp-sockjs", at("eventsource"))).toBe(len(`data: ${array}\r\n\r\n`) + chunkFraming(len(`data: ${array}\r\n\r\n`)));
    // A poll's answer carries every queued message in one array frame: a quoted string and a comma each.
    expect(messageFloor("stomp-sockjs", at("xhr-polling"))).toBe(len(JSON.stringify(frame)) + 1);
  });

  it("opens each with a minimal exchange: the upgrade with its subprotocol, SockJS's session paths, the streaming prelude", () => {
    const stomp = exchangeFloor("stomp-ws", input);
    const ws = exchangeFloor("ws", input);
    expect(stomp.up - ws.up).toBe(len("Sec-WebSocket-Protocol: v12.stomp\r\n") + len("/api/stomp") - len(`/api/ws?after=${input.sampleId}`));
    expect(stomp.down - ws.down).toBe(len("Sec-WebSocket-Protocol: v12.stomp\r\n"));
    const streaming = exchangeFloor("stomp-sockjs", { ...input, sockjs: "xhr-streaming" });
    expect(streaming.up).toBe(len("POST /chat/000/abcdefgh/xhr_streaming HTTP/1.1\r\nHost: 127.0.0.1:3000\r\n\r\n"));
    expect(streaming.down).toBe(len("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") + XHR_STREAMING_PRELUDE + chunkFraming(XHR_STREAMING_PRELUDE));
    const polling = exchangeFloor("stomp-sockjs", { ...input, sockjs: "xhr-polling" });
    expect(polling).toEqual({
      up: len("POST /chat/000/abcdefgh/xhr HTTP/1.1\r\nHost: 127.0.0.1:3000\r\n\r\n"),
      down: len("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\na[]\n"),
    });
  });

  it("adds a request's exchange per request made, as for the five", () => {
    const at = { ...input, sockjs: "xhr-polling" as const };
    const floor = windowFloor("stomp-sockjs", at, 10, 4);
    const exchange = exchangeFloor("stomp-sockjs", at);
    expect(floor).toEqual({ up: 4 * exchange.up, down: 10 * messageFloor("stomp-sockjs", at) + 4 * exchange.down });
  });
});
