import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Tooltip,
} from "chart.js";

// Only the parts the dashboard draws, so the bundle carries no unused chart types.
Chart.register(LineController, LineElement, PointElement, BarController, BarElement, LinearScale, LogarithmicScale, CategoryScale, Legend, Tooltip);

export { Chart };

/** One colour per transport, shared with the benchmark reports (protocol/palette.ts). */
export { TRANSPORT_COLORS } from "../../protocol/palette.js";
