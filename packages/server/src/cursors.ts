import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { RequestError } from "./http-errors";

/**
 * MACs dead-letter page cursors (DS15): `<mac>.<host cursor>`, the MAC an
 * HMAC-SHA256 over the listing's filter and the host's cursor, so a cursor
 * cannot be forged, edited, or carried over to another queue's listing.
 * A cursor that fails is a 400 `INVALID_CURSOR` before the host sees it.
 */
export class CursorSigner {
  readonly #key: Buffer;

  constructor(secret?: string) {
    this.#key = secret === undefined ? randomBytes(32) : Buffer.from(secret, "utf8");
  }

  sign(filter: CursorScope, cursor: string): string {
    return `${this.#mac(filter, cursor)}.${cursor}`;
  }

  /** The host's cursor inside `signed`; throws 400 when the MAC does not match this filter. */
  open(filter: CursorScope, signed: string): string {
    const dot = signed.indexOf(".");
    const cursor = dot < 0 ? "" : signed.slice(dot + 1);
    const given = Buffer.from(dot < 0 ? "" : signed.slice(0, dot), "utf8");
    const expected = Buffer.from(this.#mac(filter, cursor), "utf8");
    if (dot < 0 || given.length !== expected.length || !timingSafeEqual(given, expected)) throw new RequestError(400, "INVALID_CURSOR", "the cursor was not issued by this server for this listing; start again without a cursor");
    return cursor;
  }

  #mac(filter: CursorScope, cursor: string): string {
    return createHmac("sha256", this.#key).update(`${filter.queue ?? "\u0001"}\0${filter.reason ?? "\u0001"}\0${cursor}`).digest("base64url").slice(0, 22);
  }
}

/** The part of a listing a cursor is bound to. */
export interface CursorScope {
  readonly queue?: string | undefined;
  readonly reason?: string | undefined;
}
