import { formatHostPort } from "./address.js";
import { HELP, parseCli, UsageError } from "./args.js";
import { startLink, type LinkStats } from "./link.js";
import { describeProfile } from "./profiles.js";
import { formatBytes, formatStatus } from "./status-line.js";

/** On a terminal the status line is rewritten in place; in a log, a line is added only when something changed. */
const STATUS_EVERY_MS = { terminal: 2_000, log: 10_000 };

/** `npm run net -- --profile 3g [--target 127.0.0.1:3000] [--listen 127.0.0.1:3100]` */
async function main(argv: string[]): Promise<number> {
  let options;
  try {
    options = parseCli(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`net: ${error.message}\n\nRun npm run net -- --help for every option.\n`);
      return 2;
    }
    throw error;
  }
  if (options.help) {
    process.stdout.write(HELP);
    return 0;
  }
  let link;
  try {
    link = await startLink({ target: options.target, listen: options.listen, profile: options.profile });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "EADDRINUSE" ? `${formatHostPort(options.listen)} is already in use; choose another with --listen` : (error as Error).message;
    process.stderr.write(`net: cannot listen: ${why}\n`);
    return 1;
  }
  process.stdout.write(
    `net: ${options.label}: ${describeProfile(link.profile)}, each connection on a link of its own\n` +
      `net: ${link.url} → ${formatHostPort(link.target)} (queue limit ${link.queueLimitBytes / 1024} KiB per direction per connection)\n` +
      `net: Ctrl-C to stop\n`,
  );

  const terminal = process.stdout.isTTY === true;
  let previous: LinkStats = link.stats();
  let previousAt = performance.now();
  let lastPrinted = "";
  const report = () => {
    const current = link.stats();
    const at = performance.now();
    const line = formatStatus(current, previous, at - previousAt);
    previous = current;
    previousAt = at;
    if (terminal) process.stdout.write(`\r\x1b[K${line}`);
    else if (line !== lastPrinted) process.stdout.write(`${line}\n`);
    lastPrinted = line;
  };
  const statusTimer = setInterval(report, terminal ? STATUS_EVERY_MS.terminal : STATUS_EVERY_MS.log);

  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  clearInterval(statusTimer);
  const totals = link.stats();
  await link.close();
  process.stdout.write(
    `${terminal ? "\n" : ""}net: stopped after ${totals.connectionsTotal} connection(s); delivered ${formatBytes(totals.down.bytesOut)} down, ${formatBytes(totals.up.bytesOut)} up\n`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`net: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
