import type { FastifyInstance } from "fastify";
import { buildApp } from "../../server/app.js";
import { resolveConfig, type LabConfig } from "../../server/config.js";
import { loadCertificate } from "../../server/tls/certificate.js";

export interface TestServer {
  app: FastifyInstance;
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  port: number;
  /** e.g. https://127.0.0.1:40124 (HTTP/2 and HTTP/1.1 by ALPN): only when started with `{ tls: true }`. */
  secureUrl: string | null;
  config: LabConfig;
  close(): Promise<void>;
}

/** A real server listening on 127.0.0.1 on a free port, with any config overrides. */
export async function startServer(overrides: Partial<LabConfig> = {}, options: { tls?: boolean } = {}): Promise<TestServer> {
  // No shutdown drain unless a test asks for it: every test closes its server, and waits for it.
  const config = resolveConfig({ port: 0, shutdownDrainMs: 0, ...overrides });
  const app = await buildApp(config, options.tls === true ? { certificate: await loadCertificate(config) } : {});
  await app.listen({ host: "127.0.0.1", port: 0 });
  const secure = app.secure === null ? null : await app.secure.listen("127.0.0.1", 0);
  const address = app.server.address();
  if (address === null || typeof address === "string") throw new Error("server did not bind a TCP port");
  return {
    app,
    config,
    port: address.port,
    url: `http://127.0.0.1:${address.port}`,
    secureUrl: secure?.url ?? null,
    close: () => app.close(),
  };
}

/** Resolve once `check()` holds, polling every few ms; reject after `timeoutMs` with `what`. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** `waitFor` for a condition that needs I/O to check, such as a request to a server in another process. */
export async function waitForAsync(check: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
