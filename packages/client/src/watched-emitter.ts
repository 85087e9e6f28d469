import type { BackendEvents } from "@mq/core";
import { EventEmitter } from "eventemitter3";

type Name = EventEmitter.EventNames<BackendEvents>;
type Listener<T extends Name> = EventEmitter.EventListener<BackendEvents, T>;

/**
 * The backend's event emitter, told when someone starts listening to an
 * event, so the server is asked to forward that kind only once it is wanted
 * (a client nobody listens to for `completed` pays nothing for it).
 */
export class WatchedEmitter extends EventEmitter<BackendEvents> {
  readonly #onListen: (event: Name) => void;

  constructor(onListen: (event: Name) => void) {
    super();
    this.#onListen = onListen;
  }

  override on<T extends Name>(event: T, fn: Listener<T>, context?: unknown): this {
    this.#onListen(event);
    return super.on(event, fn, context);
  }

  override addListener<T extends Name>(event: T, fn: Listener<T>, context?: unknown): this {
    this.#onListen(event);
    return super.addListener(event, fn, context);
  }

  override once<T extends Name>(event: T, fn: Listener<T>, context?: unknown): this {
    this.#onListen(event);
    return super.once(event, fn, context);
  }
}
