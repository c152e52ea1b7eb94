import "./style.css";
import { CLIENT_ID, fetchStats } from "./api.js";
import { ClientEventFeed } from "./client-events.js";
import { NegotiatedVersions } from "./http-version.js";
import { setUpNetworkBanner } from "./network-banner.js";
import { setUpInstanceLabel } from "./instance-label.js";
import { setUpChat } from "./views/chat.js";
import { setUpCost } from "./views/cost.js";
import { setUpRace } from "./views/race.js";
import { setUpReports } from "./views/reports.js";
import { setUpSixConnections } from "./views/six-connections.js";
import { setUpSpringChat } from "./views/spring-chat.js";
import { setUpTimeline } from "./views/timeline.js";
import { setUpTransports } from "./views/transports.js";
import { setUpWire } from "./views/wire.js";

/** A view that wants to know when it becomes visible (to start polling, resize charts, refresh). */
interface Shown {
  show?(): void;
  hide?(): void;
}

function panel(name: string): HTMLElement {
  const element = document.getElementById(`view-${name}`);
  if (element === null) throw new Error(`index.html lacks #view-${name}`);
  return element;
}

const network = document.getElementById("network");
if (network !== null) setUpNetworkBanner(network);
if (network !== null) setUpInstanceLabel(network);
const versions = new NegotiatedVersions(fetchStats);
// The server reports this tab's requests to the network timeline once asked; the chat connects after.
const events = new ClientEventFeed(CLIENT_ID);
const chat = setUpChat(panel("chat"), versions, events.ready);
const race = setUpRace(panel("race"), versions);
const views: Record<string, Shown> = {
  chat: {},
  transports: setUpTransports(panel("transports")),
  race,
  cost: setUpCost(panel("cost")),
  timeline: setUpTimeline(panel("timeline"), events, chat),
  wire: setUpWire(panel("wire"), chat),
  reports: setUpReports(panel("reports")),
  six: setUpSixConnections(panel("six"), [chat, race]),
  spring: {},
};
setUpSpringChat(panel("spring"));

const tabs = [...document.querySelectorAll<HTMLButtonElement>("#tabs [role=tab]")];
let current = "";

function select(name: string, focus = false): void {
  if (!(name in views) || name === current) return;
  if (current !== "") views[current]?.hide?.();
  current = name;
  for (const tab of tabs) {
    const selected = tab.dataset.view === name;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    panel(tab.dataset.view ?? "").hidden = !selected;
    if (selected && focus) tab.focus();
  }
  views[name]?.show?.();
  if (location.hash !== `#${name}`) history.replaceState(null, "", `#${name}`);
}

for (const tab of tabs) {
  tab.addEventListener("click", () => select(tab.dataset.view ?? "chat"));
  // Tabs pattern: arrows move between tabs, the panel gets Tab focus.
  tab.addEventListener("keydown", (event) => {
    const index = tabs.indexOf(tab);
    const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
    if (step === 0) return;
    event.preventDefault();
    const next = tabs[(index + step + tabs.length) % tabs.length];
    select(next?.dataset.view ?? "chat", true);
  });
}
window.addEventListener("hashchange", () => select(location.hash.slice(1)));
select(location.hash.slice(1) in views ? location.hash.slice(1) : "chat");
