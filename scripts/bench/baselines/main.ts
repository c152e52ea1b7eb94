import { startBareServer } from "./bare-server.js";

/**
 * The bare server on HOST:PORT: the bench spawns it bundled (`bare-server` in scripts/build-server.ts), as it does the lab's.
 * It reads two of the lab's settings, LAB_HEARTBEAT_MS and LAB_WS_PING_MS, so that a run which
 * shortens the lab's periods (the scale ramp, for its idle window) shortens the bare server's too;
 * nothing else of the lab's configuration applies to it.
 */
const period = (value: string | undefined): number | undefined =>
  value !== undefined && /^[0-9]{1,9}$/.test(value) && Number(value) > 0 ? Number(value) : undefined;
const heartbeatMs = period(process.env.LAB_HEARTBEAT_MS);
const pingMs = period(process.env.LAB_WS_PING_MS);
const server = await startBareServer(process.env.HOST ?? "127.0.0.1", Number(process.env.PORT ?? 3001), {
  ...(heartbeatMs === undefined ? {} : { heartbeatMs }),
  ...(pingMs === undefined ? {} : { pingMs }),
});
console.log(`bare server listening on ${server.url}`);
const stop = (): void => {
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
  setTimeout(() => process.exit(0), 1_000).unref();
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
