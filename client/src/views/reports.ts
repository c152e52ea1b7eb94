import { getJson } from "../api.js";
import { el } from "../format.js";

/** The shape of GET /api/reports (server/dashboard-reports.ts). */
interface ReportRun {
  name: string;
  date: string | null;
  scenario: string;
  reportUrl: string | null;
  resultsUrl: string | null;
}

/** The benchmark runs found in results/, each opening its report. */
export function setUpReports(element: HTMLElement): { show(): void } {
  element.classList.add("reports");
  const heading = el("h2", "Benchmark reports");
  const intro = el("p", "Runs of the load benchmarks, read from results/<date>-<scenario>/ on the server.");
  const refresh = el("button", "Refresh");
  refresh.type = "button";
  const index = el("p");
  const list = el("ul", undefined, "report-list");
  list.setAttribute("aria-label", "Benchmark runs");
  const frame = el("iframe");
  frame.title = "Selected report";
  frame.hidden = true;
  element.append(heading, intro, refresh, index, list, frame);

  const load = async (): Promise<void> => {
    let runs: ReportRun[];
    try {
      const answer = await getJson<{ runs: ReportRun[]; indexUrl: string | null }>("/api/reports");
      runs = answer.runs;
      if (answer.indexUrl === null) index.replaceChildren();
      else {
        const link = el("a", "All runs, compared side by side");
        link.href = answer.indexUrl;
        link.target = "_blank";
        link.rel = "noopener";
        index.replaceChildren(link);
      }
    } catch (error) {
      list.replaceChildren(el("li", `Could not list reports: ${error instanceof Error ? error.message : String(error)}`));
      return;
    }
    if (runs.length === 0) {
      list.replaceChildren(el("li", "No benchmark runs yet: results/ is empty. Run npm run bench, then refresh.", "empty"));
      frame.hidden = true;
      return;
    }
    list.replaceChildren(
      ...runs.map((run) => {
        const item = el("li");
        item.append(el("strong", run.scenario), " ", el("span", run.date ?? run.name, "muted"), " ");
        if (run.reportUrl !== null) {
          const view = el("button", "View here");
          view.type = "button";
          const url = run.reportUrl;
          view.addEventListener("click", () => {
            frame.src = url;
            frame.hidden = false;
          });
          const open = el("a", "Open report");
          open.href = url;
          open.target = "_blank";
          open.rel = "noopener";
          item.append(view, " ", open, " ");
        }
        if (run.resultsUrl !== null) {
          const json = el("a", "results.json");
          json.href = run.resultsUrl;
          item.append(json);
        }
        return item;
      }),
    );
  };

  refresh.addEventListener("click", () => void load());
  return { show: () => void load() };
}
