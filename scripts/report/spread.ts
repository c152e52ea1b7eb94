/**
 * A figure measured once per repeat, reduced to what a reader needs to trust a comparison: the
 * median and the range the repeats spanned. With n repeats, the true median lies inside [min, max]
 * with probability 1 − 2^(1−n) (75% for 3, 94% for 5), whatever the distribution: a plain,
 * assumption-free interval, where a t-interval from 3 samples would rest on a normality no latency
 * figure has.
 */
export interface Spread {
  median: number;
  min: number;
  max: number;
  /** Repeats that measured it. */
  n: number;
}

export function spreadOf(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error("spreadOf: no values");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return { median, min: sorted[0] ?? 0, max: sorted[sorted.length - 1] ?? 0, n: sorted.length };
}

/** Two figures are told apart only when their ranges do not touch; a shared bound is a tie. */
export function overlaps(a: Spread, b: Spread): boolean {
  return a.min <= b.max && b.min <= a.max;
}

/**
 * `high` over `low`: the ratio of the medians, and the widest ratio the ranges allow. Against a
 * zero it is Infinity, never left out: "393 B against 0 B" is a finding of its own.
 */
export function ratioOf(high: Spread, low: Spread): Spread {
  const divide = (a: number, b: number): number => (b === 0 ? (a === 0 ? 1 : Infinity) : a / b);
  return { median: divide(high.median, low.median), min: divide(high.min, low.max), max: divide(high.max, low.min), n: Math.min(high.n, low.n) };
}

/** A formatted value with its range, e.g. "4.13 ms (3.90–4.62)"; one repeat shows the value alone. */
export function withSpread(s: Spread, show: (value: number) => string): string {
  const value = show(s.median);
  if (s.n <= 1) return value;
  const lo = show(s.min);
  const hi = show(s.max);
  if (lo === hi) return `${value} (±0)`;
  return `${value} (${rangeText(lo, hi)})`;
}

/** "3.90 ms", "4.62 ms" → "3.90–4.62": the value beside it carries the unit; different units ("900 B", "1.2 KiB") stay. */
function rangeText(lo: string, hi: string): string {
  const split = (s: string): [string, string] => {
    const space = s.lastIndexOf(" ");
    return space < 0 ? [s, ""] : [s.slice(0, space), s.slice(space + 1)];
  };
  const [loNumber, loUnit] = split(lo);
  const [hiNumber, hiUnit] = split(hi);
  return loUnit === hiUnit ? `${loNumber}–${hiNumber}` : `${lo}–${hi}`;
}
