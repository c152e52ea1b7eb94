import type { FrameKind } from "../../protocol/client-events.js";

/** What a write carried, as the network timeline labels it. */
export interface FrameSummary {
  kinds: FrameKind[];
  messages: number;
}

/** A message's JSON starts so (server/feed.ts serializes `id` first); the second form is inside a SockJS frame's JSON string. */
const MESSAGE_STARTS = ['{"id":', '{\\"id\\":'];

function occurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) count++;
  return count;
}

/**
 * The kinds of what a held HTTP response wrote (NDJSON lines, SSE events, SockJS frames) or what one
 * WebSocket text frame carried (JSON signals, STOMP frames), read from its text (latin1: only ASCII
 * markers are looked for). Compressed bytes carry no marker and are `data`. Pure, for the timeline only.
 */
export function textKinds(text: string): FrameSummary {
  const kinds: FrameKind[] = [];
  let messages = 0;
  for (const start of MESSAGE_STARTS) messages += occurrences(text, start);
  if (messages > 0) kinds.push("message");
  if (text.includes("heartbeat") || text.startsWith(": ") || text === "h\n" || text === "h" || text === "\n" || text === "\r\n") kinds.push("heartbeat");
  if (text.includes('"type":"reset"') || text.includes('\\"type\\":\\"reset\\"')) kinds.push("reset");
  if (text.includes('"type":"ack"')) kinds.push("ack");
  if (text.includes('"type":"error"') || text.startsWith("ERROR\n")) kinds.push("error");
  if (/(^|\n)retry: /.test(text)) kinds.push("retry");
  if (text.includes("RECEIPT\\n") || text.startsWith("RECEIPT\n")) kinds.push("receipt");
  if (text.includes("CONNECTED\\n") || text.startsWith("CONNECTED\n")) kinds.push("connected");
  if (text.startsWith("o\n") || text === "o") kinds.push("open");
  if (kinds.length === 0) kinds.push("data");
  return { kinds, messages };
}

/** Control frames by opcode (RFC 6455 5.5): close 0x8, ping 0x9, pong 0xA. */
const OPCODE_KINDS = new Map<number, FrameKind>([
  [0x8, "close"],
  [0x9, "ping"],
  [0xa, "pong"],
]);

/**
 * WebSocket frames in `bytes` (the writes of one turn, or a chunk read): each frame's opcode, and a
 * text frame's payload by `textKinds` (server frames are unmasked; a client's masked text frame is a
 * `send`, a compressed one `data`). A frame cut off at the end is judged by its header alone.
 */
export function webSocketKinds(bytes: Buffer, fromClient: boolean): FrameSummary {
  const kinds = new Set<FrameKind>();
  let messages = 0;
  let at = 0;
  while (at + 2 <= bytes.length) {
    const first = bytes[at] as number;
    const second = bytes[at + 1] as number;
    const opcode = first & 0x0f;
    const masked = (second & 0x80) !== 0;
    let length = second & 0x7f;
    let header = 2;
    if (length === 126) {
      if (at + 4 > bytes.length) break;
      length = bytes.readUInt16BE(at + 2);
      header = 4;
    } else if (length === 127) {
      if (at + 10 > bytes.length) break;
      length = Number(bytes.readBigUInt64BE(at + 2));
      header = 10;
    }
    if (masked) header += 4;
    const fixed = OPCODE_KINDS.get(opcode);
    if (fixed !== undefined) kinds.add(fixed);
    else if (opcode === 0x1 || opcode === 0x0) {
      if (fromClient) kinds.add("send");
      else if ((first & 0x40) !== 0) kinds.add("data");
      else {
        const payload = bytes.toString("latin1", at + header, Math.min(bytes.length, at + header + length));
        const summary = textKinds(payload);
        messages += summary.messages;
        for (const kind of summary.kinds) kinds.add(kind);
      }
    } else kinds.add("data");
    at += header + length;
  }
  if (kinds.size === 0) kinds.add("data");
  return { kinds: [...kinds], messages };
}
