import { Ajv } from "ajv";
import type { PublishRequest, StompTransport } from "../../protocol/types.js";
import type { LabDeps } from "../deps.js";
import { publishBody } from "../schemas.js";
import { StompDeliveries } from "./deliveries.js";
import { type SessionContext, type StompCarrier, StompSession } from "./session.js";

/**
 * Every STOMP session of one endpoint, and the one timer that runs their heart-beats while there
 * are any: no timer per connection. Every negotiated interval is at least `heartbeatMs` (the server
 * offers that much both ways, and the larger side wins), so a sweep every quarter of it keeps each
 * beat within its interval.
 */
export class StompSessions {
  private readonly live = new Set<StompSession>();
  private readonly context: SessionContext;
  private readonly periodMs: number;
  private timer: NodeJS.Timeout | null = null;

  constructor(deps: LabDeps, transport: StompTransport, wrap: (frame: Buffer) => Buffer, onInternalError: (error: unknown) => void) {
    const { config } = deps;
    this.periodMs = Math.max(1, Math.floor(config.heartbeatMs / 4));
    this.context = {
      deps,
      deliveries: new StompDeliveries(deps, transport, wrap),
      validateSend: new Ajv({ coerceTypes: false, allErrors: false }).compile<PublishRequest>(publishBody(config)),
      // The same limits as `POST /api/messages` (a body) and a WebSocket message (a whole frame).
      limits: { maxHeadBytes: 8 * 1024, maxHeaders: 32, maxBodyBytes: Math.min(config.bodyLimit, config.wsMaxPayload) },
      onInternalError,
    };
  }

  get size(): number {
    return this.live.size;
  }

  open(carrier: StompCarrier): StompSession {
    const session = new StompSession(this.context, carrier, (closed) => this.forget(closed));
    this.live.add(session);
    this.timer ??= setInterval(() => {
      for (const each of this.live) each.sweep(this.periodMs);
    }, this.periodMs).unref();
    return session;
  }

  /** Server shutdown: end every connection cleanly. */
  endAll(): void {
    for (const session of [...this.live]) session.end();
  }

  private forget(session: StompSession): void {
    this.live.delete(session);
    if (this.live.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}
