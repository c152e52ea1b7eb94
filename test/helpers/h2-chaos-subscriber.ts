import http2, { type ClientHttp2Session } from "node:http2";
import { CursorTracker } from "../../protocol/cursor.js";
import { NdjsonParser } from "../../protocol/ndjson.js";
import { SseParser } from "../../protocol/sse.js";
import { isControl, type PollResponse, type ServerFrame, type Transport } from "../../protocol/types.js";

type Outcome = "answered" | "killed" | "ended";

export interface H2ChaosOptions {
  transport: Exclude<Transport, "ws">;
  /** The server's TLS URL (HTTP/2 by ALPN). */
  url: string;
  after: number;
  /** Chance, per chunk of bytes received, that the client cuts inside that chunk. */
  cutProbability: number;
  random: () => number;
  longPollMs?: number;
}

/**
 * ChaosSubscriber (chaos-subscriber.ts) over HTTP/2: it keeps reconnecting from its last delivered
 * id on one connection of its own, and cuts at random inside a chunk of bytes. Most cuts reset the
 * stream alone (RST_STREAM CANCEL, what a browser does when a tab drops a request); one in four
 * drops the whole connection, and the next request opens a new one. Server-side drops
 * (`/api/admin/drop`) reach it as a reset of its stream.
 */
export class H2ChaosSubscriber {
  readonly delivered: number[] = [];
  readonly cursor: CursorTracker;
  connections = 0;
  clientKills = 0;
  serverEnds = 0;
  refusals = 0;
  private session: ClientHttp2Session | null = null;
  private running = false;
  private cancel: (() => void) | null = null;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly options: H2ChaosOptions) {
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
    this.session?.destroy();
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.connections++;
      const outcome = await this.once().catch((): Outcome => "ended");
      if (outcome === "killed") this.clientKills++;
      else if (outcome === "ended" && this.running) this.serverEnds++;
      const pause = outcome !== "answered" ? 2 + this.options.random() * 20 : this.transport === "poll" ? 2 + this.options.random() * 20 : 0;
      if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  private connected(): Promise<ClientHttp2Session> {
    const current = this.session;
    if (current !== null && !current.closed && !current.destroyed) return Promise.resolve(current);
    return new Promise((resolve, reject) => {
      const session = http2.connect(this.options.url, { rejectUnauthorized: false });
      session.on("error", () => undefined);
      session.once("connect", () => resolve(session));
      session.once("close", () => reject(new Error("connection closed before it was set up")));
      this.session = session;
    });
  }

  private onFrame(frame: ServerFrame): void {
    if (isControl(frame)) {
      if (frame.type === "reset") this.cursor.reset(frame);
      return;
    }
    if (this.cursor.accept(frame)) this.delivered.push(frame.id);
  }

  private cutAt(length: number): number | null {
    if (length === 0 || this.options.random() >= this.options.cutProbability) return null;
    return Math.floor(this.options.random() * length);
  }

  private async once(): Promise<Outcome> {
    const session = await this.connected();
    const after = String(this.cursor.after);
    const { transport } = this.options;
    const path =
      transport === "poll"
        ? `/api/poll?after=${after}`
        : transport === "long-poll"
          ? `/api/long-poll?after=${after}&timeout=${this.options.longPollMs ?? 1_000}`
          : transport === "stream"
            ? `/api/stream?after=${after}`
            : "/api/sse";
    // SSE resumes the way a browser does: the last event id in the Last-Event-ID header.
    const headers = transport === "sse" ? { "last-event-id": after } : {};
    const ndjson = new NdjsonParser();
    const sse = new SseParser();
    const body: Buffer[] = [];
    const take = (chunk: Buffer): void => {
      if (transport === "poll" || transport === "long-poll") body.push(chunk);
      else if (transport === "stream") for (const frame of ndjson.push(chunk)) this.onFrame(frame);
      else for (const item of sse.push(chunk)) if (item.kind === "event") this.onFrame(JSON.parse(item.data) as ServerFrame);
    };
    return new Promise((resolve) => {
      const stream = session.request({ ":path": path, ...headers });
      let status = 0;
      let killed = false;
      let complete = false;
      stream.on("response", (head) => {
        status = Number(head[":status"]);
        if (status !== 200) this.refusals++;
      });
      stream.on("data", (chunk: Buffer) => {
        if (killed || status !== 200) return;
        const cut = this.cutAt(chunk.length);
        if (cut === null) return take(chunk);
        take(chunk.subarray(0, cut));
        killed = true;
        if (this.options.random() < 0.25) session.destroy();
        else stream.close(http2.constants.NGHTTP2_CANCEL);
      });
      stream.on("end", () => {
        if (!killed) complete = true;
      });
      stream.on("error", () => undefined);
      stream.on("close", () => {
        if (killed) return resolve("killed");
        if (status !== 200 || !complete) return resolve("ended");
        if (transport !== "poll" && transport !== "long-poll") return resolve("ended");
        // A torn body is not JSON; only a complete answer is delivered.
        const answer = JSON.parse(Buffer.concat(body).toString()) as PollResponse;
        if (answer.reset !== undefined) this.onFrame(answer.reset);
        for (const message of answer.messages) this.onFrame(message);
        resolve("answered");
      });
      this.cancel = () => stream.close(http2.constants.NGHTTP2_CANCEL);
    });
  }
}
