import http2, { type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type Settings } from "node:http2";
import { NdjsonParser } from "../../protocol/ndjson.js";
import { SseParser } from "../../protocol/sse.js";
import { type ChatMessage, isControl, type ServerFrame } from "../../protocol/types.js";
import { waitFor } from "./server.js";

export interface H2Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface H2ConnectOptions {
  /** SETTINGS sent to the server: `initialWindowSize` is how much it may send per stream unread. */
  settings?: Settings;
  /** Another loopback address (127.0.0.2) is another client as far as the server can tell. */
  localAddress?: string;
  /**
   * The connection's receive window (65,535 bytes unless set): a stream left unread holds its
   * share of it, so a test with one unread stream and one read must make room for both.
   */
  connectionWindow?: number;
}

/**
 * One HTTP/2 connection to the lab's TLS port (its development certificate is self-signed), as the
 * tests need it: requests with their whole answer, held streams read line by line or never read,
 * and what the connection saw end its streams (RST_STREAM codes) and itself (GOAWAY).
 */
export class H2Client {
  /** RST_STREAM error codes the server sent, by code (a clean end is not counted). */
  readonly resets = new Map<number, number>();
  /** Streams this client reset itself: their codes are not the server's. */
  private readonly cancelled = new WeakSet<ClientHttp2Stream>();
  /** The GOAWAY error code, once the server has sent one. */
  goaway: number | null = null;
  private constructor(readonly session: ClientHttp2Session) {
    session.on("goaway", (code) => (this.goaway = code));
    session.on("error", () => undefined);
  }

  static connect(url: string, options: H2ConnectOptions = {}): Promise<H2Client> {
    return new Promise((resolve, reject) => {
      const session = http2.connect(url, {
        rejectUnauthorized: false,
        settings: options.settings,
        localAddress: options.localAddress,
      } as http2.SecureClientSessionOptions);
      session.once("error", reject);
      session.once("connect", () => {
        session.off("error", reject);
        if (session.alpnProtocol !== "h2") return reject(new Error(`negotiated ${String(session.alpnProtocol)}, not h2`));
        if (options.connectionWindow !== undefined) session.setLocalWindowSize(options.connectionWindow);
        resolve(new H2Client(session));
      });
    });
  }

  get closed(): boolean {
    return this.session.closed || this.session.destroyed;
  }

  resetCount(code: number): number {
    return this.resets.get(code) ?? 0;
  }

  /** One request and its whole answer. */
  request(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<H2Answer> {
    return new Promise((resolve, reject) => {
      const stream = this.track(this.session.request({ ":method": method, ":path": path, ...headers }, { endStream: body === undefined }));
      if (body !== undefined) stream.end(body);
      let head: IncomingHttpHeaders = {};
      let text = "";
      stream.on("response", (h) => (head = h));
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => (text += chunk));
      stream.on("end", () => resolve({ status: Number(head[":status"]), headers: head, body: text }));
      stream.on("error", reject);
    });
  }

  get(path: string, headers: Record<string, string> = {}): Promise<H2Answer> {
    return this.request("GET", path, headers);
  }

  post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<H2Answer> {
    return this.request("POST", path, { "content-type": "application/json", ...headers }, JSON.stringify(body));
  }

  /**
   * Open a held stream and resolve once its response head has arrived. With `read: false` the
   * stream is never read: its bytes stay unacknowledged, so the server may send no more than the
   * stream's flow-control window and must buffer (or cut) the rest.
   */
  open(path: string, options: { headers?: Record<string, string>; read?: boolean } = {}): Promise<H2HeldStream> {
    const stream = this.track(this.session.request({ ":path": path, ...options.headers }));
    if (options.read === false) stream.pause();
    const held = new H2HeldStream(stream, path.startsWith("/api/sse") ? "sse" : "ndjson", options.read !== false, () => this.cancelled.add(stream));
    return new Promise((resolve, reject) => {
      stream.once("response", () => resolve(held));
      stream.once("close", () => reject(new Error(`${path}: stream closed before its response (RST code ${stream.rstCode})`)));
      stream.once("error", reject);
    });
  }

  close(): void {
    this.session.destroy();
  }

  private track(stream: ClientHttp2Stream): ClientHttp2Stream {
    stream.on("error", () => undefined);
    stream.once("close", () => {
      if (stream.rstCode !== undefined && stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR && !this.cancelled.has(stream)) {
        this.resets.set(stream.rstCode, this.resetCount(stream.rstCode) + 1);
      }
    });
    return stream;
  }
}

/** A held NDJSON or SSE stream over HTTP/2, its frames parsed as they arrive. */
export class H2HeldStream {
  readonly frames: ServerFrame[] = [];
  /** SSE comments (heartbeats) and NDJSON heartbeat lines. */
  heartbeats = 0;
  ended = false;
  closed = false;
  private head: IncomingHttpHeaders = {};

  constructor(
    readonly stream: ClientHttp2Stream,
    format: "ndjson" | "sse",
    read: boolean,
    private readonly onCancel: () => void,
  ) {
    stream.once("response", (head) => (this.head = head));
    const ndjson = new NdjsonParser();
    const sse = new SseParser();
    if (read) {
      stream.on("data", (chunk: Buffer) => {
        if (format === "ndjson") {
          for (const frame of ndjson.push(chunk)) this.take(frame);
          return;
        }
        for (const item of sse.push(chunk)) {
          if (item.kind === "comment") this.heartbeats++;
          else if (item.kind === "event") this.take(JSON.parse(item.data) as ServerFrame);
        }
      });
    }
    stream.once("end", () => (this.ended = true));
    stream.once("close", () => (this.closed = true));
  }

  get status(): number {
    return Number(this.head[":status"]);
  }

  get headers(): IncomingHttpHeaders {
    return this.head;
  }

  /** The RST_STREAM code it ended with (NO_ERROR for a clean end), once closed. */
  get rstCode(): number | undefined {
    return this.stream.rstCode;
  }

  /** Chat messages received (control frames left out). */
  get messages(): ChatMessage[] {
    return this.frames.filter((frame): frame is ChatMessage => !isControl(frame));
  }

  waitFor(check: (stream: H2HeldStream) => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    return waitFor(() => check(this), what, timeoutMs);
  }

  /** Reset the stream from this side (CANCEL), as a browser does when a tab stops listening. */
  close(): void {
    this.onCancel();
    this.stream.close(http2.constants.NGHTTP2_CANCEL);
  }

  private take(frame: ServerFrame): void {
    if (isControl(frame) && frame.type === "heartbeat") this.heartbeats++;
    else this.frames.push(frame);
  }
}
