import http from "node:http";
import { request } from "undici";
import WebSocket from "ws";
import { CursorTracker } from "../../protocol/cursor.js";
import { NdjsonParser } from "../../protocol/ndjson.js";
import { SseParser } from "../../protocol/sse.js";
import {
  isControl,
  type ChatMessage,
  type ControlSignal,
  type PollResponse,
  type ResetSignal,
  type ServerFrame,
  type Transport,
} from "../../protocol/types.js";
import { waitFor } from "./server.js";

/**
 * A Node subscriber for any transport, as the tests need it: it records every message and control
 * signal exactly as received (duplicates included, so tests can prove there are none) and keeps a
 * cursor so that `reconnect()` resumes after the last message it saw.
 */
export class TestSubscriber {
  readonly messages: ChatMessage[] = [];
  readonly controls: ControlSignal[] = [];
  readonly cursor: CursorTracker;
  private stopCurrent: (() => void) | null = null;
  private closed = false;

  constructor(
    readonly transport: Transport,
    private readonly baseUrl: string,
    after?: number,
    private readonly client?: string,
  ) {
    this.cursor = new CursorTracker(after);
  }

  get resets(): ResetSignal[] {
    return this.controls.filter((c): c is ResetSignal => c.type === "reset");
  }

  /** Open (or re-open) the connection from the current cursor. Resolves once connected. */
  async connect(): Promise<void> {
    this.closed = false;
    const url = this.url();
    switch (this.transport) {
      case "poll":
      case "long-poll":
        this.stopCurrent = this.pollLoop();
        return;
      case "stream":
      case "sse":
        this.stopCurrent = await this.openStream(url);
        return;
      case "ws":
        this.stopCurrent = await this.openWs(url);
        return;
    }
  }

  /** Drop the connection abruptly, then resume from the cursor. */
  async reconnect(): Promise<void> {
    this.stopCurrent?.();
    await this.connect();
  }

  close(): void {
    this.closed = true;
    this.stopCurrent?.();
    this.stopCurrent = null;
  }

  waitForMessages(count: number, timeoutMs = 10_000): Promise<void> {
    return waitFor(() => this.messages.length >= count, `${this.transport}: ${count} messages (have ${this.messages.length})`, timeoutMs);
  }

  waitForControl(type: ControlSignal["type"], timeoutMs = 10_000): Promise<void> {
    return waitFor(() => this.controls.some((c) => c.type === type), `${this.transport}: a ${type} signal`, timeoutMs);
  }

  private url(): string {
    const path = this.transport === "ws" ? "ws" : this.transport;
    const params = new URLSearchParams();
    if (this.cursor.after !== undefined) params.set("after", String(this.cursor.after));
    if (this.client !== undefined) params.set("client", this.client);
    const query = params.size > 0 ? `?${params}` : "";
    return `${this.baseUrl}/api/${path}${query}`;
  }

  private onFrame(frame: ServerFrame): void {
    if (isControl(frame)) {
      this.controls.push(frame);
      if (frame.type === "reset") this.cursor.reset(frame);
      return;
    }
    this.messages.push(frame);
    this.cursor.accept(frame);
  }

  private pollLoop(): () => void {
    const abort = new AbortController();
    const run = async (): Promise<void> => {
      while (!abort.signal.aborted && !this.closed) {
        const { statusCode, body } = await request(this.url(), { signal: abort.signal });
        const answer = (await body.json()) as PollResponse;
        if (statusCode !== 200) throw new Error(`${this.transport} answered ${statusCode}: ${JSON.stringify(answer)}`);
        if (answer.reset !== undefined) this.onFrame(answer.reset);
        for (const message of answer.messages) this.onFrame(message);
        if (this.transport === "poll" && !answer.more) await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    run().catch((error: unknown) => {
      if (!abort.signal.aborted) throw error;
    });
    return () => abort.abort();
  }

  private openStream(url: string): Promise<() => void> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      const ndjson = new NdjsonParser();
      const sse = new SseParser();
      const req = http.get(url, { headers, agent: false }, (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`${this.transport} answered ${res.statusCode}`));
          res.resume();
          return;
        }
        res.on("data", (chunk: Buffer) => {
          if (this.transport === "stream") {
            for (const frame of ndjson.push(chunk)) this.onFrame(frame);
            return;
          }
          for (const item of sse.push(chunk)) {
            if (item.kind !== "event") continue;
            this.onFrame(JSON.parse(item.data) as ServerFrame);
          }
        });
        res.on("error", () => undefined);
        resolve(() => req.destroy());
      });
      req.on("error", (error) => reject(error));
    });
  }

  private openWs(url: string): Promise<() => void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url.replace(/^http/, "ws"));
      ws.on("message", (data) => this.onFrame(JSON.parse(String(data)) as ServerFrame));
      ws.on("open", () => resolve(() => ws.terminate()));
      ws.on("error", (error) => reject(error));
    });
  }
}

export async function publish(baseUrl: string, text: string, from = "test", nonce?: string): Promise<ChatMessage> {
  const { statusCode, body } = await request(`${baseUrl}/api/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(nonce === undefined ? { from, text } : { from, text, nonce }),
  });
  const answer = (await body.json()) as ChatMessage;
  if (statusCode !== 201) throw new Error(`publish answered ${statusCode}: ${JSON.stringify(answer)}`);
  return answer;
}
