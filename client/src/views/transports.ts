import { TRANSPORT_COLORS } from "../../../protocol/palette.js";
import type { TransportCost } from "../../../protocol/types.js";
import { bytes, fmt, ms } from "../../../scripts/report/format.js";
import { getJson } from "../api.js";
import { el } from "../format.js";
import { CHAT_LABELS, CHAT_TRANSPORTS, type ChatTransport } from "../transports/kinds.js";
import { TRANSPORT_NOTES } from "./transport-notes.js";

function link(text: string, href: string): HTMLAnchorElement {
  const a = el("a", text);
  a.href = href;
  a.target = "_blank";
  a.rel = "noopener";
  return a;
}

/** A figure as the reports write it (scripts/report/format.ts), its raw value kept for whoever checks it. */
function figure(name: string, key: string, value: number, text: string, detail?: string): HTMLElement {
  const row = el("div");
  const dd = el("dd", text);
  dd.dataset.figure = key;
  dd.dataset.value = String(value);
  if (detail !== undefined) dd.append(" ", el("span", detail, "muted"));
  row.append(el("dt", name), dd);
  return row;
}

/** `undefined` while the runs are being read; `null` when no run measured the transport. */
function costBlock(transport: ChatTransport, cost: TransportCost | null | undefined): HTMLElement {
  const box = el("div", undefined, "card-cost");
  if (cost === undefined) {
    box.dataset.state = "loading";
    box.append(el("p", "Reading the benchmark runs…", "muted"));
    return box;
  }
  if (cost === null) {
    box.dataset.state = "none";
    box.append(el("p", `No benchmark run in results/ has measured ${CHAT_LABELS[transport]} yet, so there is no measured cost to show.`, "muted"));
    return box;
  }
  box.dataset.state = "measured";
  box.dataset.run = cost.run;
  const list = el("dl");
  const b = cost.bytesPerMessage;
  list.append(
    figure("Bytes per message", "bytes-per-message", b.total, bytes(b.total), `(${bytes(b.up)} up, ${bytes(b.down)} down)`),
    figure("p99 latency", "p99", cost.latencyP99Ms, ms(cost.latencyP99Ms)),
    figure("Requests per message", "requests-per-message", cost.requestsPerMessage, fmt(cost.requestsPerMessage, 3)),
  );
  const source = el("p", undefined, "muted card-source");
  source.append(
    `Measured as “${cost.label}” by the benchmark's clients in run `,
    cost.reportUrl === null ? el("span", cost.run) : link(cost.run, cost.reportUrl),
    `${cost.repeats > 1 ? `, medians of ${cost.repeats} repeats` : ""} (`,
    link("results.json", cost.resultsUrl),
    ").",
  );
  // The run's full conditions are long and the same on most cards: one click away.
  const conditions = el("details", undefined, "card-conditions");
  conditions.append(el("summary", "Conditions of the run"), el("p", `${cost.scenario}: ${cost.workload}.`));
  box.append(list, source, conditions);
  return box;
}

function card(transport: ChatTransport, cost: TransportCost | null | undefined): HTMLElement {
  const note = TRANSPORT_NOTES[transport];
  const article = el("article", undefined, "card");
  article.dataset.transport = transport;
  article.style.setProperty("--swatch", TRANSPORT_COLORS[transport]);
  const title = el("h3", CHAT_LABELS[transport]);
  title.id = `card-${transport}`;
  article.setAttribute("aria-labelledby", title.id);
  const limits = el("ul");
  for (const limit of note.limits) limits.append(el("li", limit));
  article.append(
    title,
    el("p", note.how),
    el("h4", "When to choose it"),
    el("p", note.choose),
    el("h4", "Known limits"),
    limits,
    el("h4", "Measured cost"),
    costBlock(transport, cost),
  );
  return article;
}

/** "Transports": a card per transport, in words and in the figures the benchmark measured. */
export function setUpTransports(element: HTMLElement): { show(): void } {
  element.classList.add("transports");
  const intro = el(
    "p",
    "How each transport works, when to choose it and what limits it, with its cost as measured: bytes on the wire per delivered message (both directions, headers and framing included), p99 delivery latency and HTTP requests per message, read from the newest benchmark run in results/ that measured it. Each run's report has the rest.",
  );
  const cards = el("ul", undefined, "cards");
  cards.setAttribute("aria-label", "Transport cards");
  const status = el("p", undefined, "status");
  status.setAttribute("role", "status");
  element.append(intro, status, cards);

  const render = (costs: Partial<Record<string, TransportCost | null>> | undefined): void => {
    cards.replaceChildren(
      ...CHAT_TRANSPORTS.map((t) => {
        const item = el("li");
        item.append(card(t, costs === undefined ? undefined : (costs[t] ?? null)));
        return item;
      }),
    );
  };

  const load = async (): Promise<void> => {
    try {
      const answer = await getJson<{ transports: Record<string, TransportCost | null> }>("/api/transport-costs");
      status.textContent = "";
      render(answer.transports);
    } catch (error) {
      status.textContent = `Could not read the benchmark runs: ${error instanceof Error ? error.message : String(error)}`;
    }
  };

  render(undefined);
  return { show: () => void load() };
}
