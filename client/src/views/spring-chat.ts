import { Client, Versions } from "@stomp/stompjs";
import SockJS from "sockjs-client";
import type { ChatMessage } from "../../../protocol/types.js";
import { CLIENT_ID } from "../api.js";
import { el, formatClock } from "../format.js";
import { sockjsReachable } from "../http-version.js";
import { APP_CHAT, TOPIC } from "../transports/stomp.js";

/**
 * The Spring chat this lab was specified from, as its page behaved: a nickname, Connect and
 * Disconnect, a conversation shown only while connected (and emptied on each), Send, and each
 * message as a paragraph `from: text (HH:mm)`. Same stack as the original: STOMP over SockJS at
 * `/chat`, SUBSCRIBE to /topic/messages, SEND to /app/chat, every SockJS transport allowed.
 * The only addition is `?client=`, so that the Cost view counts this page as this tab.
 */
export function setUpSpringChat(element: HTMLElement): void {
  element.classList.add("spring-chat");
  const intro = el(
    "p",
    "The original Spring chat's page, unchanged in behaviour: STOMP over SockJS at /chat (sockjs-client picks its transport), SUBSCRIBE to /topic/messages, SEND to /app/chat. One difference comes from this server, not the page: on SUBSCRIBE it sends the recent history before new messages, where Spring's simple broker sends only new ones.",
  );
  const nickname = el("input");
  nickname.name = "spring-from";
  nickname.placeholder = "Choose a nickname";
  nickname.maxLength = 64;
  const nicknameLabel = el("label", undefined, "field");
  nicknameLabel.append(el("span", "Nickname"), nickname);
  const connectButton = el("button", "Connect");
  connectButton.type = "button";
  const disconnectButton = el("button", "Disconnect");
  disconnectButton.type = "button";
  disconnectButton.disabled = true;
  const identity = el("div", undefined, "row");
  identity.append(nicknameLabel, connectButton, disconnectButton);

  const conversation = el("div", undefined, "spring-conversation");
  const form = el("form", undefined, "row");
  const text = el("input");
  text.name = "spring-text";
  text.placeholder = "Write a message...";
  text.autocomplete = "off";
  text.maxLength = 2_000;
  const textLabel = el("label", undefined, "field grow");
  textLabel.append(el("span", "Message"), text);
  const send = el("button", "Send");
  send.type = "submit";
  form.append(textLabel, send);
  const response = el("div", undefined, "spring-response");
  response.setAttribute("role", "log");
  response.setAttribute("aria-label", "Conversation");
  conversation.append(form, response);
  const status = el("p", "", "status");
  status.setAttribute("role", "status");
  element.append(intro, identity, conversation, status);

  let client: Client | undefined;

  const setConnected = (connected: boolean): void => {
    connectButton.disabled = connected;
    disconnectButton.disabled = !connected;
    conversation.style.visibility = connected ? "visible" : "hidden";
    response.replaceChildren();
  };
  setConnected(false);
  if (!sockjsReachable()) {
    connectButton.disabled = true;
    status.textContent = "SockJS is served over HTTP/1.1 only, and this page came over HTTP/2: open the lab on its plain port (http://) for this page.";
  }

  const showMessageOutput = (message: ChatMessage): void => {
    // Text only, as the original's createTextNode: a message is never markup.
    response.append(el("p", `${message.from}: ${message.text} (${formatClock(message.time)})`));
  };

  const disconnect = (): void => {
    void client?.deactivate();
    client = undefined;
    setConnected(false);
    if (!sockjsReachable()) {
      connectButton.disabled = true;
      status.textContent = "SockJS is served over HTTP/1.1 only, and this page came over HTTP/2: open the lab on its plain port (http://) for this page.";
    }
  };

  connectButton.addEventListener("click", () => {
    if (client !== undefined) return;
    status.textContent = "";
    const stomp = new Client({
      webSocketFactory: () => new SockJS(`${location.origin}/chat?client=${CLIENT_ID}`) as unknown as WebSocket,
      stompVersions: new Versions([Versions.V1_2]),
      reconnectDelay: 0,
      debug: () => undefined,
    });
    stomp.onConnect = () => {
      if (client !== stomp) return;
      setConnected(true);
      stomp.subscribe(TOPIC, (frame) => {
        const body = JSON.parse(frame.body) as ChatMessage | { type: "reset" };
        if (!("type" in body)) showMessageOutput(body);
      });
    };
    stomp.onStompError = (frame) => {
      status.textContent = `STOMP error: ${frame.headers.message ?? "unknown"}`;
    };
    stomp.onWebSocketClose = () => {
      if (client !== stomp) return;
      client = undefined;
      setConnected(false);
      if (!sockjsReachable()) {
        connectButton.disabled = true;
        status.textContent = "SockJS is served over HTTP/1.1 only, and this page came over HTTP/2: open the lab on its plain port (http://) for this page.";
      }
      status.textContent ||= "The connection closed.";
    };
    client = stomp;
    stomp.activate();
  });
  disconnectButton.addEventListener("click", disconnect);

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    // The server refuses an empty text with an ERROR, which closes the connection: not worth a click.
    if (client === undefined || !client.connected || text.value.trim() === "") return;
    client.publish({ destination: APP_CHAT, body: JSON.stringify({ from: nickname.value, text: text.value }) });
    text.value = "";
  });
}
