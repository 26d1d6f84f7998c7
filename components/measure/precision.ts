/**
 * Adaptive repeats: the stop rule an interleaved run's rounds ask after each
 * round (command-provider.ts Rounds). Its figures are the results' own:
 * the trials so far go through outcome() and compareToBaseline(), as the
 * archive's will, so "precise to ±2%" is said of the intervals the report
 * shows. Runs in the provider's process, between rounds.
 */
import { benchmarks } from "../../benchmarks";
import { mainMetrics } from "../../benchmarks/headline";
import { relativeHalfWidth, ratioHalfWidth } from "../results/stats";
import { assemble, compareToBaseline, RunRecord } from "../results/summarize";
import { targetTrials } from "./interleaved-output";

export { precisionSchema } from "./precision-schema";
export type { Precision } from "./precision-schema";

/** What the rule is given: the run's targets, in their section numbers' order, and the precision. */
export interface StopArgs {
  benchmark: string;
  targets: { server: string; platform: string; guest: string; unit: number; params: unknown }[];
  /** ± this many percent. */
  percent: number;
}

const pct = (x: number) => `±${(x * 100).toFixed(1)}%`;

/** Why to stop after `round` rounds ("" to go on): the precision reached, or the last round run without it. */
export function stopRule(out: string, args: StopArgs, round: number, last: boolean): string {
  const m = benchmarks[args.benchmark];
  const runs: RunRecord[] = args.targets.map((t, i) => ({
    server: t.server,
    platform: t.platform,
    guest: t.guest,
    benchmark: args.benchmark,
    trials: targetTrials(m, out, i, t.unit, t.params, round),
  }));
  const results = assemble(runs);
  const comparison = compareToBaseline(results);
  // The widest interval among every target's headline figures.
  let widest: { width: number; what: string } | undefined;
  let unresolved = 0;
  for (const t of args.targets) {
    const o = results[t.server]?.[t.platform]?.[t.guest]?.[args.benchmark];
    if (!o || o.status === "failed") continue;
    // Against bare metal where it takes turns in this run; bare metal alone (a
    // run of its own, as before a reboot into Xen) by its own spread.
    const alone = args.targets.length === 1;
    const hasBaseline = !alone && results[t.server]?.baseline?.host?.[args.benchmark] !== undefined;
    if (hasBaseline && t.platform === "baseline") continue;
    const keys = mainMetrics(
      args.benchmark,
      Object.entries(o.metrics).map(([key, v]) => ({
        key,
        name: key.split("[")[0],
        labels: v.labels,
      })),
    );
    for (const key of keys) {
      const c = comparison[t.server]?.[t.platform]?.[t.guest]?.[args.benchmark]?.[key];
      const width = hasBaseline
        ? c && ratioHalfWidth(c)
        : relativeHalfWidth(o.metrics[key]?.trials ?? []);
      if (width === null || width === undefined) {
        unresolved++;
        continue;
      }
      if (!widest || width > widest.width) {
        widest = { width, what: `${key} on ${t.server}/${t.platform}/${t.guest}` };
      }
    }
  }
  const goal = args.percent / 100;
  if (widest && widest.width <= goal && unresolved === 0) {
    return `precision ${pct(goal)} reached after ${round} rounds (widest ${pct(widest.width)}: ${widest.what})`;
  }
  if (!last) return "";
  if (!widest) return `${round} rounds, the most allowed: no interval to judge the precision by`;
  return (
    `${round} rounds, the most allowed, before ${pct(goal)}: widest ${pct(widest.width)} (${widest.what})` +
    (unresolved > 0 ? `; ${unresolved} figures without an interval` : "")
  );
}
