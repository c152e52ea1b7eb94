import { overlaps, ratioOf, type Spread } from "./spread.js";

/** One transport's figure for a comparison (lower is better for every figure the report ranks). */
export interface Rated {
  label: string;
  spread: Spread;
}

/**
 * What a comparison may claim. `tied`: every repeat of every transport gave the same value.
 * `noise`: the lowest and the highest ranges overlap, so nothing is ranked. `ranked`: the `low`
 * group lies wholly below the `high` group (no range in one touches a range in the other); inside
 * a group the ranges overlap the group's extreme, so no member is called the winner; `unranked`
 * touches both ends. `ratio` is always there: the highest median over the lowest, and its range.
 */
export type Ranking =
  | { kind: "tied"; all: Rated[]; ratio: Spread }
  | { kind: "noise"; all: Rated[]; ratio: Spread }
  | { kind: "ranked"; low: Rated[]; high: Rated[]; unranked: Rated[]; ratio: Spread };

export function rank(items: readonly Rated[]): Ranking | null {
  const sorted = items.filter((r) => Number.isFinite(r.spread.median)).sort((a, b) => a.spread.median - b.spread.median);
  const lowest = sorted[0];
  const highest = sorted[sorted.length - 1];
  if (lowest === undefined || highest === undefined || sorted.length < 2) return null;
  const ratio = ratioOf(highest.spread, lowest.spread);
  if (overlaps(lowest.spread, highest.spread)) {
    const value = lowest.spread.min;
    const tied = sorted.every((r) => r.spread.min === value && r.spread.max === value);
    return { kind: tied ? "tied" : "noise", all: sorted, ratio };
  }
  const nearLow = sorted.filter((r) => overlaps(r.spread, lowest.spread));
  const nearHigh = sorted.filter((r) => overlaps(r.spread, highest.spread));
  // A member that touches the other group cannot be ranked against it: it is named, not placed.
  const touches = (r: Rated, group: Rated[]): boolean => group.some((g) => overlaps(r.spread, g.spread));
  const unranked = sorted.filter(
    (r) => r !== lowest && r !== highest && (nearLow.includes(r) || nearHigh.includes(r)) && touches(r, nearLow) && touches(r, nearHigh),
  );
  const low = nearLow.filter((r) => !unranked.includes(r));
  const high = nearHigh.filter((r) => !unranked.includes(r));
  return { kind: "ranked", low, high, unranked, ratio };
}

/** 3.5×, 12×, ∞× (against a zero). */
export function showRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return "∞×";
  return ratio >= 10 ? `${Math.round(ratio).toLocaleString("en-US")}×` : `${ratio.toFixed(1)}×`;
}

/** "3.5×" with one repeat, "3.5× (3.1–3.9×)" with several. */
export function ratioText(ratio: Spread): string {
  if (ratio.n <= 1) return showRatio(ratio.median);
  const lo = showRatio(ratio.min);
  const hi = showRatio(ratio.max);
  return lo === hi ? showRatio(ratio.median) : `${showRatio(ratio.median)} (${lo.replace("×", "")}–${hi})`;
}
