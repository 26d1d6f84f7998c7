import { Metric } from "../../benchmarks/types";
import { aggregateSummary, compare, Comparison, summarize, Summary } from "../results/stats";
import { Trial } from "./trials";

export interface MetricResult extends Summary {
  unit: string;
  direction: "higher" | "lower";
  labels: Record<string, string>;
}

export interface BenchmarkOutcome {
  /** ok: every trial parsed; partial: some failed; failed: none gave a number. */
  status: "ok" | "partial" | "failed";
  toolVersion: string;
  trials: { index: number; exitCode: number; seconds: number; error?: string }[];
  metrics: Record<string, MetricResult>;
  /** A pair's client (iperf, ab), when it ran elsewhere than on the target's own host. */
  client?: string;
}

export interface RunRecord {
  server: string;
  platform: string;
  guest: string;
  benchmark: string;
  /** A pair's client, when not on the target's own host. */
  client?: string;
  trials: Trial[];
}

/** server -> platform -> guest -> benchmark -> outcome. */
export type Results = Record<
  string,
  Record<string, Record<string, Record<string, BenchmarkOutcome>>>
>;

/** A metric's key: its name, and its labels when it has any, e.g. `throughput[algorithm=sha256,blockBytes=16384]`. */
export function metricKey(m: Pick<Metric, "name" | "labels">): string {
  const labels = Object.entries(m.labels ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return labels.length === 0
    ? m.name
    : `${m.name}[${labels.map(([k, v]) => `${k}=${v}`).join(",")}]`;
}

export function outcome(trials: Trial[]): BenchmarkOutcome {
  const good = trials.filter((t) => t.result !== undefined);
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
    status: good.length === 0 ? "failed" : good.length < trials.length ? "partial" : "ok",
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

/** server -> platform -> guest -> benchmark -> metric -> comparison with the same server's bare metal. */
export type Comparisons = Record<
  string,
  Record<string, Record<string, Record<string, Record<string, Comparison>>>>
>;

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

export interface AggregateResult extends MetricResult {
  /** The guests that ran at once: throughputs add up, latencies are averaged. */
  guests: string[];
  /** The N guests as one against the same server's bare metal, when it ran this benchmark. */
  vsBaseline?: Comparison;
}

/** server -> platform -> benchmark -> metric -> the guests that ran at once, as one. */
export type Aggregates = Record<
  string,
  Record<string, Record<string, Record<string, AggregateResult>>>
>;

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
