import { mainMetrics } from "../../benchmarks/headline";
import { Metric } from "../../benchmarks/types";
import type {
  AggregateResult,
  Aggregates,
  BenchmarkOutcome,
  Comparison,
  Comparisons,
  MetricResult,
  Results,
  TrialContext,
} from "./schema";
import { aggregateSummary, compare, summarize } from "./stats";
import type { Trial } from "../measure/trials";

// What a run's outputs and archive hold: the results schema's types (components/results/schema.ts).
export type { AggregateResult, Aggregates, BenchmarkOutcome, Comparisons, MetricResult, Results };

export interface RunRecord extends OutcomeOptions {
  server: string;
  platform: string;
  guest: string;
  benchmark: string;
  /** A pair's client, when not on the target's own host. */
  client?: string;
  trials: Trial[];
}

/** A metric's key: its name, and its labels when it has any, e.g. `throughput[algorithm=sha256,blockBytes=16384]`. */
export function metricKey(m: Pick<Metric, "name" | "labels">): string {
  const labels = Object.entries(m.labels ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return labels.length === 0
    ? m.name
    : `${m.name}[${labels.map(([k, v]) => `${k}=${v}`).join(",")}]`;
}

/** What outcome() records beside the trials: how many were asked for, why they stopped, the order they ran in. */
export interface OutcomeOptions {
  /** Trials asked for (default: as many as there are trials). */
  asked?: number;
  /** Why the trials stopped where they did, e.g. "precision ±2% reached after 7 rounds". */
  stopped?: string;
  /** The interleaved order: per round, the target keys in the order they ran. */
  schedule?: NonNullable<BenchmarkOutcome["schedule"]>;
  /** When and with what it was measured (start, seconds, end, commit, versions). */
  measured?: NonNullable<BenchmarkOutcome["measured"]>;
}

/**
 * Other work on the host, in CPUs' worth, measured just before a trial
 * (interleave.sh `busy`) at or above which the trial is said to have begun on a
 * host that was not quiet: half a CPU is enough to slow a single-threaded
 * benchmark by several percent, the size of the effects measured.
 */
export const BUSY_CPUS = 0.5;

type WithContext = readonly { index: number; context?: TrialContext }[];

/** Each trial's other work just before it, where it was measured (older archives lack it). */
function busyOf(trials: WithContext): { index: number; busyCpus: number }[] {
  return trials.flatMap((t) => {
    const b = t.context?.host.busyCpus;
    return typeof b === "number" ? [{ index: t.index, busyCpus: b }] : [];
  });
}

/** The trials that began with at least BUSY_CPUS of other work on the host, and how much. */
export function busyBefore(trials: WithContext): { index: number; busyCpus: number }[] {
  return busyOf(trials).filter((b) => b.busyCpus >= BUSY_CPUS);
}

/** "0.02-0.61 CPUs": the range of other work before the trials, or undefined when none was measured. */
export function busyRange(trials: WithContext): string | undefined {
  const busy = busyOf(trials).map((b) => b.busyCpus);
  if (busy.length === 0) return undefined;
  return `${Math.min(...busy).toFixed(2)}-${Math.max(...busy).toFixed(2)} CPUs`;
}

/** "the host was not quiet before trial(s) 3, 7 (up to 0.93 CPUs busy with other work)", or undefined. */
export function busyText(trials: WithContext) {
  const busy = busyBefore(trials);
  if (busy.length === 0) return undefined;
  const most = Math.max(...busy.map((b) => b.busyCpus));
  return (
    `the host was not quiet before trial(s) ${busy.map((b) => b.index).join(", ")} ` +
    `(up to ${most.toFixed(2)} CPUs busy with other work: those trials may be slow)`
  );
}

/**
 * Why a run is not ok: "2 of 3 asked gave a result; 1 gave none (1 missing):
 * trial 3: ...", each reason once.
 */
function shortfall(trials: Trial[], good: number, bad: Trial[], asked: number): string {
  const head = `${good} of ${asked} asked gave a result`;
  if (trials.length === 0) return `${head}: no trial in the run's output`;
  const missing = bad.filter((t) => t.missing).length;
  const counts = [
    ...(missing > 0 ? [`${missing} missing`] : []),
    ...(bad.length > missing ? [`${bad.length - missing} failed`] : []),
  ];
  const reasons = new Map<string, number[]>();
  for (const t of bad) {
    const why = t.error ?? "no result";
    reasons.set(why, [...(reasons.get(why) ?? []), t.index]);
  }
  const why = [...reasons].map(
    ([e, ix]) => `trial${ix.length > 1 ? "s" : ""} ${ix.join(", ")}: ${e}`,
  );
  const notRun = asked - trials.length;
  return [
    head,
    ...(bad.length > 0
      ? [`${bad.length} gave none (${counts.join(", ")}): ${why.join("; ")}`]
      : []),
    ...(notRun > 0 ? [`${notRun} not in the run's output`] : []),
  ].join("; ");
}

/** Where and when a trial ran, once the scheduler records it (components/measure/trials.ts Trial). */
function contextOf(t: Trial): TrialContext | undefined {
  return t.context;
}

/**
 * A run's trials summarized. `trials` holds one per repeat asked for (parseTrials
 * and trialsFrom make a failed one for each the output lacks): so a run short of
 * trials is partial or failed, never ok. With `asked`, it is ok only with that
 * many results and no failed trial.
 */
export function outcome(trials: Trial[], opts: OutcomeOptions = {}): BenchmarkOutcome {
  const asked = opts.asked ?? trials.length;
  const good = trials.filter((t) => t.result !== undefined);
  const bad = trials.filter((t) => t.result === undefined);
  const values = new Map<string, { metric: Metric; values: number[] }>();
  for (const t of good) {
    for (const m of t.result!.metrics) {
      const k = metricKey(m);
      const e = values.get(k) ?? { metric: m, values: [] };
      e.values.push(m.value);
      values.set(k, e);
    }
  }
  const metrics: Record<string, MetricResult> = {};
  for (const [k, { metric, values: v }] of values) {
    metrics[k] = {
      ...summarize(v),
      unit: metric.unit,
      direction: metric.direction,
      labels: metric.labels,
    };
  }
  const ok = good.length > 0 && good.length === asked && bad.length === 0;
  return {
    status: good.length === 0 ? "failed" : ok ? "ok" : "partial",
    ...(ok ? {} : { message: shortfall(trials, good.length, bad, asked) }),
    toolVersion: good[0]?.result?.toolVersion ?? "unknown",
    asked,
    ...(opts.stopped !== undefined ? { stopped: opts.stopped } : {}),
    ...(opts.schedule !== undefined ? { schedule: opts.schedule } : {}),
    ...(opts.measured !== undefined ? { measured: opts.measured } : {}),
    trials: trials.map((t) => {
      const context = contextOf(t);
      return {
        index: t.index,
        exitCode: t.exitCode,
        seconds: t.seconds,
        ...(t.error ? { error: t.error } : {}),
        ...(context ? { context } : {}),
      };
    }),
    metrics,
  };
}

export function assemble(runs: RunRecord[]): Results {
  const out: Results = {};
  for (const r of runs) {
    ((out[r.server] ??= {})[r.platform] ??= {})[r.guest] ??= {};
    out[r.server][r.platform][r.guest][r.benchmark] = {
      ...outcome(r.trials, r),
      ...(r.client ? { client: r.client } : {}),
    };
  }
  return out;
}

/**
 * How many comparisons share a benchmark's 95% (the Bonferroni family, stats.ts
 * compare): its headline figures among the metrics compared
 * (benchmarks/headline.ts), the ones its claims and the adaptive repeats rest
 * on; every other metric is judged at the same per-metric level. At least 1.
 * A family of every metric (openssl reports 14) made three trials of a guest at
 * 4% of bare metal "no difference found".
 */
export function comparisonFamily(
  benchmark: string,
  keys: readonly string[],
  labelsOf: (key: string) => Record<string, string>,
): number {
  const headline = mainMetrics(
    benchmark,
    keys.map((key) => ({ key, name: key.replace(/\[.*$/, ""), labels: labelsOf(key) })),
  );
  return Math.max(1, headline.filter((k) => keys.includes(k)).length);
}

/** The tool versions of a comparison across versions; nothing when they are the same. */
function versionsDiffer(target: string, baseline: string): Pick<Comparison, "toolVersions"> {
  return target === baseline ? {} : { toolVersions: { target, baseline } };
}

/** Whether two targets' trials (outcome and key each) took turns in one interleaved run. */
function tookTurns(a: BenchmarkOutcome, aKey: string, b: BenchmarkOutcome, bKey: string): boolean {
  const has = (o: BenchmarkOutcome, key: string) =>
    o.schedule?.rounds.some((round) => round.includes(key)) ?? false;
  return has(a, bKey) && has(b, aKey);
}

/**
 * Each platform's metrics against the same server's bare metal. A target's
 * benchmark is one comparison family: its headline metrics that bare metal
 * also has (both medians non-zero) share the 95% (comparisonFamily). When the target's
 * tool version differs from bare metal's, every comparison of that benchmark
 * says so (toolVersions).
 */
export function compareToBaseline(results: Results): Comparisons {
  const out: Comparisons = {};
  for (const [server, platforms] of Object.entries(results)) {
    const bare = platforms.baseline?.host;
    if (!bare) continue;
    for (const [platform, guests] of Object.entries(platforms)) {
      if (platform === "baseline") continue;
      for (const [guest, benchmarks] of Object.entries(guests)) {
        for (const [benchmark, o] of Object.entries(benchmarks)) {
          const base = bare[benchmark];
          if (!base) continue;
          const keys = Object.keys(o.metrics).filter((key) => {
            const b = base.metrics[key];
            return b !== undefined && b.median !== 0 && o.metrics[key].median !== 0;
          });
          if (keys.length === 0) continue;
          const versions = versionsDiffer(o.toolVersion, base.toolVersion);
          const interleaved = tookTurns(
            o,
            `${server}/${platform}/${guest}`,
            base,
            `${server}/baseline/host`,
          );
          const family = comparisonFamily(benchmark, keys, (k) => o.metrics[k].labels);
          const compared: Record<string, Comparison> = {};
          for (const key of keys) {
            const m = o.metrics[key];
            compared[key] = {
              ...compare(m, base.metrics[key], m.direction, family),
              ...versions,
              interleaved,
            };
          }
          ((out[server] ??= {})[platform] ??= {})[guest] ??= {};
          out[server][platform][guest][benchmark] = compared;
        }
      }
    }
  }
  return out;
}

/** Guests of one platform that ran a benchmark at the same time (a concurrent run). */
export interface ConcurrentGroup {
  server: string;
  platform: string;
  benchmark: string;
  guests: string[];
}

/**
 * The 2009 paper's "8 VMs at once" figures: each concurrent group as one,
 * against the host. A group's headline metrics that bare metal has are one comparison
 * family (as a target's benchmark is in compareToBaseline); a guest whose tool
 * version differs from bare metal's is flagged (toolVersions: the guests'
 * versions, comma-separated).
 */
export function aggregateConcurrent(results: Results, groups: ConcurrentGroup[]): Aggregates {
  const out: Aggregates = {};
  for (const g of groups) {
    const outcomes = g.guests.map(
      (guest) => results[g.server]?.[g.platform]?.[guest]?.[g.benchmark],
    );
    if (g.guests.length < 2 || outcomes.some((o) => o === undefined)) continue;
    const all = outcomes as BenchmarkOutcome[];
    // Only metrics every guest measured: a guest without numbers would make the sum a lie.
    const keys = Object.keys(all[0].metrics).filter((k) => all.every((o) => o.metrics[k]));
    const bareOutcome = results[g.server]?.baseline?.host?.[g.benchmark];
    const aggs = keys.map((k) => {
      const per = all.map((o) => o.metrics[k]);
      const agg = aggregateSummary(per, per[0].direction);
      return { k, per, agg, bare: bareOutcome?.metrics[k] };
    });
    const compared = aggs.filter((a) => a.bare && a.bare.median !== 0 && a.agg.median !== 0);
    const family = comparisonFamily(
      g.benchmark,
      compared.map((a) => a.k),
      (k) => all[0].metrics[k].labels,
    );
    const guestVersions = [...new Set(all.map((o) => o.toolVersion))].join(", ");
    const versions = bareOutcome ? versionsDiffer(guestVersions, bareOutcome.toolVersion) : {};
    // Interleaved only if every guest took turns with bare metal.
    const bareKey = `${g.server}/baseline/host`;
    const interleaved =
      bareOutcome !== undefined &&
      all.every((o, i) =>
        tookTurns(o, `${g.server}/${g.platform}/${g.guests[i]}`, bareOutcome, bareKey),
      );
    for (const { k, per, agg, bare } of aggs) {
      const { unit, direction, labels } = per[0];
      ((out[g.server] ??= {})[g.platform] ??= {})[g.benchmark] ??= {};
      out[g.server][g.platform][g.benchmark][k] = {
        ...agg,
        unit,
        direction,
        labels,
        guests: [...g.guests],
        ...(bare && bare.median !== 0 && agg.median !== 0
          ? { vsBaseline: { ...compare(agg, bare, direction, family), ...versions, interleaved } }
          : {}),
      };
    }
  }
  return out;
}
