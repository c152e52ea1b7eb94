import type { FastifyError, FastifyInstance } from "fastify";
import type { ApiError } from "../protocol/types.js";

const ERROR_NAMES: Record<number, string> = {
  400: "bad_request",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  406: "not_acceptable",
  408: "request_timeout",
  411: "length_required",
  413: "payload_too_large",
  414: "uri_too_long",
  415: "unsupported_media_type",
  429: "too_many_requests",
  431: "headers_too_large",
  503: "unavailable",
};

export function apiError(status: number, message: string): ApiError {
  return { error: ERROR_NAMES[status] ?? (status < 500 ? "bad_request" : "internal"), message };
}

/**
 * Every refusal is a 4xx with `{error, message}`; a 5xx only ever means a bug of ours, and then
 * the client gets no internals.
 */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      const where = error.validationContext ?? "request";
      return reply.code(400).send(apiError(400, `${where}: ${describeValidation(error)}`));
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.code(status).send(apiError(status, error.message));
    }
    request.log.error({ err: error }, "request failed");
    return reply.code(status >= 500 ? status : 500).send(apiError(500, "internal server error"));
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(apiError(404, `no route for ${request.method} ${request.url.split("?")[0]}`));
  });
}

function describeValidation(error: FastifyError): string {
  const first = error.validation?.[0];
  if (first === undefined) return error.message;
  const path = first.instancePath.replace(/^\//, "").replace(/\//g, ".");
  const params = first.params as Record<string, unknown>;
  if (first.keyword === "additionalProperties") return `unknown field "${String(params.additionalProperty)}"`;
  if (first.keyword === "required") return `missing field "${String(params.missingProperty)}"`;
  if (first.keyword === "pattern" && path !== "") return `"${path}" has a bad format`;
  return path === "" ? first.message ?? error.message : `"${path}" ${first.message ?? "is invalid"}`;
}
