import net from "node:net";

export interface IdleProxy {
  port: number;
  /** Connections the proxy cut for being idle. */
  cuts: number;
  close(): Promise<void>;
}

/**
 * A TCP proxy on 127.0.0.1 that cuts any connection silent in both directions for `idleMs`, as
 * nginx (`proxy_read_timeout`), load balancers and NAT boxes do with idle streams.
 */
export function startIdleProxy(upstreamPort: number, idleMs: number): Promise<IdleProxy> {
  const sockets = new Set<net.Socket>();
  const proxy: IdleProxy = { port: 0, cuts: 0, close: () => Promise.resolve() };
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: "127.0.0.1", port: upstreamPort });
    sockets.add(client).add(upstream);
    let timer = setTimeout(cut, idleMs);
    function cut(): void {
      proxy.cuts++;
      client.destroy();
      upstream.destroy();
    }
    const touch = (): void => {
      clearTimeout(timer);
      timer = setTimeout(cut, idleMs);
    };
    client.on("data", touch);
    upstream.on("data", touch);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = (): void => {
      clearTimeout(timer);
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("close", end);
    upstream.on("close", end);
    client.on("error", () => undefined);
    upstream.on("error", () => undefined);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      proxy.port = typeof address === "object" && address !== null ? address.port : 0;
      proxy.close = () =>
        new Promise((done) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => done());
        });
      resolve(proxy);
    });
  });
}
