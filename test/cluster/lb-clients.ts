import { get } from "node:http";
import { Client } from "@stomp/stompjs";
import SockJS from "sockjs-client";
import { Agent, request } from "undici";
import WebSocket from "ws";
import { NdjsonParser, parseFrame } from "../../protocol/ndjson.js";
import { SseParser } from "../../protocol/sse.js";
import { type ChatMessage, isControl, type PollResponse, type ResetSignal, type ServerFrame } from "../../protocol/types.js";

export const LB_TRANSPORTS = ["poll", "long-poll", "stream", "sse", "ws", "stomp-ws", "stomp-sockjs"] as const;
export type LbTransport = (typeof LB_TRANSPORTS)[number];

const RETRY_MS = 50;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A subscriber that talks only to the load balancer and never gives up: on any error, end or close
 * it asks again after the last id it received, as a browser's client would. It keeps everything it
 * received, unfiltered (no cursor dedupe: a duplicate must show), and which instance served each
 * request or connection (X-Lab-Instance; SockJS hides the handshake's headers, so none for it).
 */
export class LbSubscriber {
  readonly messages: ChatMessage[] = [];
  readonly resets: ResetSignal[] = [];
  /** The instance of each answered request (polling) or opened connection (the others), in order. */
  readonly instances: string[] = [];
  /** Connections or requests that failed or ended and were made again. */
  reconnects = 0;
  errors: string[] = [];
  private stopped = false;
  private stopCurrent: () => void = () => undefined;
  private readonly agent = new Agent({ connections: 1, pipelining: 0 });
  private readonly done: Promise<void>;
  private connected: () => void = () => undefined;
  /** Settles once the first connection is open (or the first poll answered). */
  readonly ready: Promise<void>;

  constructor(
    readonly transport: LbTransport,
    private readonly url: string,
    private cursor: number,
  ) {
    this.ready = new Promise((resolve) => {
      this.connected = resolve;
    });
    this.done = this.run();
  }

  get ids(): number[] {
    return this.messages.map((m) => m.id);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopCurrent();
    await this.done;
    await this.agent.close();
  }

  private receive(frame: ServerFrame): void {
    if (!isControl(frame)) {
      this.messages.push(frame);
      this.cursor = Math.max(this.cursor, frame.id);
    } else if (frame.type === "reset") {
      this.resets.push(frame);
      this.cursor = frame.cursor;
    }
  }

  private opened(instance: string | string[] | undefined): void {
    if (typeof instance === "string") this.instances.push(instance);
    this.connected();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (this.transport === "poll" || this.transport === "long-poll") await this.poll();
        else await this.hold();
      } catch (error) {
        if (!this.stopped) this.errors.push(String(error instanceof Error ? error.message : error));
      }
      if (this.stopped) return;
      if (this.transport !== "poll" && this.transport !== "long-poll") this.reconnects++;
      await sleep(RETRY_MS);
    }
  }

  /** Polls on one keep-alive connection to the balancer, which sends each request to the next instance. */
  private async poll(): Promise<void> {
    while (!this.stopped) {
      const path = this.transport === "poll" ? `/api/poll?after=${this.cursor}` : `/api/long-poll?after=${this.cursor}&timeout=1000`;
      const abort = new AbortController();
      this.stopCurrent = () => abort.abort();
      const response = await request(`${this.url}${path}`, { dispatcher: this.agent, signal: abort.signal });
      if (response.statusCode !== 200) {
        await response.body.dump();
        this.reconnects++;
        this.errors.push(`HTTP ${response.statusCode}`);
        await sleep(RETRY_MS);
        continue;
      }
      const answer = (await response.body.json()) as PollResponse;
      this.opened(response.headers["x-lab-instance"]);
      if (answer.reset !== undefined) this.receive(answer.reset);
      for (const message of answer.messages) this.receive(message);
      this.cursor = answer.cursor;
      if (this.transport === "poll" && !answer.more) await sleep(20);
    }
  }

  /** One held connection, until it ends or fails. */
  private hold(): Promise<void> {
    switch (this.transport) {
      case "stream":
      case "sse":
        return this.stream(this.transport);
      case "ws":
        return this.webSocket();
      default:
        return this.stomp(this.transport as "stomp-ws" | "stomp-sockjs");
    }
  }

  private stream(mode: "stream" | "sse"): Promise<void> {
    return new Promise((resolve, reject) => {
      const ndjson = new NdjsonParser();
      const sse = new SseParser();
      const req = get(`${this.url}/api/${mode}?after=${this.cursor}`, (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          reject(new Error(`${mode}: HTTP ${response.statusCode}`));
          return;
        }
        this.opened(response.headers["x-lab-instance"]);
        response.on("data", (chunk: Buffer) => {
          if (mode === "stream") for (const frame of ndjson.push(chunk)) this.receive(frame);
          else
            for (const item of sse.push(chunk))
              if (item.kind === "event" && (item.event === "message" || item.event === "reset")) this.receive(JSON.parse(item.data) as ServerFrame);
        });
        response.once("end", () => resolve());
        response.once("error", reject);
        response.once("close", () => resolve());
      });
      req.once("error", reject);
      this.stopCurrent = () => req.destroy();
    });
  }

  private webSocket(): Promise<void> {
    return new Promise((resolve) => {
      const ws = new WebSocket(`${this.url.replace(/^http/, "ws")}/api/ws?after=${this.cursor}`);
      ws.once("upgrade", (response) => this.opened(response.headers["x-lab-instance"]));
      ws.on("message", (data) => this.receive(parseFrame(String(data))));
      ws.on("error", (error) => this.errors.push(error.message));
      ws.once("close", () => resolve());
      this.stopCurrent = () => ws.terminate();
    });
  }

  /** STOMP over a plain WebSocket or over SockJS's websocket transport: SUBSCRIBE with x-after on every connect. */
  private stomp(kind: "stomp-ws" | "stomp-sockjs"): Promise<void> {
    return new Promise((resolve) => {
      const client = new Client({
        webSocketFactory: () => {
          if (kind === "stomp-sockjs") return new SockJS(`${this.url}/chat`, null, { transports: ["websocket"] });
          const ws = new WebSocket(`${this.url.replace(/^http/, "ws")}/api/stomp`, ["v12.stomp"]);
          ws.once("upgrade", (response) => this.opened(response.headers["x-lab-instance"]));
          return ws;
        },
        reconnectDelay: 0,
        heartbeatIncoming: 0,
        heartbeatOutgoing: 0,
      });
      client.onConnect = () => {
        if (kind === "stomp-sockjs") this.opened(undefined);
        client.subscribe(
          "/topic/messages",
          // A reset comes as a MESSAGE (x-reset header) whose body is the reset signal itself.
          (message) => this.receive(JSON.parse(message.body) as ServerFrame),
          { "x-after": String(this.cursor) },
        );
      };
      client.onWebSocketClose = () => {
        void client.deactivate({ force: true });
        resolve();
      };
      client.onStompError = (frame) => this.errors.push(`STOMP ERROR ${frame.headers.message}`);
      this.stopCurrent = () => void client.deactivate({ force: true });
      client.activate();
    });
  }
}

/** POSTs through the balancer until it has `count` acknowledged messages; resolves with their ids. Refusals (503 while Redis is away, 502 from a killed instance) are retried and not counted. */
export class LbPublisher {
  readonly acked: number[] = [];
  readonly refused: string[] = [];
  private stopped = false;
  private readonly agent = new Agent({ connections: 2 });

  constructor(
    private readonly url: string,
    private readonly intervalMs: number,
  ) {}

  /** Publishes until `stop()`, one message at a time. */
  async run(until: () => boolean): Promise<void> {
    for (let i = 0; !this.stopped && !until(); i++) {
      try {
        const response = await request(`${this.url}/api/messages`, {
          method: "POST",
          dispatcher: this.agent,
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ from: "lb", text: `message ${i}`, nonce: `n${i}` }),
          headersTimeout: 5_000,
          bodyTimeout: 5_000,
        });
        const text = await response.body.text();
        if (response.statusCode === 201) this.acked.push((JSON.parse(text) as ChatMessage).id);
        else this.refused.push(`HTTP ${response.statusCode}`);
      } catch (error) {
        this.refused.push(String(error instanceof Error ? error.message : error));
      }
      await sleep(this.intervalMs);
    }
  }

  stop(): void {
    this.stopped = true;
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** The feed's last id, as the instance that answers through the balancer has it. */
export async function lastId(url: string): Promise<number> {
  const stats = (await (await request(`${url}/api/stats`)).body.json()) as { feed: { lastId: number } };
  return stats.feed.lastId;
}
