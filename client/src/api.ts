import type { ApiError, ChatMessage, PublishRequest, StatsResponse } from "../../protocol/types.js";

/** This tab's id for `?client=`: the server then counts this tab's requests and bytes apart. */
export const CLIENT_ID = `tab-${Math.random().toString(36).slice(2, 10)}`;

let nonceCounter = 0;

/** A nonce unique to this tab, so the tab recognises its own messages when they come back. */
export function newNonce(): string {
  return `${CLIENT_ID}-${++nonceCounter}`;
}

async function failure(response: Response): Promise<Error> {
  const body = (await response.json().catch(() => null)) as ApiError | null;
  return new Error(body?.message ?? `HTTP ${response.status}`);
}

/** Publish over plain HTTP (`POST /api/messages`). */
export async function publishHttp(request: PublishRequest): Promise<ChatMessage> {
  const response = await fetch(`/api/messages?client=${CLIENT_ID}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
  });
  if (!response.ok) throw await failure(response);
  return (await response.json()) as ChatMessage;
}

export async function fetchStats(): Promise<StatsResponse> {
  const response = await fetch(`/api/stats?client=${CLIENT_ID}`, { cache: "no-store" });
  if (!response.ok) throw await failure(response);
  return (await response.json()) as StatsResponse;
}

export async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { cache: "no-store" });
  if (!response.ok) throw await failure(response);
  return (await response.json()) as T;
}
