import { Metric } from "../../benchmarks/types";
import type {
  AggregateResult,
  Aggregates,
  BenchmarkOutcome,
  Comparisons,
  MetricResult,
  Results,
} from "./schema";
import { aggregateSummary, compare, summarize } from "./stats";
import type { Trial } from "../measure/trials";

// What a run's outputs and archive hold: the results schema's types (components/results/schema.ts).
export type { AggregateResult, Aggregates, BenchmarkOutcome, Comparisons, MetricResult, Results };

export interface RunRecord {
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

/** Why a run is not ok: "1 of 3 trials gave no result (1 missing): trial 3: ...", each reason once. */
function shortfall(trials: Trial[], bad: Trial[]): string {
  if (trials.length === 0) return "no trial in the run's output";
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
  return `${bad.length} of ${trials.length} trials gave no result (${counts.join(", ")}): ${why.join("; ")}`;
}

/**
 * A run's trials summarized. `trials` holds one per repeat asked for (parseTrials
 * and trialsFrom make a failed one for each the output lacks): so a run short of
 * trials is partial or failed, never ok.
 */
export function outcome(trials: Trial[]): BenchmarkOutcome {
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
  return {
    status: good.length === 0 ? "failed" : bad.length > 0 ? "partial" : "ok",
    ...(good.length === 0 || bad.length > 0 ? { message: shortfall(trials, bad) } : {}),
    toolVersion: good[0]?.result?.toolVersion ?? "unknown",
    trials: trials.map((t) => ({
      index: t.index,
      exitCode: t.exitCode,
      seconds: t.seconds,
      ...(t.error ? { error: t.error } : {}),
    })),
    metrics,
  };
}

export function assemble(runs: RunRecord[]): Results {
  const out: Results = {};
  for (const r of runs) {
    ((out[r.server] ??= {})[r.platform] ??= {})[r.guest] ??= {};
    out[r.server][r.platform][r.guest][r.benchmark] = {
      ...outcome(r.trials),
      ...(r.client ? { client: r.client } : {}),
    };
  }
  return out;
}

export function compareToBaseline(results: Results): Comparisons {
  const out: Comparisons = {};
  for (const [server, platforms] of Object.entries(results)) {
    const bare = platforms.baseline?.host;
    if (!bare) continue;
    for (const [platform, guests] of Object.entries(platforms)) {
      if (platform === "baseline") continue;
      for (const [guest, benchmarks] of Object.entries(guests)) {
        for (const [benchmark, o] of Object.entries(benchmarks)) {
          for (const [key, m] of Object.entries(o.metrics)) {
            const b = bare[benchmark]?.metrics[key];
            if (!b || b.median === 0 || m.median === 0) continue;
            (((out[server] ??= {})[platform] ??= {})[guest] ??= {})[benchmark] ??= {};
            out[server][platform][guest][benchmark][key] = compare(m, b, m.direction);
          }
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

/** The 2009 paper's "8 VMs at once" figures: each concurrent group as one, against the host. */
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
    for (const k of keys) {
      const per = all.map((o) => o.metrics[k]);
      const { unit, direction, labels } = per[0];
      const agg = aggregateSummary(per, direction);
      const bare = results[g.server]?.baseline?.host?.[g.benchmark]?.metrics[k];
      ((out[g.server] ??= {})[g.platform] ??= {})[g.benchmark] ??= {};
      out[g.server][g.platform][g.benchmark][k] = {
        ...agg,
        unit,
        direction,
        labels,
        guests: [...g.guests],
        ...(bare && bare.median !== 0 && agg.median !== 0
          ? { vsBaseline: compare(agg, bare, direction) }
          : {}),
      };
    }
  }
  return out;
}
