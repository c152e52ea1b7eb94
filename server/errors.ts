import { STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { Socket } from "node:net";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ApiError } from "../protocol/types.js";
import { requestClient } from "./schemas.js";
import type { Stats } from "./metering/stats.js";
import type { ResponseStep } from "./request-gate.js";

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
  417: "expectation_failed",
  426: "upgrade_required",
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
    return reply.code(Math.max(status, 500)).send(apiError(500, "internal server error"));
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(apiError(404, `no route for ${request.method} ${request.url.split("?")[0]}`));
  });
}

/** A client's mistake is counted against its transport (a request-gate step), never logged above debug. */
export function countClientErrors(stats: Stats): ResponseStep {
  return (request, reply) => {
    const transport = request.routeOptions.config.transport;
    if (transport === undefined || reply.statusCode < 400 || reply.statusCode >= 500 || reply.statusCode === 429) return;
    stats.add(transport, requestClient(request.query), "clientErrors");
  };
}

function describeValidation(error: FastifyError): string {
  const first = error.validation?.[0];
  if (first === undefined) return error.message;
  const path = first.instancePath.replace(/^\//, "").replace(/\//g, ".");
  const params = first.params as Record<string, unknown>;
  if (first.keyword === "additionalProperties") return `unknown field "${String(params.additionalProperty)}"`;
  if (first.keyword === "required") return `missing field "${String(params.missingProperty)}"`;
  if (first.keyword === "pattern" && path !== "") return `"${path}" has a bad format`;
  return path === "" ? (first.message ?? error.message) : `"${path}" ${first.message ?? "is invalid"}`;
}

/** A whole HTTP/1.1 error answer as raw bytes, for the places where no response object exists. */
export function rawErrorResponse(status: number, message: string, headers: Record<string, string> = {}): string {
  const body = JSON.stringify(apiError(status, message));
  const head = { "content-type": "application/json; charset=utf-8", "content-length": String(Buffer.byteLength(body)), connection: "close", ...headers };
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\n${Object.entries(head)
    .map(([name, value]) => `${name}: ${value}`)
    .join("\r\n")}\r\n\r\n${body}`;
}

/**
 * Node's HTTP parser refused what the client sent (a malformed request line, headers over the size
 * limit, a headers timeout): answer as every other refusal, `{error, message}`, then close. Nothing
 * is logged: it is the client's mistake, and logging it would let any client flood the log.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  // A response already under way on this socket (a pipelined request after it was malformed): its
  // bytes cannot be followed by another status line.
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (socket.writable && (inFlight == null || !inFlight.headersSent)) {
    const [status, message] =
      error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "the request was not received in time"]
        : error.code === "HPE_HEADER_OVERFLOW"
          ? [431, "the request headers are too large"]
          : [400, `the request is not valid HTTP/1.1 (${error.code ?? "parse error"})`];
    socket.end(rawErrorResponse(status, message));
    socket.once("finish", () => socket.destroy());
    return;
  }
  socket.destroy();
}

/**
 * An `Expect` other than `100-continue`: 417, in the same shape as every other refusal. Node answers
 * it before any route, on HTTP/1.1 (closing the connection) and on HTTP/2 (that stream alone: a
 * `Connection` header is not allowed there).
 */
export function answerExpectation(request: IncomingMessage | Http2ServerRequest, response: ServerResponse | Http2ServerResponse): void {
  const body = JSON.stringify(apiError(417, `"expect: ${String(request.headers.expect).slice(0, 64)}" is not supported; only 100-continue is`));
  const head = { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) };
  response.writeHead(417, request.httpVersionMajor === 2 ? head : { ...head, connection: "close" });
  response.end(body);
}

/** Errors Fastify finds before routing (a malformed URL): a 400 like any other. */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  void reply.code(400).send(apiError(400, error.message));
}
