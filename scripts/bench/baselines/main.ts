import { startBareServer } from "./bare-server.js";

/**
 * The bare server on HOST:PORT: the bench spawns it bundled (`bare-server` in scripts/build-server.ts), as it does the lab's.
 * It reads one of the lab's settings, LAB_HEARTBEAT_MS, so that a run which shortens the lab's
 * heartbeat period (the scale ramp, for its idle window) shortens the bare server's too; nothing
 * else of the lab's configuration applies to it.
 */
const heartbeat = process.env.LAB_HEARTBEAT_MS;
const heartbeatMs = heartbeat !== undefined && /^[0-9]{1,9}$/.test(heartbeat) && Number(heartbeat) > 0 ? Number(heartbeat) : undefined;
const server = await startBareServer(process.env.HOST ?? "127.0.0.1", Number(process.env.PORT ?? 3001), heartbeatMs === undefined ? {} : { heartbeatMs });
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
