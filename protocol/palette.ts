import type { StompTransport, Transport } from "./types.js";

/**
 * One colour per transport, for every chart and swatch the lab draws: the dashboard's views and the
 * benchmark reports (HTML charts and PNGs) both read this table, so a transport looks the same
 * wherever it appears. Dark enough to read as text on white and told apart by hue.
 */
export const TRANSPORT_COLORS: Record<Transport | StompTransport, string> = {
  poll: "#d9480f",
  "long-poll": "#b08900",
  stream: "#2b8a3e",
  sse: "#1971c2",
  ws: "#9c36b5",
  "stomp-ws": "#0c8599",
  "stomp-sockjs": "#e64980",
};
