import { describe, expect, it } from "vitest";
import { makePayload, PAYLOAD_BYTES } from "./payload";

describe("makePayload", () => {
  it.each([
    [0, 0],
    [7, 1.5],
    [99_999, 123_456.789_012_345],
  ])("i %d, t %d: exactly 256 bytes of JSON", (i, t) => {
    expect(JSON.stringify(makePayload(i, t)).length).toBe(PAYLOAD_BYTES);
  });
});
