import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from "chart.js";
import type { ChatTransport } from "./transports/kinds.js";

// Only the parts the dashboard draws, so the bundle carries no unused chart types.
Chart.register(LineController, LineElement, PointElement, BarController, BarElement, LinearScale, CategoryScale, Legend, Tooltip);

export { Chart };

/** One colour per transport, used by every chart and legend on the page. */
export const TRANSPORT_COLORS: Record<ChatTransport, string> = {
  poll: "#d9480f",
  "long-poll": "#b08900",
  stream: "#2b8a3e",
  sse: "#1971c2",
  ws: "#9c36b5",
  "stomp-ws": "#0c8599",
  "stomp-sockjs": "#e64980",
};
