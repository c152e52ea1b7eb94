import type { Worker } from "node:worker_threads";

/** What every subscriber thread may answer with instead of the awaited reply. */
interface Fatal {
  type: "fatal";
  message: string;
}

/**
 * Send each worker `command(index)` (none when it returns undefined) and wait for each one's reply
 * of type `expect`; a `fatal` message, a thread error or `timeoutMs` without an answer rejects.
 * Shared by the bench's subscriber pool and the scale generator.
 */
export function awaitReplies<Reply extends { type: string } | Fatal>(
  workers: readonly Worker[],
  command: (index: number) => unknown,
  expect: Reply["type"],
  timeoutMs: number,
  label: string,
): Promise<Reply[]> {
  return Promise.all(
    workers.map(
      (worker, index) =>
        new Promise<Reply>((resolve, reject) => {
          const timer = setTimeout(() => done(new Error(`${label} did not answer "${expect}" within ${timeoutMs} ms`)), timeoutMs);
          const onMessage = (message: Reply): void => {
            if (message.type === expect) done(null, message);
            else if (message.type === "fatal") done(new Error((message as Fatal).message));
          };
          const onError = (error: Error): void => done(error);
          const done = (error: Error | null, message?: Reply): void => {
            clearTimeout(timer);
            worker.off("message", onMessage);
            worker.off("error", onError);
            if (error !== null || message === undefined) reject(error ?? new Error("no answer"));
            else resolve(message);
          };
          worker.on("message", onMessage);
          worker.on("error", onError);
          const sent = command(index);
          if (sent !== undefined) worker.postMessage(sent);
        }),
    ),
  );
}
