import type { PollResponse } from "../../../protocol/types.js";

/** One poll or long-poll request: its page, or null when it failed, was refused or was aborted. */
export async function fetchPage(url: string, signal: AbortSignal): Promise<PollResponse | null> {
  try {
    const response = await fetch(url, { signal, cache: "no-store" });
    if (!response.ok) return null;
    return (await response.json()) as PollResponse;
  } catch {
    return null;
  }
}
