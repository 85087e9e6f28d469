// Top self-time functions of a `node --cpu-prof` profile (see PROFILES.md).
//
//   node --import tsx src/profile-summary.ts /tmp/prof/CPU.*.cpuprofile [--top 30]
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

// Samples are counted, not weighted by their time delta: on a loaded machine a thread descheduled
// mid-function gets one sample with a huge delta. The sample that stops an in-process profiler
// (node:inspector's dispatch) is left out.
const { values, positionals } = parseArgs({ options: { top: { type: "string", default: "30" }, weight: { type: "string", default: "samples" } }, allowPositionals: true });
const byTime = values.weight === "time";
for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!)!;
    if (node.callFrame.functionName === "dispatch" && node.callFrame.url === "") continue;
    const dt = byTime ? (profile.timeDeltas[i] ?? 0) : 1;
    total += dt;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url === "" ? "" : ` ${shorten(url)}:${lineNumber + 1}`;
    const key = `${functionName || "(anonymous)"}${where}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  }
  const idle = [...self.entries()].filter(([k]) => k.startsWith("(idle)")).reduce((s, [, v]) => s + v, 0);
  process.stdout.write(`${path.basename(file)}: ${byTime ? `${(total / 1e6).toFixed(2)} s sampled` : `${total} samples`}, ${(((total - idle) / total) * 100).toFixed(1)}% busy\n`);
  process.stdout.write(`self %  of busy  ${byTime ? " self ms" : "samples"}  function (self % of all samples; of busy: of the non-idle samples; (idle) = event loop waiting)\n`);
  const byArea = new Map<string, number>();
  for (const [key, us] of self) byArea.set(areaOf(key), (byArea.get(areaOf(key)) ?? 0) + us);
  process.stdout.write(`by area, % of busy: ${[...byArea.entries()].filter(([area]) => area !== "idle").sort((a, b) => b[1] - a[1]).map(([area, us]) => `${area} ${((us / (total - idle)) * 100).toFixed(1)}%`).join(", ")}\n`);
  for (const [key, us] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) {
    const ofBusy = key.startsWith("(idle)") ? "" : (((us / (total - idle)) * 100).toFixed(1));
    process.stdout.write(`${((us / total) * 100).toFixed(1).padStart(6)}  ${ofBusy.padStart(7)}  ${(byTime ? us / 1000 : us).toFixed(0).padStart(8)}  ${key}\n`);
  }
}

function shorten(url: string): string {
  const at = url.indexOf("/packages/");
  if (at >= 0) return url.slice(at + 1);
  const nm = url.lastIndexOf("/node_modules/");
  if (nm >= 0) return url.slice(nm + "/node_modules/".length);
  return url.replace(/^file:\/\//, "");
}

/** Where a function lives: an @mq package, msgpackr, node internals, or a VM pseudo-frame. */
function areaOf(key: string): string {
  if (key.startsWith("(idle)")) return "idle";
  if (key.startsWith("(garbage collector)")) return "gc";
  const pkg = /packages\/(\w+)\//.exec(key);
  if (pkg) return `@mq/${pkg[1]}`;
  if (key.includes("msgpackr/")) return "msgpackr";
  if (key.includes(" node:")) return "node (js)";
  if (!key.includes(" ")) return "native/vm";
  return "other";
}
