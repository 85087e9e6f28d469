import cliProgress from "cli-progress";
import { formatDuration } from "./duration";
import type { Progress } from "./supervisor";

/** Shows live progress: a bar on a terminal, a compact line every few seconds otherwise. */
export interface ProgressView {
  update(p: Progress): void;
  stop(): void;
}

/** A progress view for `mode` (`auto`: bar when stdout is a TTY). */
export function createProgressView(mode: "auto" | "bar" | "lines" | "off", out: NodeJS.WriteStream = process.stdout): ProgressView {
  if (mode === "off") return { update: () => undefined, stop: () => undefined };
  if (mode === "lines" || (mode === "auto" && out.isTTY !== true)) return linesView(out);
  const bar = new cliProgress.SingleBar(
    {
      format: "{phase} |{bar}| {percentage}% {elapsed_} / {total_} | gen {gen} | kills {kills} | {rate} acks/s | enqueued {enqueued} acked {acked}",
      barCompleteChar: "█",
      barIncompleteChar: "░",
      hideCursor: true,
      stream: out,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      const payload = { phase: p.phase === "chaos" ? "chaos" : "drain", elapsed_: formatDuration(p.elapsedMs), total_: formatDuration(p.chaosMs), gen: p.gen, kills: p.kills, rate: Math.round(p.rate), enqueued: p.enqueued, acked: p.acked };
      const value = Math.min(p.chaosMs, Math.round(p.elapsedMs));
      if (!started) {
        bar.start(p.chaosMs, value, payload);
        started = true;
      } else bar.update(value, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

function linesView(out: NodeJS.WriteStream): ProgressView {
  let lastAt = -Infinity;
  let lastPhase = "";
  return {
    update(p) {
      // A line every 5 s (and when the phase changes) keeps CI logs short.
      if (p.elapsedMs - lastAt < 5_000 && p.phase === lastPhase) return;
      lastAt = p.elapsedMs;
      lastPhase = p.phase;
      out.write(
        `[soak] ${p.phase} ${formatDuration(p.elapsedMs)}/${formatDuration(p.chaosMs)} gen ${p.gen} kills ${p.kills} ${Math.round(p.rate)} acks/s enqueued ${p.enqueued} acked ${p.acked}\n`,
      );
    },
    stop: () => undefined,
  };
}
