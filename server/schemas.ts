import type { LabConfig } from "./config.js";

/**
 * Request schemas. The server's validator never coerces types and never drops unknown fields, so a
 * query value is always a string: cursors and timeouts are matched as plain decimal integers here
 * and converted by `toInteger`.
 */
export const UINT_PATTERN = "^(0|[1-9][0-9]{0,15})$";

/** Client ids the dashboard sends as `?client=`: short, URL-safe, so they cannot bloat the table. */
export const CLIENT_ID_PATTERN = "^[A-Za-z0-9_-]{1,64}$";
const clientIdRe = new RegExp(CLIENT_ID_PATTERN);

/** The client id a request named, if valid (any route, whether or not its schema checked it). */
export function requestClient(query: unknown): string | undefined {
  const client = (query as Record<string, unknown> | undefined)?.client;
  return typeof client === "string" && clientIdRe.test(client) ? client : undefined;
}

const clientParam = { type: "string", pattern: CLIENT_ID_PATTERN } as const;
const cursorParam = { type: "string", pattern: UINT_PATTERN } as const;

export const subscribeQuery = {
  type: "object",
  additionalProperties: false,
  properties: { after: cursorParam, client: clientParam },
} as const;

export const longPollQuery = {
  type: "object",
  additionalProperties: false,
  properties: { after: cursorParam, timeout: cursorParam, client: clientParam },
} as const;

export const clientQuery = {
  type: "object",
  additionalProperties: false,
  properties: { client: clientParam },
} as const;

export function publishBody(config: LabConfig) {
  return {
    type: "object",
    additionalProperties: false,
    required: ["from", "text"],
    properties: {
      from: { type: "string", minLength: 1, maxLength: config.maxFromLength, pattern: "\\S" },
      text: { type: "string", minLength: 1, maxLength: config.maxTextLength, pattern: "\\S" },
      nonce: { type: "string", minLength: 1, maxLength: config.maxNonceLength },
    },
  } as const;
}

/** The WebSocket `send` frame: the publish body plus its type. */
export function sendFrame(config: LabConfig) {
  const body = publishBody(config);
  return {
    ...body,
    required: ["type", ...body.required],
    properties: { type: { const: "send" }, ...body.properties },
  } as const;
}

/** A query integer already matched by UINT_PATTERN; undefined when absent; 400 beyond 2^53. */
export function toInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isSafeInteger(number)) throw badRequest(`querystring: "${name}" is too large`);
  return number;
}

export function badRequest(message: string): Error & { statusCode: number } {
  return Object.assign(new Error(message), { statusCode: 400 });
}

export interface SubscribeQuery {
  after?: string;
  client?: string;
}
