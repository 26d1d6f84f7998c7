/**
 * A run's results as the report's tables: every metric of every target against
 * the same server's bare metal, each benchmark's main metrics, the summary "%
 * of bare metal", the 2009 paper's "% loss" shape and N-guest aggregates.
 * Comparisons and aggregates are the ones the run archived; the arithmetic
 * left here (geometric means, error bars) is components/results/stats.ts, and
 * this module only arranges it.
 */
import { mainMetrics, Pick1 } from "../benchmarks/headline";
import type { Direction } from "../benchmarks/types";
import { TargetName, targetKey } from "../components/measure/target-name";
import type { BenchmarkOutcome, MetricResult, Results } from "../components/results/schema";
import { aggregateSummary, compare, percentOf, Summary } from "../components/results/stats";
import { own } from "./input";

export { mainMetrics };
import type { Run } from "./load";
import { digitsFor, scaleFor } from "./units";
import { formatPercent, judge, Judged, Judgement, JudgeOptions, Kind } from "./verdict";

export { formatPercent };
export type { Judged, Judgement };

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
  comparison?: Judged;
  /** The tool's version here and on bare metal, when they differ (from the comparison, else from the two outcomes). */
  toolVersions?: { target: string; baseline: string };
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
      const bareOutcome = own(bare, benchmark);
      for (const [key, m] of Object.entries(o.metrics)) {
        const b = own(bareOutcome?.metrics, key);
        const comparable = b !== undefined && b.median !== 0 && m.median !== 0;
        const c: Judged | undefined =
          t.platform !== BASELINE ? own(own(compared, benchmark), key) : undefined;
        const versions =
          c?.toolVersions ??
          (t.platform !== BASELINE && b && bareOutcome && bareOutcome.toolVersion !== o.toolVersion
            ? { target: o.toolVersion, baseline: bareOutcome.toolVersion }
            : undefined);
        rows.push({
          ...t,
          benchmark,
          key,
          name: key.replace(/\[.*$/, ""),
          result: m,
          baseline: b,
          comparison: c,
          ...(versions ? { toolVersions: versions } : {}),
          percentRange: comparable ? percentRange(m, b.median, m.direction) : undefined,
        });
      }
    }
  }
  return rows;
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

/** A metric row's comparison in words, with its trials and tool versions (report/verdict.ts). */
export function judgeRow(
  r: Pick<MetricRow, "comparison" | "result" | "baseline" | "toolVersions">,
): Judgement | undefined {
  if (!r.comparison) return undefined;
  return judge(r.comparison, {
    sides: { target: r.result.trials.length, baseline: r.baseline?.trials.length },
    toolVersions: r.toolVersions,
  });
}

export interface SummaryCell {
  /** Geometric mean of the main metrics' % of bare metal. */
  percent: number;
  /** How many main metrics were compared. */
  metrics: number;
  /** How many of them had each verdict. */
  kinds: Partial<Record<Kind, number>>;
  /** Any main metric compared across different tool versions: the first such pair. */
  toolVersions?: { target: string; baseline: string };
  /** What to know before trusting the cell (report/verdict.ts Judgement.flag): the first main metric's. */
  flag?: string;
}

const kindWords: Record<Kind, string> = {
  slower: "slower",
  faster: "faster",
  "no difference": "no difference found",
  "no uncertainty": "one trial: no uncertainty",
  "not comparable": "not comparable",
  "within noise": "within noise",
};

/**
 * A cell's text: "no difference found (99.8%)" when every main metric is so,
 * "97.0% (one trial: no uncertainty)" when none could be judged, else the
 * percentage and how many metrics had each verdict when they differ:
 * "94.2% (2 slower, 1 no difference found)". Different tool versions come first.
 */
export function formatCell(c: SummaryCell): string {
  const pct = formatPercent(c.percent);
  const kinds = (Object.keys(kindWords) as Kind[]).filter((k) => (c.kinds[k] ?? 0) > 0);
  const flag = c.flag ? `${c.flag}; ` : "";
  if (kinds.length === 1) {
    const k = kinds[0];
    if (k === "no difference" || k === "within noise") return `${flag}${kindWords[k]} (${pct})`;
    if (k === "slower" || k === "faster") return `${flag}${pct}`;
    return `${flag}${pct} (${kindWords[k]})`;
  }
  return `${flag}${pct} (${kinds.map((k) => `${c.kinds[k]} ${kindWords[k]}`).join(", ")})`;
}

/** The tone of a summary cell: coloured only when a metric's verdict is in the direction of the mean. */
export function cellTone(c: SummaryCell): "noise" | "loss" | "win" | "muted" {
  if (c.percent < 100 && (c.kinds.slower ?? 0) > 0) return "loss";
  if (c.percent > 100 && (c.kinds.faster ?? 0) > 0) return "win";
  if ((c.kinds["no difference"] ?? 0) + (c.kinds["within noise"] ?? 0) > 0) return "noise";
  return "muted";
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
        const rs = rows
          .filter((r) => r.benchmark === b && r.comparison && main.has(r.key))
          .filter((r) => targetKey(r) === targetKey(t));
        if (rs.length === 0) continue;
        const kinds: SummaryCell["kinds"] = {};
        const judged = rs.map((r) => judgeRow(r)!);
        for (const j of judged) kinds[j.kind] = (kinds[j.kind] ?? 0) + 1;
        const versions = rs.find((r) => r.toolVersions)?.toolVersions;
        const flag = judged.find((j) => j.flag)?.flag;
        const row = own(cells, b) ?? (cells[b] = {});
        row[targetKey(t)] = {
          percent: geomean(rs.map((r) => r.comparison!.percentOfBaseline)),
          metrics: rs.length,
          kinds,
          ...(versions ? { toolVersions: versions } : {}),
          ...(flag ? { flag } : {}),
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
  platform: string;
  /** The guest, or the aggregate's guests ("host" for bare metal). */
  members: string[];
  /** An aggregate of guests that ran at once. */
  concurrent: boolean;
  summary: Summary;
  comparison?: Judged;
  /** The comparison in words (absent for bare metal and what was not compared). */
  judgement?: Judgement;
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
        platform: r.platform,
        members: [r.guest],
        concurrent: false,
        summary: r.result,
        comparison: r.comparison,
        judgement: judgeRow(r),
      }));
      for (const a of aggs.filter(
        (a) => a.server === server && a.benchmark === benchmark && a.key === key,
      )) {
        lines.push({
          label: aggregateLabel(a),
          guests: a.guests.length,
          platform: a.platform,
          members: a.guests,
          concurrent: a.concurrent,
          summary: a.summary,
          comparison: a.comparison,
          judgement: judgeAggregate(a),
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
  comparison?: Judged;
  /** How many trials bare metal had of this metric, when it has it. */
  baselineTrials?: number;
}

/** An aggregate's comparison in words. */
export function judgeAggregate(a: Aggregate): Judgement | undefined {
  return a.comparison
    ? judge(a.comparison, {
        sides: { target: a.summary.trials.length, baseline: a.baselineTrials },
      })
    : undefined;
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
  const bareOf = (server: string, benchmark: string, key: string) =>
    own(own(own(results, server)?.[BASELINE]?.[HOST], benchmark)?.metrics, key);
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
              baselineTrials: bareOf(server, benchmark, key)?.trials.length,
            });
          }
        }
      }
    }
    return out;
  }
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
            baselineTrials: bareOf(server, benchmark, key)?.trials.length,
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

/** A summary's spread as the tables show it: the median, the trials' range, the standard deviation and CV. */
export type ShownSummary = Pick<Summary, "median" | "min" | "max" | "trials"> & {
  stdev?: number;
  mean?: number;
  cv?: number;
};

/** The coefficient of variation: the run's, else the sample stdev over the trials' mean (undefined for a zero mean). */
export function cvOf(s: ShownSummary): number | undefined {
  if (s.cv !== undefined) return s.cv;
  if (s.stdev === undefined) return undefined;
  const mean = s.mean ?? s.trials.reduce((a, x) => a + x, 0) / s.trials.length;
  return mean === 0 ? undefined : s.stdev / Math.abs(mean);
}

/**
 * "1.06 GB/s [1.02–1.09], sd 0.035 (CV 3.3%)": the median in its natural
 * scale (report/units.ts), the worst to best trial, the standard deviation and
 * the coefficient of variation, all in the median's scale; "(1 trial)" when
 * there is no spread.
 */
export function formatValue(s: ShownSummary, unit: string): string {
  const scale = scaleFor(unit, s.median);
  const digits = digitsFor(scale, [s.median, s.min, s.max]);
  const median = scale.format(s.median, digits);
  if (s.trials.length === 1) return `${median} (1 trial)`;
  const range =
    s.min === s.max ? "" : ` [${scale.number(s.min, digits)}–${scale.number(s.max, digits)}]`;
  const cv = cvOf(s);
  const sd =
    s.stdev === undefined
      ? ""
      : `, sd ${scale.number(s.stdev, 2)}${cv === undefined ? "" : ` (CV ${formatPercent(cv * 100)})`}`;
  return `${median}${range}${sd}`;
}

/** A comparison in words (report/verdict.ts judge): "12.3% slower (95% CI 10.1–14.4%, 3 v 3 trials)". */
export function verdict(c: Judged, o: JudgeOptions = {}): string {
  return judge(c, o).text;
}
