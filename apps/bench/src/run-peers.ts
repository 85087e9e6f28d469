import type { ProgressLog } from "./progress";
import type { Peer, PeerId } from "./peer";
import type { PeerRun } from "./run-result";
import { runWorkload, WORKLOAD_IDS, WORKLOAD_LABELS, type WorkloadResult, type WorkloadSizes } from "./workloads";

/** Make the peer, run every workload on a fresh session of it, release it; a failed workload is recorded and the run goes on. */
export async function runPeer(makePeer: () => Promise<Peer>, label: string, sizes: WorkloadSizes, log: ProgressLog): Promise<{ id?: PeerId; run: PeerRun }> {
  let peer: Peer;
  try {
    peer = await makePeer();
  } catch (error) {
    const message = errorText(error);
    log.note(`${label}: could not start: ${message}`);
    return { run: { settings: `could not start: ${message}`, results: Object.fromEntries(WORKLOAD_IDS.map((id) => [id, { kind: "error", error: message }])) } };
  }
  const results: PeerRun["results"] = {};
  try {
    for (const workload of peer.workloads) {
      const total = workload === "single" ? sizes.single : workload === "latency" ? sizes.latency : workload.startsWith("drain") ? sizes.drain : sizes.bulk;
      const step = log.step(`${label} · ${WORKLOAD_LABELS[workload]} (${total.toLocaleString("en-US")})`, total);
      results[workload] = await runOne(peer, workload, sizes, step);
      step.end(describe(results[workload]));
    }
  } finally {
    await peer.dispose().catch((error: unknown) => log.note(`${label}: stopping failed: ${errorText(error)}`));
  }
  return { id: peer.id, run: { settings: peer.settings, results } };
}

// ---------------------------------------------------------------------------

async function runOne(peer: Peer, workload: (typeof WORKLOAD_IDS)[number], sizes: WorkloadSizes, step: { update(done: number): void }): Promise<WorkloadResult> {
  let session;
  try {
    session = await peer.openSession();
  } catch (error) {
    return { kind: "error", error: errorText(error) };
  }
  try {
    return await runWorkload(workload, session, sizes, (done) => step.update(done));
  } catch (error) {
    return { kind: "error", error: errorText(error) };
  } finally {
    await session.close().catch(() => undefined);
  }
}

function describe(result: WorkloadResult): string {
  switch (result.kind) {
    case "throughput":
      return `${Math.round(result.perSecond).toLocaleString("en-US")} msg/s (${result.messages.toLocaleString("en-US")} in ${result.seconds.toFixed(2)} s${result.partial ? ", stopped at the time cap" : ""})`;
    case "latency":
      return `p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, max ${result.max.toFixed(2)} ms (${result.count} samples; enqueues accepted at ${Math.round(result.acceptedPerSecond).toLocaleString("en-US")} msg/s, handlers started at ${Math.round(result.startedPerSecond).toLocaleString("en-US")} msg/s)`;
    case "error":
      return `FAILED: ${result.error}`;
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
