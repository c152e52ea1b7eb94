import { subscribePath } from "../../../protocol/endpoints.js";
import { NdjsonParser } from "../../../protocol/ndjson.js";
import type { ServerFrame } from "../../../protocol/types.js";
import { BaseTransport } from "./transport.js";

/**
 * Reads an NDJSON body to its end, handing over each frame as soon as its line is complete.
 * Chunk boundaries fall anywhere (inside a line, inside a UTF-8 character); the parser keeps the
 * partial rest. Returns when the body ends; throws when it breaks or holds a bad line.
 */
export async function readNdjson(body: ReadableStream<Uint8Array>, onFrame: (frame: ServerFrame) => boolean): Promise<void> {
  const parser = new NdjsonParser();
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      for (const frame of parser.push(value)) {
        // The consumer may have stopped (transport closed) between two frames of one chunk.
        if (!onFrame(frame)) return;
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/** HTTP streaming: one long `fetch` whose chunked NDJSON body is read with a ReadableStream reader. */
export class StreamTransport extends BaseTransport {
  readonly kind = "stream" as const;
  private controller: AbortController | undefined;

  protected open(gen: number): void {
    void this.run(gen);
  }

  protected teardown(): void {
    this.controller?.abort();
    this.controller = undefined;
  }

  private async run(gen: number): Promise<void> {
    const controller = new AbortController();
    this.controller = controller;
    try {
      const path = subscribePath("stream", { after: this.cursor, client: this.clientId });
      const response = await fetch(this.url(path), { signal: controller.signal, cache: "no-store" });
      if (!response.ok || response.body === null) throw new Error(`stream answered ${response.status}`);
      this.opened(gen);
      await readNdjson(response.body, (frame) => {
        this.deliver(gen, frame);
        return this.isCurrent(gen);
      });
    } catch {
      // Aborted, cut or malformed: all end the same way, a reconnect from the cursor.
    }
    this.failed(gen);
  }
}
