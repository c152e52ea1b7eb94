import { el } from "../format.js";
import { sockjsReachable, versionBadge, type NegotiatedVersions } from "../http-version.js";
import { CHAT_LABELS, CHAT_TRANSPORTS, SOCKJS_CHOICES } from "../transports/kinds.js";

export interface ChatShell {
  nickname: HTMLInputElement;
  connectButton: HTMLButtonElement;
  switcher: HTMLFieldSetElement;
  /** STOMP over SockJS's sub-transport. */
  sockjs: HTMLSelectElement;
  interval: HTMLInputElement;
  intervalNote: HTMLElement;
  state: HTMLElement;
  /** The active transport's negotiated HTTP version, beside its state. */
  activeVersion: HTMLElement;
  counters: HTMLElement;
  duplicates: HTMLElement;
  gaps: HTMLElement;
  delivered: HTMLElement;
  switches: HTMLElement;
  /** The live cost strip's place (cost-strip.ts fills it). */
  costStrip: HTMLElement;
  log: HTMLOListElement;
  sendForm: HTMLFormElement;
  text: HTMLInputElement;
  status: HTMLElement;
}

function labelled(labelText: string, input: HTMLInputElement): HTMLLabelElement {
  const label = el("label", undefined, "field");
  label.append(el("span", labelText), input);
  return label;
}

/** The chat's static markup; the behaviour lives in chat.ts. */
export function renderChatShell(element: HTMLElement, versions: NegotiatedVersions, initial = "ws"): ChatShell {
  element.replaceChildren();
  element.classList.add("chat");

  const nickname = el("input");
  nickname.name = "nickname";
  nickname.setAttribute("autocomplete", "nickname");
  nickname.maxLength = 64;
  nickname.value = `guest-${Math.floor(Math.random() * 900 + 100)}`;
  const connectButton = el("button", "Disconnect");
  connectButton.type = "button";
  const state = el("span", "", "state");
  state.setAttribute("role", "status");
  state.id = "chat-state";
  const activeVersion = el("span", "", "active-version");
  activeVersion.id = "chat-http-version";
  const identity = el("div", undefined, "row");
  identity.append(labelled("Nickname", nickname), connectButton, state, activeVersion);

  const switcher = el("fieldset", undefined, "switcher");
  switcher.setAttribute("role", "radiogroup");
  switcher.setAttribute("aria-label", "Transport");
  switcher.append(el("legend", "Transport"));
  for (const transport of CHAT_TRANSPORTS) {
    const input = el("input");
    input.type = "radio";
    input.name = "chat-transport";
    input.value = transport;
    input.checked = transport === initial;
    // The radio is named by its transport alone; the version it negotiated describes it.
    const name = el("span", CHAT_LABELS[transport]);
    name.id = `chat-transport-${transport}`;
    const badge = versionBadge(versions, transport);
    badge.id = `chat-version-${transport}`;
    input.setAttribute("aria-labelledby", name.id);
    input.setAttribute("aria-describedby", badge.id);
    if (transport === "stomp-sockjs" && !sockjsReachable()) input.disabled = true;
    const label = el("label", undefined, "choice");
    label.append(input, name, badge);
    switcher.append(label);
  }

  const interval = el("input");
  interval.type = "number";
  interval.min = "100";
  interval.max = "60000";
  interval.step = "100";
  interval.value = "1000";
  interval.name = "interval";
  interval.required = true;
  const intervalNote = el("span", "", "field-note");
  intervalNote.id = "interval-note";
  intervalNote.setAttribute("role", "status");
  interval.setAttribute("aria-describedby", intervalNote.id);
  const sockjs = el("select");
  sockjs.name = "sockjs-transport";
  sockjs.disabled = !sockjsReachable();
  for (const choice of SOCKJS_CHOICES) {
    const option = el("option", choice);
    option.value = choice;
    sockjs.append(option);
  }
  const sockjsLabel = el("label", undefined, "field");
  sockjsLabel.append(el("span", "SockJS transport"), sockjs);
  const options = el("div", undefined, "row");
  options.append(sockjsLabel, labelled("Polling interval (ms)", interval), intervalNote);

  const counters = el("p", undefined, "counters");
  counters.setAttribute("aria-label", "Delivery check");
  const number = (name: string, label: string): HTMLElement => {
    const value = el("strong", "0");
    value.dataset.counter = name;
    const item = el("span", undefined, "counter");
    item.append(`${label} `, value);
    counters.append(item);
    return value;
  };
  const duplicates = number("duplicates", "Duplicates");
  const gaps = number("gaps", "Gaps");
  const delivered = number("delivered", "Delivered");
  const switches = number("switches", "Switches");

  const costStrip = el("section");

  const log = el("ol", undefined, "log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-label", "Messages");
  log.setAttribute("aria-live", "polite");
  log.tabIndex = 0;

  const sendForm = el("form", undefined, "send row");
  const text = el("input");
  text.name = "message";
  text.autocomplete = "off";
  text.maxLength = 2_000;
  text.placeholder = "Say something and press Enter";
  const sendLabel = labelled("Message", text);
  sendLabel.classList.add("grow");
  const send = el("button", "Send");
  send.type = "submit";
  sendForm.append(sendLabel, send);
  const status = el("p", "", "status");
  status.setAttribute("role", "status");

  element.append(identity, switcher, options, counters, costStrip, log, sendForm, status);
  return {
    nickname,
    connectButton,
    switcher,
    sockjs,
    interval,
    intervalNote,
    state,
    activeVersion,
    counters,
    duplicates,
    gaps,
    delivered,
    switches,
    costStrip,
    log,
    sendForm,
    text,
    status,
  };
}
