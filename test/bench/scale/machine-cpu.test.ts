import { describe, expect, it } from "vitest";
import { machineCpu, parseProcStat } from "../../../scripts/bench/scale/machine-cpu.js";

describe("machine CPU from /proc/stat", () => {
  it("counts everything but idle and iowait as busy", () => {
    const text = "cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 50 0 25 400 25 0 0 0 0 0\n";
    expect(parseProcStat(text)).toEqual({ busy: 150, total: 1000 });
    expect(parseProcStat("intr 1 2 3")).toBeNull();
  });

  it("turns two readings into busy core-milliseconds over the window", () => {
    const before = { busy: 1_000, total: 10_000 };
    const after = { busy: 1_750, total: 11_000 };
    // 75% of all cores' time busy, 2 cores, 2 s: 3 s of one core.
    expect(machineCpu(before, after, 2, 2_000)).toEqual({ busyMs: 3_000, wallMs: 2_000 });
    expect(machineCpu(null, after, 2, 2_000)).toBeNull();
    expect(machineCpu(after, after, 2, 2_000)).toBeNull();
  });
});
