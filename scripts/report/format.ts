/** Number formatting shared by the Markdown and HTML renderers. */

export function fmt(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  if (Math.abs(value) >= 100 || Number.isInteger(value)) return Math.round(value).toLocaleString("en-US");
  return value.toFixed(digits);
}

export function ms(value: number | null | undefined): string {
  return value === null || value === undefined ? "–" : `${fmt(value, value < 10 ? 2 : 1)} ms`;
}

export function bytes(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  if (value >= 1024 * 1024) return `${(value / 1024 / 1024).toFixed(1)} MiB`;
  if (value >= 10 * 1024) return `${(value / 1024).toFixed(1)} KiB`;
  return `${fmt(value, 1)} B`;
}

export function pct(share: number): string {
  return `${(share * 100).toFixed(2)}%`;
}

export function times(ratio: number): string {
  return ratio >= 10 ? `${Math.round(ratio)}×` : `${ratio.toFixed(1)}×`;
}
