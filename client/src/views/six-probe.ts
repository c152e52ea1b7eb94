import { subscribePath } from "../../../protocol/endpoints.js";
import { parseFrame } from "../../../protocol/ndjson.js";
import { isControl, type ServerFrame } from "../../../protocol/types.js";
import { readNdjson } from "../transports/stream.js";

export type ProbeKind = "sse" | "stream";

/** Where one subscription of the experiment stands, as this tab saw it (times from `performance.now()`). */
export interface ProbeStatus {
  readonly index: number;
  /** When the subscription was asked for. */
  readonly startedAt: number;
  /** When its response started (EventSource `open`, `fetch` resolved); undefined while it waits. */
  openedAt: number | undefined;
  /** When the experiment's message arrived on it. */
  receivedAt: number | undefined;
  /** Why it ended early (an error answer, a broken stream). */
  failed: string | undefined;
}

/**
 * One subscription of the six-connections experiment: a bare EventSource or NDJSON `fetch`, not the
 * chat's transport clients, because those reconnect by themselves and this experiment must show a
 * request that waits as waiting. It only reports when its response started and whether the message
 * with the awaited nonce came; `close()` ends it, waiting or open.
 */
export class Probe {
  readonly status: ProbeStatus;
  private awaited: string | undefined;
  private source: EventSource | undefined;
  private controller: AbortController | undefined;

  constructor(
    index: number,
    private readonly kind: ProbeKind,
    private readonly path: string,
    private readonly changed: () => void,
  ) {
    this.status = { index, startedAt: performance.now(), openedAt: undefined, receivedAt: undefined, failed: undefined };
  }

  /** Subscribe after `after` (so the history is not replayed) as client `client`. */
  static open(index: number, kind: ProbeKind, after: number | undefined, client: string, changed: () => void): Probe {
    const probe = new Probe(index, kind, subscribePath(kind, { after, client }), changed);
    probe.start();
    return probe;
  }

  /** The nonce of the message this probe waits for (it may have arrived before the publish answered). */
  await(nonce: string): void {
    this.awaited = nonce;
  }

  close(): void {
    this.source?.close();
    this.source = undefined;
    this.controller?.abort();
    this.controller = undefined;
  }

  private start(): void {
    if (this.kind === "sse") {
      const source = new EventSource(this.path);
      this.source = source;
      source.onopen = () => this.opened();
      source.onmessage = (event: MessageEvent<string>) => this.frame(parseFrame(event.data));
      // EventSource would retry by itself; an experiment counts the failure instead.
      source.onerror = () => this.fail("the stream failed or was refused");
    } else {
      void this.fetchStream();
    }
  }

  private async fetchStream(): Promise<void> {
    const controller = new AbortController();
    this.controller = controller;
    try {
      const response = await fetch(this.path, { signal: controller.signal, cache: "no-store" });
      if (!response.ok || response.body === null) throw new Error(`answered ${response.status}`);
      this.opened();
      await readNdjson(response.body, (frame) => {
        this.frame(frame);
        return this.controller === controller;
      });
      if (this.controller === controller) this.fail("the stream ended");
    } catch (error) {
      if (this.controller === controller) this.fail(error instanceof Error ? error.message : String(error));
    }
  }

  private opened(): void {
    this.status.openedAt ??= performance.now();
    this.changed();
  }

  private frame(frame: ServerFrame): void {
    if (isControl(frame) || this.status.receivedAt !== undefined || frame.nonce === undefined) return;
    if (frame.nonce !== this.awaited) return;
    this.status.receivedAt = performance.now();
    this.changed();
  }

  private fail(reason: string): void {
    this.close();
    this.status.failed = reason;
    this.changed();
  }
}
