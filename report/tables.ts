/**
 * A run's results as the report's tables: every metric of every target against
 * the same server's bare metal, each benchmark's main metrics, the summary "%
 * of bare metal", the 2009 paper's "% loss" shape and N-guest aggregates. The
 * arithmetic is components/results/stats.ts; this module only arranges it.
 */
import type { BenchmarkOutcome, MetricResult, Results } from "../components/measure/results";
import {
  aggregateSummary,
  compare,
  Comparison,
  percentOf,
  Summary,
} from "../components/results/stats";
import { own } from "./input";

export type Direction = "higher" | "lower";

export interface Target {
  server: string;
  platform: string;
  guest: string;
}

export const BASELINE = "baseline";
export const HOST = "host";

export const targetKey = (t: Target): string => `${t.server}/${t.platform}/${t.guest}`;
/** How a target is named inside its server's tables: "bare metal", "lxc/vtb-testbed-ct". */
export const targetLabel = (t: Target): string =>
  t.platform === BASELINE ? "bare metal" : `${t.platform}/${t.guest}`;

export interface MetricRow extends Target {
  benchmark: string;
  key: string;
  /** The metric's name without labels, e.g. "throughput". */
  name: string;
  result: MetricResult;
  /** Bare metal's result for the same metric on the same server, when it has one. */
  baseline?: MetricResult;
  /** Against bare metal; absent for bare metal itself and when not comparable (a zero median). */
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
export function targets(results: Results): Target[] {
  const out: Target[] = [];
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
  t: Target,
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

/** Every metric of every target, with bare metal's result and the comparison beside it. */
export function metricRows(results: Results): MetricRow[] {
  const rows: MetricRow[] = [];
  for (const t of targets(results)) {
    const bare = results[t.server][BASELINE]?.[HOST];
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
          comparison:
            comparable && t.platform !== BASELINE ? compare(m, b, m.direction) : undefined,
          percentRange: comparable ? percentRange(m, b.median, m.direction) : undefined,
        });
      }
    }
  }
  return rows;
}

type Pick1 = { key: string; name: string; labels: Record<string, string> };

// Each benchmark's main metrics, in the order tables and charts show them; the
// first is the headline (the one number of the "% loss" table).
const mainNames: Record<string, string[]> = {
  "openssl-speed": ["throughput", "sign_rate", "verify_rate"],
  bonnie: [
    "sequential_input_block",
    "sequential_output_block",
    "sequential_output_rewrite",
    "sequential_input_per_char",
    "sequential_output_per_char",
    "random_seeks",
  ],
  ab: ["requests_per_second", "time_per_request", "transfer_rate"],
  iperf: ["throughput"],
  iperf3: ["throughput"],
  postal: ["messages_per_minute", "data_kib_per_minute"],
  unixbench: ["index_score"],
  hepspec06: ["hepspec06"],
};

/**
 * A benchmark's main metrics among the keys it reported: openssl's
 * throughput at the largest block size of each algorithm, iperf's receiver
 * side of each direction, and so on. Benchmarks this module does not know get
 * their metrics that are neither counts nor CPU percentages, at most eight.
 */
export function mainMetrics(benchmark: string, metrics: Pick1[]): string[] {
  const names = own(mainNames, benchmark);
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
  columns: Target[];
  /** benchmark -> target key -> cell (absent: not measured or not comparable). */
  cells: Record<string, Record<string, SummaryCell>>;
}

/** "% of bare metal" per platform and benchmark, one table per server. */
export function summaryTables(results: Results, rows = metricRows(results)): SummaryTable[] {
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
export function lossTables(
  results: Results,
  rows = metricRows(results),
  recorded?: RecordedAggregates,
): LossTable[] {
  const aggs = aggregates(results, rows, recorded);
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
 * The aggregates a run recorded for its concurrent groups (results.json's
 * `aggregates`): server -> platform -> benchmark -> metric -> the guests as one.
 */
export type RecordedAggregates = Record<
  string,
  Record<
    string,
    Record<string, Record<string, Summary & { direction: Direction; guests: string[] }>>
  >
>;

/**
 * N guests against the host, for each benchmark's main metrics: the run's
 * recorded concurrent groups when it has the record (guests that ran at once),
 * else, for runs from before concurrent runs, every platform with more than
 * one guest, whose guests then ran one after another. Throughputs add up,
 * latencies are averaged (components/results/stats.ts).
 */
export function aggregates(
  results: Results,
  rows = metricRows(results),
  recorded?: RecordedAggregates,
): Aggregate[] {
  const out: Aggregate[] = [];
  const bareOf = (server: string, benchmark: string, key: string) =>
    own(own(own(results, server)?.[BASELINE]?.[HOST], benchmark)?.metrics, key);
  const against = (summary: Summary, bare: Summary | undefined, direction: Direction) =>
    bare && bare.median !== 0 && summary.median !== 0
      ? compare(summary, bare, direction)
      : undefined;
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
              comparison: against(a, bareOf(server, benchmark, key), a.direction),
            });
          }
        }
      }
    }
    return out;
  }
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
