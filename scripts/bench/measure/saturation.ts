import type { ThreadLoad } from "../results.js";

/** Above these the generator, not the server, may be what the figures measure. */
export const SATURATION = { elu: 0.9, delayP99Ms: 50, publishLagP99Ms: 20, coreShare: 0.9 } as const;

export interface SaturationInput {
  threads: ThreadLoad[];
  publishLagP99Ms: number;
  cpuMs: number;
  wallMs: number;
  cores: number;
}

/** Reasons to distrust a window's figures because the load generator itself was the bottleneck. */
export function saturationReasons(input: SaturationInput): string[] {
  const reasons: string[] = [];
  for (const t of input.threads) {
    if (t.elu > SATURATION.elu) reasons.push(`${t.name} event loop busy ${(t.elu * 100).toFixed(0)}% of the window`);
    if (t.delayP99Ms > SATURATION.delayP99Ms) reasons.push(`${t.name} event-loop delay p99 ${t.delayP99Ms.toFixed(1)} ms`);
  }
  if (input.publishLagP99Ms > SATURATION.publishLagP99Ms) {
    reasons.push(`publisher sent ${input.publishLagP99Ms.toFixed(1)} ms behind schedule at p99`);
  }
  const cores = input.wallMs > 0 ? input.cpuMs / input.wallMs : 0;
  if (cores > SATURATION.coreShare * input.cores) reasons.push(`generator used ${cores.toFixed(2)} of ${input.cores} cores`);
  return reasons;
}
