import { buildApp } from "./app.js";
import { ConfigError, type LabConfig, resolveConfig } from "./config.js";
import { describeProfile } from "../scripts/net/profiles.js";
import { networkLinkOptions } from "./network-link.js";
import { loadCertificate } from "./tls/certificate.js";

/** Start the lab from the environment; stop cleanly on SIGINT/SIGTERM within the grace time. */
async function main(): Promise<void> {
  let config: LabConfig;
  try {
    config = resolveConfig({}, process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`transport-lab: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const certificate = config.tlsPort > 0 ? await loadCertificate(config) : undefined;
  const app = await buildApp(config, { logger: { level: process.env.LOG_LEVEL ?? "warn" }, certificate });
  const address = await app.listen({ host: config.host, port: config.port });
  console.log(`transport lab listening on ${address} (HTTP/1.1)`);
  if (app.secure !== null && certificate !== undefined) {
    const secure = await app.secure.listen(config.host, config.tlsPort);
    console.log(`transport lab listening on ${secure.url} (HTTP/2 and HTTP/1.1 over TLS, by ALPN)`);
    if (certificate.origin === "configured") console.log(`  certificate: ${certificate.path}`);
    else {
      console.log(`  certificate: a self-signed development certificate (${certificate.origin === "created" ? "created now" : "reused"}: ${certificate.path})`);
      console.log("  a browser will warn that it is not trusted (NET::ERR_CERT_AUTHORITY_INVALID): expected on loopback;");
      console.log(`  accept it once, or trust that file. SHA-256 ${certificate.fingerprint}`);
    }
  }
  const linkOptions = networkLinkOptions(config);
  if (linkOptions !== null) {
    const link = await app.networkLink.open(linkOptions);
    console.log(`transport lab through the "${linkOptions.name}" link emulator on ${link.url} (${describeProfile(link.profile)})`);
    console.log("  every byte to and from that port is delayed and paced as on that line; open the dashboard there to compare the transports");
  }

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: closing (answering long polls, ending streams, closing WebSockets with 1001)`);
    // Whatever still hangs on after the grace time is cut, so the process always exits within ~2 s.
    setTimeout(() => {
      app.server.closeAllConnections();
      app.secure?.destroyAll();
      process.exit(0);
    }, config.shutdownGraceMs).unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((error: unknown) => {
  console.error("transport-lab: failed to start:", error instanceof Error ? error.message : error);
  process.exit(1);
});
