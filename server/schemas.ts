import type { LabConfig } from "./config.js";
import { CLIENT_ID_PATTERN } from "./metering/stats.js";

/**
 * Request schemas. The server's validator never coerces types and never drops unknown fields, so a
 * query value is always a string: cursors and timeouts are matched as plain decimal integers here
 * and converted by `toInteger`.
 */
export const UINT_PATTERN = "^(0|[1-9][0-9]{0,15})$";

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
