import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { startServer, type TestServer, waitFor } from "../helpers/server.js";

let server: TestServer;

afterEach(async () => {
  await server?.close();
});

/** One SockJS HTTP request by hand (the xhr-polling protocol), answered as text. */
async function sockjs(path: string, body?: string[]): Promise<{ status: number; text: string }> {
  const response = await fetch(`${server.url}/chat/000/${path}`, {
    method: "POST",
    headers: { "content-type": "text/plain" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

describe("SockJS xhr-polling, driven by hand", () => {
  it("queues messages between polls in the session, and cuts a poller that stops polling (sockjs-internals.ts)", async () => {
    server = await startServer({ maxBufferedBytes: 32 * 1024 });
    expect((await sockjs("rawsess1/xhr")).text).toBe("o\n");
    const sent = await sockjs("rawsess1/xhr_send", ["CONNECT\naccept-version:1.2\n\n\0", "SUBSCRIBE\nid:0\ndestination:/topic/messages\n\n\0"]);
    expect(sent.status).toBe(204);
    const connected = await sockjs("rawsess1/xhr");
    expect(connected.text).toMatch(/^a\["CONNECTED\\nversion:1.2\\n/);

    // Nobody polls now: the session's queue is the only place messages wait, and it is what the cap sees.
    const text = "x".repeat(1_000);
    for (let i = 0; i < 100 && server.app.lab.stats.transports["stomp-sockjs"].cutoffs === 0; i++) {
      server.app.lab.feed.publish({ from: "flood", text });
    }
    await waitFor(() => server.app.lab.stats.transports["stomp-sockjs"].cutoffs === 1, "a cut-off");
    // The next poll gets what was queued, then the close frame.
    const last = await sockjs("rawsess1/xhr");
    expect(last.text.startsWith("a[")).toBe(true);
    expect((await sockjs("rawsess1/xhr")).text).toBe('c[1013,"slow consumer: too many unsent bytes"]\n');
  });

  it("answers a bad STOMP frame sent over SockJS with an ERROR frame, then the close frame", async () => {
    server = await startServer();
    await sockjs("rawsess2/xhr");
    await sockjs("rawsess2/xhr_send", ["CONNECT\naccept-version:1.2\n\n\0", "SEND\ndestination:/app/chat\n\n{bad\0"]);
    const answer = await sockjs("rawsess2/xhr");
    expect(answer.text).toContain("ERROR\\nmessage:the body is not valid JSON");
    expect((await sockjs("rawsess2/xhr")).text).toBe('c[1000,"STOMP error"]\n');
    expect(server.app.lab.stats.transports["stomp-sockjs"].clientErrors).toBe(1);
  });

  it("answers a send that is not a JSON array of strings with 400, not SockJS's 500", async () => {
    server = await startServer();
    await sockjs("rawsess3/xhr");
    const response = await fetch(`${server.url}/chat/000/rawsess3/xhr_send`, { method: "POST", headers: { "content-type": "text/plain" }, body: "[broken" });
    expect(response.status).toBe(400);
    expect(await response.text()).toBe("Broken JSON encoding.");
    expect(server.app.lab.stats.transports["stomp-sockjs"].clientErrors).toBe(1);
  });

  it("meters a SockJS websocket session's every byte, both ways, as the client's own socket counts them", async () => {
    server = await startServer();
    let tcp: net.Socket | undefined;
    const socket = new WebSocket(`${server.url.replace("http", "ws")}/chat/000/exactses/websocket?client=exactsockjs`, {
      createConnection: ((options: net.NetConnectOpts) => {
        tcp = net.connect(options);
        return tcp;
      }) as typeof net.createConnection,
    });
    const frames: string[] = [];
    socket.on("message", (data: Buffer) => frames.push(data.toString()));
    await new Promise((resolve) => socket.once("open", resolve));
    await waitFor(() => frames[0] === "o", "the open frame");
    socket.send(JSON.stringify(["CONNECT\naccept-version:1.2\n\n\0SUBSCRIBE\nid:0\ndestination:/topic/messages\n\n\0"]));
    socket.send(JSON.stringify(['SEND\ndestination:/app/chat\nreceipt:r\n\n{"from":"exact","text":"counted"}\0']));
    await waitFor(() => frames.some((f) => f.includes("RECEIPT")), "the receipt");
    expect(frames.some((f) => f.includes("MESSAGE\\ndestination:/topic/messages"))).toBe(true);
    socket.close();
    await waitFor(() => tcp?.destroyed === true, "the socket closed");
    await waitFor(() => server.app.lab.stats.client("exactsockjs")?.["stomp-sockjs"].open === 0, "the request ended");
    const counters = server.app.lab.stats.client("exactsockjs")?.["stomp-sockjs"];
    expect(counters?.bytesIn).toBe(tcp?.bytesWritten);
    expect(counters?.bytesOut).toBe(tcp?.bytesRead);
    expect(counters?.delivered).toBe(1);
  });
});
