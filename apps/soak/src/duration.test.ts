import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "./duration";

describe("parseDuration", () => {
  it.each([
    ["500ms", 500],
    ["90s", 90_000],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["24h", 86_400_000],
    ["1h30m", 5_400_000],
    ["2.5s", 2_500],
    ["10", 10_000],
    [" 3S ", 3_000],
  ])("reads %s", (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(["", "abc", "10x", "s", "1h 2m", "-5s", "5s!"])("rejects %j", (text) => expect(() => parseDuration(text)).toThrow(RangeError));
});

describe("formatDuration", () => {
  it.each([
    [850, "850ms"],
    [12_500, "12.5s"],
    [185_000, "3m05s"],
    [3_720_000, "1h02m"],
  ])("formats %d", (ms, text) => expect(formatDuration(ms)).toBe(text));
});
