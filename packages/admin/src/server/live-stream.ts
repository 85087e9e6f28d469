import type { ServerResponse } from "node:http";
import type { AdminApi } from "../admin-api";

/**
 * Server-Sent Events for the dashboard: one timer reads the numbers once per
 * interval and writes them to every connected client. The timer runs only
 * while someone is connected.
 */
export class LiveStream {
  readonly #api: AdminApi;
  readonly #intervalMs: number;
  readonly #clients = new Set<ServerResponse>();
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  constructor(api: AdminApi, intervalMs: number) {
    this.#api = api;
    this.#intervalMs = intervalMs;
  }

  get clients(): number {
    return this.#clients.size;
  }

  /** Takes over a response: writes the SSE headers, the first event at once, then one per interval. */
  attach(res: ServerResponse): void {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", connection: "keep-alive", "x-accel-buffering": "no" });
    res.write(`retry: 2000\n\n`);
    this.#clients.add(res);
    res.on("close", () => {
      this.#clients.delete(res);
      if (this.#clients.size === 0) this.#stopTimer();
    });
    void this.#push([res]);
    this.#timer ??= setInterval(() => void this.#push([...this.#clients]), this.#intervalMs);
  }

  /** Ends every stream (server shutdown). */
  close(): void {
    this.#stopTimer();
    for (const res of this.#clients) res.end();
    this.#clients.clear();
  }

  // ---------------------------------------------------------------------------

  async #push(targets: readonly ServerResponse[]): Promise<void> {
    if (this.#busy || targets.length === 0) return;
    this.#busy = true;
    let frame: string;
    try {
      const metrics = await this.#api.metrics();
      const handlers = this.#api.handlers();
      const health = this.#api.health();
      frame = `event: metrics\ndata: ${JSON.stringify({ metrics, handlers, health })}\n\n`;
    } catch (error) {
      frame = `event: failure\ndata: ${JSON.stringify({ message: error instanceof Error ? error.message : String(error) })}\n\n`;
    } finally {
      this.#busy = false;
    }
    for (const res of targets) if (!res.writableEnded) res.write(frame);
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
