import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { LeaseLostError } from "@mq/core";

/**
 * Wraps the engine's receipts so the server knows which queue one belongs to
 * (to check `consume` on ack/nack/extend/release) and can tell a forged one
 * without a lookup: `<mac>.<queue base64url>.<engine receipt>`, the MAC an
 * HMAC-SHA256 over queue and engine receipt. A receipt that fails the MAC is
 * answered like any unknown receipt, `LeaseLostError` (409), as the
 * QueueBackend contract says.
 */
export class ReceiptSigner {
  readonly #key: Buffer;

  constructor(secret?: string) {
    this.#key = secret === undefined ? randomBytes(32) : Buffer.from(secret, "utf8");
  }

  sign(queue: string, engineReceipt: string): string {
    const q = Buffer.from(queue, "utf8").toString("base64url");
    return `${this.#mac(q, engineReceipt)}.${q}.${engineReceipt}`;
  }

  /** The queue and engine receipt inside `receipt`, or LeaseLostError when it is not one of ours. */
  open(receipt: string): { queue: string; engineReceipt: string } {
    const a = receipt.indexOf(".");
    const b = a < 0 ? -1 : receipt.indexOf(".", a + 1);
    if (a < 0 || b < 0) throw new LeaseLostError(clip(receipt), "not a receipt this server issued");
    const mac = receipt.slice(0, a);
    const q = receipt.slice(a + 1, b);
    const engineReceipt = receipt.slice(b + 1);
    const expected = this.#mac(q, engineReceipt);
    const given = Buffer.from(mac, "utf8");
    if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected, "utf8"))) throw new LeaseLostError(clip(receipt), "not a receipt this server issued");
    return { queue: Buffer.from(q, "base64url").toString("utf8"), engineReceipt };
  }

  #mac(q: string, engineReceipt: string): string {
    return createHmac("sha256", this.#key).update(q).update("\0").update(engineReceipt).digest("base64url").slice(0, 22);
  }
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}
