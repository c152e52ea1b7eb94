import http from "node:http";
import { CursorTracker } from "../../protocol/cursor.js";
import { NdjsonParser } from "../../protocol/ndjson.js";
import { SseParser } from "../../protocol/sse.js";
import { isControl, type ChatMessage, type PollResponse, type ResetSignal, type ServerFrame, type Transport } from "../../protocol/types.js";
import { encodeClientFrame, OP, type RawWs, rawWsConnect, WsFrameReader } from "./raw-ws.js";

/** A small seeded PRNG (mulberry32), so that a failing fault run can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type Outcome = "answered" | "killed" | "ended";

export interface ChaosOptions {
  transport: Transport;
  port: number;
  /** The cursor to start from. */
  after: number;
  /** Chance, per chunk of bytes received, that the client cuts its connection inside that chunk. */
  cutProbability: number;
  random: () => number;
  /** Long-poll hold time asked for, in ms. */
  longPollMs?: number;
  /** Wait between short polls, in ms (default: 2 to 22, at random). */
  pollIntervalMs?: number;
  /** A keep-alive agent for polls and long polls (default: a new connection per request). */
  agent?: http.Agent;
}

/**
 * A subscriber that keeps reconnecting from its last delivered id, and that cuts its own connection
 * at random inside a chunk of bytes: mid-line, mid-event, mid-WebSocket-frame, mid-JSON-body. What
 * it had parsed before the cut is delivered; the torn rest is dropped, as a real client would lose
 * it. Every delivered id is kept, so a test can prove none was lost, repeated or reordered.
 */
export class ChaosSubscriber {
  readonly delivered: number[] = [];
  readonly cursor: CursorTracker;
  connections = 0;
  clientKills = 0;
  serverEnds = 0;
  refusals = 0;
  private running = false;
  private cancel: (() => void) | null = null;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly options: ChaosOptions) {
    this.cursor = new CursorTracker(options.after);
  }

  get transport(): Transport {
    return this.options.transport;
  }

  get last(): number | undefined {
    return this.cursor.last;
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.cancel?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.connections++;
      const outcome = await this.once().catch((): Outcome => "ended");
      if (outcome === "killed") this.clientKills++;
      else if (outcome === "ended" && this.running) this.serverEnds++;
      const pause =
        outcome !== "answered"
          ? 2 + this.options.random() * 20
          : this.transport !== "poll"
            ? 0
            : (this.options.pollIntervalMs ?? 2 + this.options.random() * 20);
      if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  private once(): Promise<Outcome> {
    switch (this.transport) {
      case "poll":
      case "long-poll":
        return this.poll();
      case "stream":
      case "sse":
        return this.stream();
      case "ws":
        return this.ws();
    }
  }

  private onFrame(frame: ServerFrame): void {
    if (isControl(frame)) {
      if (frame.type === "reset") this.cursor.reset(frame);
      return;
    }
    if (this.cursor.accept(frame)) this.delivered.push(frame.id);
  }

  /** Whether to cut inside this chunk, and where. */
  private cutAt(length: number): number | null {
    if (length === 0 || this.options.random() >= this.options.cutProbability) return null;
    return Math.floor(this.options.random() * length);
  }

  private httpGet(path: string, headers: Record<string, string>, onBody: (chunk: Buffer) => void, onEnd: () => void): Promise<Outcome> {
    const agent = this.transport === "poll" || this.transport === "long-poll" ? (this.options.agent ?? false) : false;
    return new Promise((resolve) => {
      let killed = false;
      const request = http.get({ host: "127.0.0.1", port: this.options.port, path, headers, agent }, (response) => {
        if (response.statusCode !== 200) {
          this.refusals++;
          response.resume();
          response.on("end", () => resolve("ended"));
          return;
        }
        response.on("data", (chunk: Buffer) => {
          if (killed) return;
          const cut = this.cutAt(chunk.length);
          if (cut === null) {
            onBody(chunk);
            return;
          }
          onBody(chunk.subarray(0, cut));
          killed = true;
          request.destroy();
        });
        response.on("end", () => {
          if (!killed) onEnd();
        });
        response.on("error", () => undefined);
      });
      request.on("error", () => undefined);
      request.on("close", () => resolve(killed ? "killed" : "answered"));
      this.cancel = () => {
        request.destroy();
      };
    });
  }

  private async poll(): Promise<Outcome> {
    const after = this.cursor.after;
    const path = this.transport === "poll" ? `/api/poll?after=${after}` : `/api/long-poll?after=${after}&timeout=${this.options.longPollMs ?? 1_000}`;
    const parts: Buffer[] = [];
    let complete = false;
    const outcome = await this.httpGet(
      path,
      {},
      (chunk) => parts.push(chunk),
      () => (complete = true),
    );
    if (outcome !== "answered") return outcome;
    if (!complete) return "ended";
    // A torn body is not JSON; only a complete answer is delivered.
    const answer = JSON.parse(Buffer.concat(parts).toString()) as PollResponse;
    if (answer.reset !== undefined) this.onFrame(answer.reset);
    for (const message of answer.messages) this.onFrame(message);
    return "answered";
  }

  private async stream(): Promise<Outcome> {
    const after = String(this.cursor.after);
    if (this.transport === "stream") {
      const parser = new NdjsonParser();
      const outcome = await this.httpGet(
        `/api/stream?after=${after}`,
        {},
        (chunk) => {
          for (const frame of parser.push(chunk)) this.onFrame(frame);
        },
        () => undefined,
      );
      return outcome === "answered" ? "ended" : outcome;
    }
    // SSE resumes the way a browser does: the last event id in the Last-Event-ID header.
    const parser = new SseParser();
    const outcome = await this.httpGet(
      "/api/sse",
      { "last-event-id": after },
      (chunk) => {
        for (const item of parser.push(chunk)) {
          if (item.kind !== "event") continue;
          const frame = JSON.parse(item.data) as ChatMessage | ResetSignal;
          this.onFrame(frame);
        }
      },
      () => undefined,
    );
    return outcome === "answered" ? "ended" : outcome;
  }

  private async ws(): Promise<Outcome> {
    let connection: RawWs;
    try {
      connection = await rawWsConnect(this.options.port, `/api/ws?after=${this.cursor.after}`);
    } catch {
      return "ended";
    }
    const { socket, status, rest } = connection;
    if (status !== 101) {
      this.refusals++;
      socket.destroy();
      return "ended";
    }
    return new Promise((resolve) => {
      const reader = new WsFrameReader();
      let killed = false;
      const take = (chunk: Buffer): void => {
        if (killed) return;
        const cut = this.cutAt(chunk.length);
        for (const frame of reader.push(cut === null ? chunk : chunk.subarray(0, cut))) {
          if (frame.opcode === OP.text) this.onFrame(JSON.parse(frame.payload.toString()) as ServerFrame);
          else if (frame.opcode === OP.ping) socket.write(encodeClientFrame({ opcode: OP.pong, payload: frame.payload }));
        }
        if (cut !== null) {
          killed = true;
          socket.destroy();
        }
      };
      socket.on("error", () => undefined);
      socket.on("close", () => resolve(killed ? "killed" : "ended"));
      this.cancel = () => socket.destroy();
      take(rest);
      socket.on("data", take);
      socket.resume();
    });
  }
}
