import type { QueueHost } from "@mq/host";
import { authorize, type Principal } from "./auth";

/**
 * The host method AZ7 needs: the queues bound to a topic. `@mq/host` does not
 * have it yet; once `QueueHost.bindings(topic: string): Promise<readonly string[]>`
 * exists the check below applies it with no change here.
 */
type BindingLister = { bindings?: (topic: string) => Promise<readonly string[]> };

/**
 * Checks `produce` on a topic's name and (AZ7) on every queue bound to it, so a
 * publish cannot reach a queue the token may not send to. Throws 403 for the
 * whole request before anything is enqueued. A binding added between this
 * check and the enqueue is not seen: bindings are admin-only, so only an admin
 * can open that window.
 */
export async function authorizeTopics(host: QueueHost, principal: Principal, topics: Iterable<string>): Promise<void> {
  const lister = (host as unknown as BindingLister).bindings;
  for (const topic of new Set(topics)) {
    authorize(principal, "produce", topic);
    if (principal.open || typeof lister !== "function") continue;
    for (const queue of await lister.call(host, topic)) authorize(principal, "produce", queue);
  }
}

/** True when the host can list a topic's bound queues, i.e. when AZ7 is enforced per queue. */
export function topicBindingsCheckable(host: QueueHost): boolean {
  return typeof (host as unknown as BindingLister).bindings === "function";
}
