// Worker threads do not inherit tsx's loader from the main thread: register it, then load the .ts entry.
import { register } from "tsx/esm/api";
import { workerData } from "node:worker_threads";

register();
await import(workerData.entry);
