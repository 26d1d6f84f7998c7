/**
 * A run's results as the report's tables: every metric of every target against
 * the same server's bare metal, each benchmark's main metrics, the summary "%
 * of bare metal", the 2009 paper's "% loss" shape and N-guest aggregates.
 * Comparisons and aggregates are the ones the run archived; the arithmetic
 * left here (geometric means, error bars) is components/results/stats.ts, and
 * this module only arranges it.
 */
import { benchmarks as modules } from "../benchmarks";
import type { Direction } from "../benchmarks/types";
import { TargetName, targetKey } from "../components/measure/target-name";
import type { BenchmarkOutcome, MetricResult, Results } from "../components/results/schema";
import {
  aggregateSummary,
  compare,
  Comparison,
  percentOf,
  Summary,
} from "../components/results/stats";
import { own } from "./input";
import type { Run } from "./load";

/** What the tables read of a run: its results, and the comparison and aggregates it archived. */
export type RunTables = Pick<Run, "results" | "comparison" | "aggregates">;

export const BASELINE = "baseline";
export const HOST = "host";

/** How a target is named inside its server's tables: "bare metal", "lxc/vtb-testbed-ct". */
export const targetLabel = (t: TargetName): string =>
  t.platform === BASELINE ? "bare metal" : `${t.platform}/${t.guest}`;

export interface MetricRow extends TargetName {
  benchmark: string;
  key: string;
  /** The metric's name without labels, e.g. "throughput". */
  name: string;
  result: MetricResult;
  /** Bare metal's result for the same metric on the same server, when it has one. */
  baseline?: MetricResult;
  /** Against bare metal, as the run archived it; absent for bare metal itself and when not comparable (a zero median). */
  comparison?: Comparison;
  /**
   * The trials' spread as % of bare metal's median: [worst, best] trial, for
   * the error bars. Bare metal's own rows have it too (around 100).
   */
  percentRange?: [number, number];
}

/** "throughput aes-128-cbc 16384": a metric's name and its label values, for axes and tables. */
export function metricLabel(key: string, labels: Record<string, string>): string {
  const name = key.replace(/\[.*$/, "");
  const values = Object.keys(labels)
    .sort()
    .map((k) => labels[k]);
  return [name.replace(/_/g, " "), ...values].join(" ");
}

/** Targets in a stable order: per server, bare metal first, then platforms and guests as recorded. */
export function targets(results: Results): TargetName[] {
  const out: TargetName[] = [];
  for (const [server, platforms] of Object.entries(results)) {
    const names = Object.keys(platforms).sort((a, b) =>
      a === BASELINE ? -1 : b === BASELINE ? 1 : 0,
    );
    for (const platform of names) {
      for (const guest of Object.keys(platforms[platform])) out.push({ server, platform, guest });
    }
  }
  return out;
}

export function benchmarksOf(results: Results, server?: string): string[] {
  const seen = new Set<string>();
  for (const [s, platforms] of Object.entries(results)) {
    if (server !== undefined && s !== server) continue;
    for (const guests of Object.values(platforms)) {
      for (const benchmarks of Object.values(guests)) {
        for (const b of Object.keys(benchmarks)) seen.add(b);
      }
    }
  }
  return [...seen];
}

export function outcomeOf(
  results: Results,
  t: TargetName,
  benchmark: string,
): BenchmarkOutcome | undefined {
  return own(own(own(own(results, t.server), t.platform), t.guest), benchmark);
}

/** A value's [worst, best] trial as % of bare metal's median; undefined where a zero forbids it. */
export function percentRange(
  m: Pick<Summary, "min" | "max">,
  baselineMedian: number,
  direction: Direction,
): [number, number] | undefined {
  if (baselineMedian === 0) return undefined;
  if (direction === "lower" && (m.min <= 0 || m.max <= 0)) return undefined;
  const a =
    direction === "higher"
      ? (m.min / baselineMedian) * 100
      : percentOf(m.max, baselineMedian, direction);
  const b =
    direction === "higher"
      ? (m.max / baselineMedian) * 100
      : percentOf(m.min, baselineMedian, direction);
  return [Math.min(a, b), Math.max(a, b)];
}

/** Every metric of every target, with bare metal's result and the run's comparison beside it. */
export function metricRows({
  results,
  comparison,
}: Pick<RunTables, "results" | "comparison">): MetricRow[] {
  const rows: MetricRow[] = [];
  for (const t of targets(results)) {
    const bare = results[t.server][BASELINE]?.[HOST];
    const compared = own(own(own(comparison, t.server), t.platform), t.guest);
    for (const [benchmark, o] of Object.entries(results[t.server][t.platform][t.guest])) {
      for (const [key, m] of Object.entries(o.metrics)) {
        const b = own(own(bare, benchmark)?.metrics, key);
        const comparable = b !== undefined && b.median !== 0 && m.median !== 0;
        rows.push({
          ...t,
          benchmark,
          key,
          name: key.replace(/\[.*$/, ""),
          result: m,
          baseline: b,
          comparison: t.platform !== BASELINE ? own(own(compared, benchmark), key) : undefined,
          percentRange: comparable ? percentRange(m, b.median, m.direction) : undefined,
        });
      }
    }
  }
  return rows;
}

type Pick1 = { key: string; name: string; labels: Record<string, string> };

/**
 * A benchmark's main metrics among the keys it reported, in the order tables
 * and charts show them, the headline first: the names its module declares
 * (benchmarks/*.ts `mainMetrics`), openssl's throughput at the largest block
 * size of each algorithm, iperf's receiver side of each direction, and so on.
 * Benchmarks without a module that declares them get their metrics that are
 * neither counts nor CPU percentages, at most eight.
 */
export function mainMetrics(benchmark: string, metrics: Pick1[]): string[] {
  const names = own(modules, benchmark)?.mainMetrics;
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

/** The main metric keys of a benchmark on a server, judged from every target's metrics, bare metal's first. */
export function mainMetricsOf(results: Results, server: string, benchmark: string): string[] {
  const seen = new Map<string, Pick1>();
  for (const t of targets(results).filter((t) => t.server === server)) {
    const o = outcomeOf(results, t, benchmark);
    for (const [key, m] of Object.entries(o?.metrics ?? {})) {
      if (!seen.has(key)) seen.set(key, { key, name: key.replace(/\[.*$/, ""), labels: m.labels });
    }
  }
  return mainMetrics(benchmark, [...seen.values()]);
}

export interface SummaryCell {
  /** Geometric mean of the main metrics' % of bare metal. */
  percent: number;
  /** How many main metrics were compared, and how many of those are within noise. */
  metrics: number;
  withinNoise: number;
}

/** A cell's text: "within noise" when every main metric is, else the percentage (and how many were noise). */
export function formatCell(c: SummaryCell): string {
  const pct = `${formatPercent(c.percent)}`;
  if (c.withinNoise === c.metrics) return `within noise (${pct})`;
  return c.withinNoise === 0 ? pct : `${pct} (${c.withinNoise} of ${c.metrics} within noise)`;
}

export function formatPercent(p: number): string {
  // readRun refuses the values that make one (negative, infinite); printing "NaN%" would be a wrong number.
  if (!Number.isFinite(p)) throw new Error(`a percentage came out as ${p}`);
  return `${p >= 10 ? p.toFixed(1) : p.toPrecision(2)}%`;
}

export function geomean(xs: number[]): number {
  return Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
}

export interface SummaryTable {
  server: string;
  benchmarks: string[];
  /** Targets other than bare metal, in order. */
  columns: TargetName[];
  /** benchmark -> target key -> cell (absent: not measured or not comparable). */
  cells: Record<string, Record<string, SummaryCell>>;
}

/** "% of bare metal" per platform and benchmark, one table per server. */
export function summaryTables(run: RunTables, rows = metricRows(run)): SummaryTable[] {
  const { results } = run;
  return Object.keys(results).map((server) => {
    const columns = targets(results).filter((t) => t.server === server && t.platform !== BASELINE);
    const benchmarks = benchmarksOf(results, server);
    const cells: SummaryTable["cells"] = {};
    for (const b of benchmarks) {
      const main = new Set(mainMetricsOf(results, server, b));
      for (const t of columns) {
        const cs = rows
          .filter((r) => r.benchmark === b && r.comparison && main.has(r.key))
          .filter((r) => targetKey(r) === targetKey(t))
          .map((r) => r.comparison!);
        if (cs.length === 0) continue;
        const row = own(cells, b) ?? (cells[b] = {});
        row[targetKey(t)] = {
          percent: geomean(cs.map((c) => c.percentOfBaseline)),
          metrics: cs.length,
          withinNoise: cs.filter((c) => c.withinNoise).length,
        };
      }
    }
    return { server, benchmarks, columns, cells };
  });
}

export interface LossRow {
  /** "bare metal", "kvm/vtb-testbed-vm", or "kvm: 8 guests, aggregate". */
  label: string;
  guests: number;
  summary: Summary;
  comparison?: Comparison;
}

export interface LossTable {
  server: string;
  benchmark: string;
  key: string;
  unit: string;
  direction: Direction;
  rows: LossRow[];
}

/**
 * The 2009 paper's HEP-SPEC06 table, for every benchmark's headline metric:
 * bare metal's score, then each guest's score and its % loss, then each
 * platform's N-guest aggregate against the host.
 */
export function lossTables(run: RunTables, rows = metricRows(run)): LossTable[] {
  const { results } = run;
  const aggs = aggregates(run, rows);
  const out: LossTable[] = [];
  for (const server of Object.keys(results)) {
    for (const benchmark of benchmarksOf(results, server)) {
      // The headline: the first main metric bare metal has too (bonnie's block rates may be "+++++" there).
      const main = mainMetricsOf(results, server, benchmark);
      const onBare = (k: string) =>
        rows.some(
          (r) =>
            r.server === server &&
            r.platform === BASELINE &&
            r.benchmark === benchmark &&
            r.key === k,
        );
      const key = main.find(onBare) ?? main[0];
      if (!key) continue;
      const own = rows.filter(
        (r) => r.server === server && r.benchmark === benchmark && r.key === key,
      );
      const first = own[0];
      if (!first) continue;
      const lines: LossRow[] = own.map((r) => ({
        label: targetLabel(r),
        guests: 1,
        summary: r.result,
        comparison: r.comparison,
      }));
      for (const a of aggs.filter(
        (a) => a.server === server && a.benchmark === benchmark && a.key === key,
      )) {
        lines.push({
          label: aggregateLabel(a),
          guests: a.guests.length,
          summary: a.summary,
          comparison: a.comparison,
        });
      }
      out.push({
        server,
        benchmark,
        key,
        unit: first.result.unit,
        direction: first.result.direction,
        rows: lines,
      });
    }
  }
  return out;
}

export interface Aggregate {
  server: string;
  platform: string;
  benchmark: string;
  key: string;
  guests: string[];
  /** The guests ran the benchmark at the same time (a concurrent run), not one after another. */
  concurrent: boolean;
  summary: Summary;
  comparison?: Comparison;
}

/**
 * N guests against the host, for each benchmark's main metrics: the run's
 * recorded concurrent groups (guests that ran at once), with the comparison
 * the run made, when it has the record; else, for runs from before concurrent
 * runs, every platform with more than one guest, whose guests then ran one
 * after another: the run never aggregated those, so they are added up here
 * (throughputs add up, latencies are averaged: components/results/stats.ts).
 */
export function aggregates(run: RunTables, rows = metricRows(run)): Aggregate[] {
  const { results, aggregates: recorded } = run;
  const out: Aggregate[] = [];
  if (recorded) {
    for (const [server, platforms] of Object.entries(recorded)) {
      for (const [platform, benchmarks] of Object.entries(platforms)) {
        for (const [benchmark, metrics] of Object.entries(benchmarks)) {
          const main = mainMetricsOf(results, server, benchmark);
          for (const key of main) {
            const a = own(metrics, key);
            if (!a) continue;
            out.push({
              server,
              platform,
              benchmark,
              key,
              guests: a.guests,
              concurrent: true,
              summary: a,
              comparison: a.vsBaseline,
            });
          }
        }
      }
    }
    return out;
  }
  const bareOf = (server: string, benchmark: string, key: string) =>
    own(own(own(results, server)?.[BASELINE]?.[HOST], benchmark)?.metrics, key);
  const against = (summary: Summary, bare: Summary | undefined, direction: Direction) =>
    bare && bare.median !== 0 && summary.median !== 0
      ? compare(summary, bare, direction)
      : undefined;
  for (const [server, platforms] of Object.entries(results)) {
    for (const [platform, guests] of Object.entries(platforms)) {
      if (platform === BASELINE || Object.keys(guests).length < 2) continue;
      for (const benchmark of benchmarksOf(results, server)) {
        for (const key of mainMetricsOf(results, server, benchmark)) {
          const per = rows.filter(
            (r) =>
              r.server === server &&
              r.platform === platform &&
              r.benchmark === benchmark &&
              r.key === key,
          );
          if (per.length < 2) continue;
          const direction = per[0].result.direction;
          const summary = aggregateSummary(
            per.map((r) => r.result),
            direction,
          );
          out.push({
            server,
            platform,
            benchmark,
            key,
            guests: per.map((r) => r.guest),
            concurrent: false,
            summary,
            comparison: against(summary, bareOf(server, benchmark, key), direction),
          });
        }
      }
    }
  }
  return out;
}

/** "kvm: 8 guests at once" or "kvm: 2 guests one after another". */
export const aggregateLabel = (a: Aggregate): string =>
  `${a.platform}: ${a.guests.length} guests ${a.concurrent ? "at once" : "one after another"}, aggregate`;

/** "1.23 k", "456", "0.0123": enough digits to read, not more. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`a value came out as ${x}`);
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e6) return `${(x / 1e6).toPrecision(4)} M`;
  if (a >= 1e4) return `${(x / 1e3).toPrecision(4)} k`;
  if (Number.isInteger(x)) return String(x);
  return a >= 100 ? x.toFixed(1) : x.toPrecision(3);
}

/** "36.8 ms [36.8–42.1]": median and the trials' range; "(1 trial)" when there is no range to judge noise by. */
export function formatValue(
  s: Pick<Summary, "median" | "min" | "max" | "trials">,
  unit: string,
): string {
  const range = s.min === s.max ? "" : ` [${formatNumber(s.min)}–${formatNumber(s.max)}]`;
  const one = s.trials.length === 1 ? " (1 trial)" : "";
  return `${formatNumber(s.median)} ${unit}${range}${one}`;
}

/** "within noise", "12.3% slower" or "4.5% faster": a comparison in words. */
export function verdict(c: Comparison): string {
  if (c.withinNoise) return "within noise";
  const loss = c.lossPercent;
  return loss > 0 ? `${formatPercent(loss)} slower` : `${formatPercent(-loss)} faster`;
}
