import { WebSocket } from "ws";
import type { StompFrame } from "../../server/stomp/frame.js";
import { StompParser } from "../../server/stomp/parser.js";

/**
 * A raw STOMP client over a WebSocket for tests: sends bytes as given, and reads the server's frames
 * with the lab's own parser (heart-beats counted apart), so a test sees exactly what was sent.
 */
export class RawStomp {
  readonly frames: StompFrame[] = [];
  heartbeats = 0;
  /** Bytes of every WebSocket message received, as received. */
  readonly received: Buffer[] = [];
  closeCode: number | null = null;
  readonly closed: Promise<number>;
  private readonly parser = new StompParser({ maxHeadBytes: 1 << 20, maxHeaders: 64, maxBodyBytes: 1 << 20 });
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data: Buffer) => {
      this.received.push(data);
      for (const event of this.parser.push(data)) {
        if (event.type === "frame") this.frames.push(event.frame);
        else if (event.type === "heartbeat") this.heartbeats++;
        else throw new Error(`server sent a broken frame: ${event.message}`);
      }
      this.wake();
    });
    this.closed = new Promise((resolve) =>
      socket.once("close", (code) => {
        this.closeCode = code;
        this.wake();
        resolve(code);
      }),
    );
  }

  static async open(url: string, protocols: string[] = ["v12.stomp"], headers: Record<string, string> = {}): Promise<RawStomp> {
    const socket = new WebSocket(url, protocols, { headers });
    const client = new RawStomp(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    return client;
  }

  send(bytes: string | Buffer): void {
    this.socket.send(typeof bytes === "string" ? Buffer.from(bytes) : bytes);
  }

  /** CONNECT and wait for CONNECTED. */
  async connect(heartBeat = "0,0"): Promise<StompFrame> {
    this.send(`CONNECT\naccept-version:1.2\nhost:localhost\nheart-beat:${heartBeat}\n\n\0`);
    return this.nextFrame();
  }

  /** The next frame not yet taken. */
  private taken = 0;
  async nextFrame(timeoutMs = 3_000): Promise<StompFrame> {
    await this.until(() => this.frames.length > this.taken, "a frame", timeoutMs);
    return this.frames[this.taken++] as StompFrame;
  }

  async until(check: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      if (this.closeCode !== null && !check()) throw new Error(`connection closed (${this.closeCode}) while waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.close();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

export function header(frame: StompFrame, name: string): string | undefined {
  return frame.headers.find(([key]) => key === name)?.[1];
}
