import { subscribePath } from "../../../protocol/endpoints.js";
import { parseFrame } from "../../../protocol/ndjson.js";
import { isControl, type AckSignal, type PublishRequest, type SendFrame, type ServerFrame } from "../../../protocol/types.js";
import { BaseTransport } from "./transport.js";

interface PendingSend {
  resolve(ack: AckSignal): void;
  reject(error: Error): void;
}

/** WebSocket: one text frame per message; publishing goes up the same socket and is acked. */
export class WsTransport extends BaseTransport {
  readonly kind = "ws" as const;
  private socket: WebSocket | undefined;
  private readonly pending = new Map<string, PendingSend>();
  private nextNonce = 0;

  /** Publish over the open socket; resolves with the server's ack (the stored id). */
  publish(request: PublishRequest): Promise<AckSignal> {
    const socket = this.socket;
    if (socket === undefined || socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new Error("WebSocket is not open"));
    }
    const nonce = request.nonce ?? `ws-${Date.now()}-${this.nextNonce++}`;
    const frame: SendFrame = { type: "send", from: request.from, text: request.text, nonce };
    return new Promise((resolve, reject) => {
      this.pending.set(nonce, { resolve, reject });
      socket.send(JSON.stringify(frame));
    });
  }

  protected open(gen: number): void {
    const path = subscribePath("ws", { after: this.cursor, client: this.clientId });
    const socket = new WebSocket(this.url(path, "ws"));
    this.socket = socket;
    socket.onopen = () => this.opened(gen);
    socket.onmessage = (event: MessageEvent<unknown>) => {
      if (typeof event.data !== "string") return;
      let frame: ServerFrame;
      try {
        frame = parseFrame(event.data);
      } catch {
        this.failed(gen);
        return;
      }
      if (isControl(frame) && (frame.type === "ack" || frame.type === "error")) {
        this.settle(frame.nonce, frame.type === "ack" ? frame : new Error(frame.message));
        return;
      }
      this.deliver(gen, frame);
    };
    socket.onclose = () => this.failed(gen);
  }

  protected teardown(): void {
    const socket = this.socket;
    this.socket = undefined;
    if (socket !== undefined) {
      socket.onopen = socket.onmessage = socket.onclose = null;
      socket.close(1000);
    }
    for (const send of this.pending.values()) send.reject(new Error("WebSocket closed before the ack"));
    this.pending.clear();
  }

  private settle(nonce: string | undefined, outcome: AckSignal | Error): void {
    if (nonce === undefined) return;
    const send = this.pending.get(nonce);
    if (send === undefined) return;
    this.pending.delete(nonce);
    if (outcome instanceof Error) send.reject(outcome);
    else send.resolve(outcome);
  }
}
