import { EventEmitter } from "node:events";
import type { BenchTransport } from "./transports.js";

export type Stage = "starting server" | "connecting" | "warmup" | "measuring" | "draining" | "closing" | "autocannon" | "done";

export interface Tick {
  transport: BenchTransport | null;
  stage: Stage;
  /** 0..1 of the current transport's measured window. */
  fraction: number;
  delivered: number;
  expected: number;
}

/**
 * What a running bench tells the outside: the progress display only listens, it never sits inside
 * the measuring loop.
 */
export class BenchEvents extends EventEmitter<{ tick: [Tick]; log: [string] }> {
  tick(tick: Tick): void {
    this.emit("tick", tick);
  }

  log(line: string): void {
    this.emit("log", line);
  }
}
