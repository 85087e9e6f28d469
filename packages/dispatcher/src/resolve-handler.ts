import { InvalidArgumentError } from "@mq/core";
import type { Delivery } from "@mq/core";
import type { HandlerContext, HandlerResolver, HandlerSpec, ResolvedHandler } from "./types";

/** Calls one handler for one delivery. */
export type Invoke = (payload: unknown, ctx: HandlerContext<unknown>) => unknown;

/** A prepared handler: either fixed, or resolved per delivery. */
export type HandlerSource = { readonly fixed: Invoke } | { readonly token: string; readonly resolver: HandlerResolver };

/** Checks a handler spec once at `handle()` time. */
export function prepareHandler(queue: string, spec: HandlerSpec<never>, resolver: HandlerResolver | undefined): HandlerSource {
  if (typeof spec === "function") return { fixed: toInvoke(spec) };
  if (typeof spec === "object" && spec !== null) {
    if ("handle" in spec && typeof spec.handle === "function") return { fixed: toInvoke(spec) };
    if ("token" in spec && typeof spec.token === "string" && spec.token !== "") {
      if (resolver === undefined) {
        throw new InvalidArgumentError("handle", "handler", `queue "${queue}" uses token "${spec.token}" but the dispatcher has no \`resolver\`; pass one to createDispatcher()`);
      }
      return { token: spec.token, resolver };
    }
  }
  throw new InvalidArgumentError("handle", "handler", `queue "${queue}": expected a function, an object with handle(), or { token }`);
}

/** The handler for one delivery (resolving a token through the resolver). */
export async function handlerFor(source: HandlerSource, delivery: Delivery): Promise<Invoke> {
  if ("fixed" in source) return source.fixed;
  const resolved = await source.resolver.resolve(source.token, delivery);
  return toInvoke(resolved);
}

// ---------------------------------------------------------------------------

function toInvoke(handler: ResolvedHandler | null | undefined): Invoke {
  if (typeof handler === "function") return handler as Invoke;
  if (typeof handler === "object" && handler !== null && typeof handler.handle === "function") {
    const target = handler as { handle: Invoke };
    // Keep `this` bound to the object: class-based handlers use their injected fields.
    return (payload, ctx) => target.handle(payload, ctx);
  }
  throw new InvalidArgumentError("dispatcher", "handler", "the resolver returned neither a function nor an object with handle()");
}
