/** Plain progress lines on stderr (stdout carries only the final table): one when a step starts, one when it ends, one every few seconds between. */
export interface ProgressLog {
  step(name: string, total: number): { update(done: number): void; end(summary: string): void };
  note(text: string): void;
}

export function createProgressLog(out: NodeJS.WritableStream = process.stderr, everyMs = 5_000): ProgressLog {
  const started = performance.now();
  const stamp = (): string => `[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s]`;
  return {
    step(name, total) {
      out.write(`${stamp()} ${name} …\n`);
      let lastPrint = performance.now();
      return {
        update(done) {
          const now = performance.now();
          if (now - lastPrint < everyMs) return;
          lastPrint = now;
          out.write(`${stamp()}   ${name}: ${done.toLocaleString("en-US")} / ${total.toLocaleString("en-US")}\n`);
        },
        end(summary) {
          out.write(`${stamp()}   ${name}: ${summary}\n`);
        },
      };
    },
    note(text) {
      out.write(`${stamp()} ${text}\n`);
    },
  };
}
