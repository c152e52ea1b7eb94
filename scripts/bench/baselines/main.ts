import { startBareServer } from "./bare-server.js";

/** `node --import tsx scripts/bench/baselines/main.ts`: the bare server on HOST:PORT, as the bench spawns it. */
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
