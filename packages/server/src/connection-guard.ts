import type { Server } from "node:net";

/**
 * Caps open connections per client address (DS5): a connection over the cap
 * is destroyed before any byte is read, so one address holding many slow
 * sockets cannot use up the server's connection budget for everyone else.
 * `server.maxConnections` bounds the total.
 */
export function guardConnections(server: Server, options: { maxConnections: number; maxConnectionsPerIp: number }): { perIp: Map<string, number> } {
  server.maxConnections = options.maxConnections;
  const perIp = new Map<string, number>();
  server.on("connection", (socket) => {
    const ip = socket.remoteAddress ?? "?";
    const n = (perIp.get(ip) ?? 0) + 1;
    if (n > options.maxConnectionsPerIp) {
      socket.destroy();
      return;
    }
    perIp.set(ip, n);
    socket.once("close", () => {
      const left = (perIp.get(ip) ?? 1) - 1;
      if (left <= 0) perIp.delete(ip);
      else perIp.set(ip, left);
    });
  });
  return { perIp };
}
