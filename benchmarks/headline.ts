import { benchmarks } from ".";

/*
 * A benchmark's headline figures: what the report's tables and charts show,
 * and what adaptive repeats (components/measure/precision.ts) make precise.
 * Written once, here, beside the modules that declare them.
 */

export type Pick1 = { key: string; name: string; labels: Record<string, string> };

/**
 * A benchmark's main metrics among the keys it reported, in the order tables
 * and charts show them, the headline first: the names its module declares
 * (benchmarks/*.ts `mainMetrics`), openssl's throughput at the largest block
 * size of each algorithm, iperf's receiver side of each direction, and so on.
 * Benchmarks without a module that declares them get their metrics that are
 * neither counts nor CPU percentages, at most eight.
 */
export function mainMetrics(benchmark: string, metrics: Pick1[]): string[] {
  const names = Object.hasOwn(benchmarks, benchmark)
    ? benchmarks[benchmark].mainMetrics
    : undefined;
  if (!names) {
    return metrics
      .filter((m) => !/_cpu$|^failed|errors|retransmits|non_2xx/.test(m.name))
      .slice(0, 8)
      .map((m) => m.key);
  }
  const chosen: string[] = [];
  for (const n of names) {
    let ms = metrics.filter((m) => m.name === n);
    if (ms.some((m) => m.labels.blockBytes !== undefined)) {
      // Largest block size per algorithm: the bulk rate, as the 2006 paper quoted it.
      const largest = new Map<string, number>();
      for (const m of ms) {
        const a = m.labels.algorithm ?? "";
        largest.set(a, Math.max(largest.get(a) ?? 0, Number(m.labels.blockBytes)));
      }
      ms = ms.filter((m) => Number(m.labels.blockBytes) === largest.get(m.labels.algorithm ?? ""));
    }
    if (ms.some((m) => m.labels.side !== undefined)) {
      // One per direction: the receiver's figure where there is one.
      const byDirection = new Map<string, Pick1>();
      for (const m of ms) {
        const d = m.labels.direction ?? "";
        const prev = byDirection.get(d);
        if (!prev || (prev.labels.side !== "receiver" && m.labels.side === "receiver")) {
          byDirection.set(d, m);
        }
      }
      ms = [...byDirection.values()];
    }
    chosen.push(...ms.map((m) => m.key));
  }
  return chosen;
}
