import { startBareServer } from "./bare-server.js";

/** The bare server on HOST:PORT: the bench spawns it bundled (`bare-server` in scripts/build-server.ts), as it does the lab's. */
const server = await startBareServer(process.env.HOST ?? "127.0.0.1", Number(process.env.PORT ?? 3001));
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
