import { SingleBar } from "cli-progress";
import type { BenchEvents, Tick } from "./events.js";

/**
 * Shows a run's progress on stderr: a bar on a terminal, a plain line every few seconds otherwise.
 * It only listens to the bench's events; returns a function that stops listening.
 */
export function showProgress(events: BenchEvents, stream: NodeJS.WriteStream = process.stderr): () => void {
  const label = (t: Tick): string => `${(t.transport ?? "").padEnd(9)} ${t.stage.padEnd(15)}`;
  const messages = (t: Tick): string => (t.expected > 0 ? `${t.delivered}/${t.expected} deliveries` : "");
  if (stream.isTTY) {
    const bar = new SingleBar({
      stream,
      format: "{label} [{bar}] {percentage}% | {messages}",
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
    });
    bar.start(100, 0, { label: "", messages: "" });
    const onTick = (t: Tick): void => bar.update(Math.round(t.fraction * 100), { label: label(t), messages: messages(t) });
    const onLog = (line: string): void => {
      stream.write(`\r\x1b[K${line}\n`);
    };
    events.on("tick", onTick);
    events.on("log", onLog);
    return () => {
      events.off("tick", onTick);
      events.off("log", onLog);
      bar.stop();
    };
  }
  let lastLine = 0;
  let lastStage = "";
  const onTick = (t: Tick): void => {
    const key = `${t.transport ?? ""}:${t.stage}`;
    if (key === lastStage && Date.now() - lastLine < 5_000) return;
    lastStage = key;
    lastLine = Date.now();
    stream.write(`${label(t)} ${(t.fraction * 100).toFixed(0).padStart(3)}% ${messages(t)}\n`);
  };
  const onLog = (line: string): void => {
    stream.write(`${line}\n`);
  };
  events.on("tick", onTick);
  events.on("log", onLog);
  return () => {
    events.off("tick", onTick);
    events.off("log", onLog);
  };
}
