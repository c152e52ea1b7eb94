import { createCanvas } from "@napi-rs/canvas";
import { Chart, registerables, type ChartConfiguration, type Plugin } from "chart.js";

Chart.register(...registerables);

/** PNGs have no page behind them: paint the background, or viewers show black or a checkerboard. */
const whiteBackground: Plugin = {
  id: "white-background",
  beforeDraw(chart) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

/** One chart.js configuration drawn on a @napi-rs/canvas, without a browser. */
export async function renderPng(config: ChartConfiguration, width = 960, height = 480): Promise<Buffer> {
  const canvas = createCanvas(width, height);
  // chart.js only draws on the context; @napi-rs/canvas implements the 2D context API it uses.
  const context = canvas.getContext("2d") as unknown as CanvasRenderingContext2D;
  const chart = new Chart(context, {
    ...config,
    options: { ...config.options, animation: false, responsive: false, devicePixelRatio: 1 },
    plugins: [whiteBackground],
  });
  const png = await canvas.encode("png");
  chart.destroy();
  return png;
}
