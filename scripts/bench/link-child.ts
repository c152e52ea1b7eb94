import { startLink } from "../net/link.js";
import type { LinkProfile } from "../net/profiles.js";

/**
 * The bench's link emulator, in a process of its own (started by `link-process.ts`): its CPU is
 * then neither the generator's (whose `process.cpuUsage()` counts every thread of its process) nor
 * the server's. It reports its URL once listening, answers `stats`, and closes on `close`.
 */
const send = (message: unknown): void => {
  process.send?.(message);
};
const [target, profileJson] = process.argv.slice(2);
if (target === undefined || profileJson === undefined) throw new Error("usage: link-child.ts TARGET PROFILE_JSON");
const link = await startLink({ target, profile: JSON.parse(profileJson) as LinkProfile });
send({ type: "listening", url: link.url });
process.on("message", (message: { type: "stats" } | { type: "close" }) => {
  if (message.type === "stats") send({ type: "stats", stats: link.stats() });
  else
    void link.close().then(() => {
      send({ type: "closed" });
      process.exit(0);
    });
});
process.on("disconnect", () => process.exit(0));
