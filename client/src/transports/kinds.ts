import {
  SOCKJS_SUB_TRANSPORTS,
  STOMP_LABELS,
  STOMP_TRANSPORTS,
  TRANSPORT_LABELS,
  TRANSPORTS,
  type SockjsSubTransport,
  type StompTransport,
  type Transport,
} from "../../../protocol/types.js";

/** What the dashboard can subscribe with: the five transports, then STOMP over its two carriers. */
export const CHAT_TRANSPORTS = [...TRANSPORTS, ...STOMP_TRANSPORTS] as const;
export type ChatTransport = Transport | StompTransport;

export const CHAT_LABELS: Record<ChatTransport, string> = { ...TRANSPORT_LABELS, ...STOMP_LABELS };

export function isChatTransport(value: string): value is ChatTransport {
  return (CHAT_TRANSPORTS as readonly string[]).includes(value);
}

/** The SockJS sub-transports a browser can be restricted to (all four the server offers at /chat). */
export const SOCKJS_CHOICES: readonly SockjsSubTransport[] = SOCKJS_SUB_TRANSPORTS;

export function isSockjsChoice(value: string): value is SockjsSubTransport {
  return (SOCKJS_CHOICES as readonly string[]).includes(value);
}

/**
 * The SockJS sub-transport this tab uses for "STOMP over SockJS": chosen in the chat, read by the
 * race when it starts. One value per tab, so both views measure the same thing.
 */
export class SockjsChoice {
  private value: SockjsSubTransport = "websocket";
  private readonly listeners = new Set<(value: SockjsSubTransport) => void>();

  get current(): SockjsSubTransport {
    return this.value;
  }

  set(value: SockjsSubTransport): void {
    if (value === this.value) return;
    this.value = value;
    for (const listener of this.listeners) listener(value);
  }

  onChange(listener: (value: SockjsSubTransport) => void): void {
    this.listeners.add(listener);
  }
}

export const sockjsChoice = new SockjsChoice();

/** "STOMP over SockJS (xhr-streaming)": the label with the sub-transport in use. */
export function labelOf(kind: ChatTransport, sockjs: SockjsSubTransport = sockjsChoice.current): string {
  return kind === "stomp-sockjs" ? `${CHAT_LABELS[kind]} (${sockjs})` : CHAT_LABELS[kind];
}
