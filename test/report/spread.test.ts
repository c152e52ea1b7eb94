import { describe, expect, it } from "vitest";
import { ms } from "../../scripts/report/format.js";
import { rank, ratioText } from "../../scripts/report/rank.js";
import { overlaps, ratioOf, spreadOf, withSpread, type Spread } from "../../scripts/report/spread.js";

const s = (median: number, min: number, max: number, n = 3): Spread => ({ median, min, max, n });
const rated = (label: string, spread: Spread) => ({ label, spread });

describe("spread across repeats", () => {
  it("takes the median and the range, for odd and even counts", () => {
    expect(spreadOf([5, 1, 3])).toEqual({ median: 3, min: 1, max: 5, n: 3 });
    expect(spreadOf([4, 1, 3, 10])).toEqual({ median: 3.5, min: 1, max: 10, n: 4 });
    expect(spreadOf([7])).toEqual({ median: 7, min: 7, max: 7, n: 1 });
    expect(() => spreadOf([])).toThrow();
  });

  it("writes the range beside the value, once per unit, and nothing for one repeat", () => {
    expect(withSpread(s(4.13, 3.9, 4.62), ms)).toBe("4.13 ms (3.90–4.62)");
    expect(withSpread(s(4.13, 3.9, 4.62, 1), ms)).toBe("4.13 ms");
    expect(withSpread(s(205, 205, 205), (v) => `${v} B`)).toBe("205 B (±0)");
    expect(withSpread(s(1000, 900, 1200), (v) => (v >= 1000 ? `${v / 1000} kB` : `${v} B`))).toBe("1 kB (900 B–1.2 kB)");
  });

  it("treats ranges that touch as overlapping", () => {
    expect(overlaps(s(2, 1, 3), s(4, 3, 5))).toBe(true);
    expect(overlaps(s(2, 1, 2.9), s(4, 3, 5))).toBe(false);
    expect(overlaps(s(0, 0, 0), s(0, 0, 0))).toBe(true);
  });

  it("gives the ratio of medians with its widest range, and ∞ against a zero", () => {
    expect(ratioOf(s(10, 9, 12), s(2, 1.5, 3))).toEqual({ median: 5, min: 3, max: 8, n: 3 });
    expect(ratioOf(s(393, 390, 400), s(0, 0, 0)).median).toBe(Infinity);
    expect(ratioText(ratioOf(s(10, 9, 12), s(2, 1.5, 3)))).toBe("5.0× (3.0–8.0×)");
    expect(ratioText(ratioOf(s(393, 390, 400, 1), s(0, 0, 0, 1)))).toBe("∞×");
  });
});

describe("ranking by overlap", () => {
  it("ranks two transports whose ranges do not overlap", () => {
    const r = rank([rated("A", s(10, 9, 11)), rated("B", s(5, 4, 6))]);
    expect(r?.kind).toBe("ranked");
    if (r?.kind !== "ranked") return;
    expect(r.low.map((x) => x.label)).toEqual(["B"]);
    expect(r.high.map((x) => x.label)).toEqual(["A"]);
    expect(r.ratio.median).toBe(2);
  });

  it("ranks nothing when the lowest and highest ranges overlap: within noise", () => {
    const r = rank([rated("A", s(10, 8, 12)), rated("B", s(9, 7, 11)), rated("C", s(11, 10.5, 13))]);
    expect(r?.kind).toBe("noise");
  });

  it("calls identical values a tie, not a winner", () => {
    const r = rank([rated("A", s(0, 0, 0)), rated("B", s(0, 0, 0)), rated("C", s(0, 0, 0))]);
    expect(r?.kind).toBe("tied");
  });

  it("keeps a group within noise of the lowest together, with no winner among it", () => {
    const r = rank([rated("A", s(3.6, 3.4, 3.9)), rated("B", s(3.9, 3.7, 4.2)), rated("C", s(993, 980, 1000))]);
    if (r?.kind !== "ranked") throw new Error(`expected ranked, got ${r?.kind}`);
    expect(r.low.map((x) => x.label)).toEqual(["A", "B"]);
    expect(r.high.map((x) => x.label)).toEqual(["C"]);
  });

  it("places no transport whose range touches both ends", () => {
    // B overlaps A (lowest) and C (highest); A and C are apart.
    const r = rank([rated("A", s(1, 0.5, 2)), rated("B", s(3, 1.5, 5)), rated("C", s(6, 4.5, 7))]);
    if (r?.kind !== "ranked") throw new Error(`expected ranked, got ${r?.kind}`);
    expect(r.low.map((x) => x.label)).toEqual(["A"]);
    expect(r.high.map((x) => x.label)).toEqual(["C"]);
    expect(r.unranked.map((x) => x.label)).toEqual(["B"]);
  });

  it("does not rank a low-group member against a high-group member it overlaps", () => {
    // B is within noise of A, D of E, and B and D overlap each other: neither is placed.
    const r = rank([rated("A", s(1, 0.5, 1.5)), rated("B", s(2, 1.4, 3)), rated("D", s(4, 2.9, 5)), rated("E", s(6, 4.9, 7))]);
    if (r?.kind !== "ranked") throw new Error(`expected ranked, got ${r?.kind}`);
    expect(r.low.map((x) => x.label)).toEqual(["A"]);
    expect(r.high.map((x) => x.label)).toEqual(["E"]);
    expect(r.unranked.map((x) => x.label)).toEqual(["B", "D"]);
  });

  it("needs two transports to compare", () => {
    expect(rank([rated("A", s(1, 1, 1))])).toBeNull();
  });
});
