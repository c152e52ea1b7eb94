import { describe, expect, it } from "vitest";
import { checkFdLimit, parseFdLimits } from "../../../scripts/bench/scale/fd-limit.js";

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 20000                files
Max locked memory         8388608              8388608              bytes
`;

describe("file-descriptor limit", () => {
  it("reads the soft and hard limits from /proc/<pid>/limits", () => {
    expect(parseFdLimits(LIMITS)).toEqual({ soft: 1024, hard: 20_000 });
    expect(parseFdLimits("Max open files            unlimited            unlimited            files\n")).toEqual({ soft: Infinity, hard: Infinity });
    expect(parseFdLimits("nothing here")).toEqual({ soft: null, hard: null });
  });

  it("goes ahead when the soft limit covers the need", () => {
    expect(checkFdLimit({ soft: 20_000, hard: 20_000 }, 10_256, 10_000)).toEqual({ kind: "ok" });
  });

  it("raises the soft limit to the hard one when only the soft limit is in the way", () => {
    const check = checkFdLimit({ soft: 1024, hard: 20_000 }, 10_256, 10_000);
    expect(check.kind).toBe("raise");
    if (check.kind === "raise") expect(check.to).toBe(20_000);
  });

  it("refuses with what to raise when the hard limit is too low", () => {
    const check = checkFdLimit({ soft: 1024, hard: 4096 }, 10_256, 10_000);
    expect(check.kind).toBe("refuse");
    if (check.kind === "refuse") {
      expect(check.message).toContain("10,256 file descriptors in each process");
      expect(check.message).toContain("hard limit is 4096");
      expect(check.message).toContain("ulimit -Hn 10256");
      expect(check.message).toContain("LimitNOFILE=");
    }
  });

  it("says it cannot tell where the limits are unreadable", () => {
    expect(checkFdLimit({ soft: null, hard: null }, 10_256, 10_000).kind).toBe("unknown");
  });
});
