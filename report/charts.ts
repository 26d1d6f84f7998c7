/**
 * Per benchmark, one chart of its main metrics: every platform against bare
 * metal as % of bare metal, a bar at the comparison's percentage (bare metal:
 * 100), a dot per trial (each trial as % of bare metal's median), and the
 * run's confidence interval as a whisker; under each metric, bare metal's
 * median in its natural scale, so that every percentage reads as a value too.
 * Drawn by vega-lite, compiled to vega, rendered to SVG text without a browser
 * or network.
 */
import * as vega from "vega";
import { compile, TopLevelSpec } from "vega-lite";
import { percentOf } from "../components/results/stats";
import {
  BASELINE,
  benchmarksOf,
  judgeRow,
  mainMetricsOf,
  metricLabel,
  MetricRow,
  metricRows,
  RunTables,
  targetLabel,
  targets,
} from "./tables";
import { formatQuantity } from "./units";
import { levelText } from "./verdict";

export interface ChartDatum {
  /** The x axis' label: the metric's words and bare metal's median, one per line. */
  metric: string;
  target: string;
  /** The comparison's % of bare metal (bare metal itself: 100). */
  percent: number;
  /** The run's confidence interval of the percentage; absent for bare metal, one-trial sides and old runs. */
  low?: number;
  high?: number;
  /** Where the label goes: above the highest of the bar, the whisker and the dots. */
  top: number;
  /** The label above the bar: the percentage, "≈" (no difference found), "n=1" (one trial), "⚠" across tool versions. */
  label: string;
  /** Faded: no difference found, within noise (old runs), or no uncertainty. */
  faded: boolean;
  /** The median in its natural scale, e.g. "1.06 GB/s". */
  absolute: string;
}

/** One trial as a dot: its value as % of bare metal's median. */
export interface TrialDot {
  metric: string;
  target: string;
  percent: number;
}

export interface Chart {
  server: string;
  benchmark: string;
  /** The metric keys drawn, in order. */
  keys: string[];
  data: ChartDatum[];
  trials: TrialDot[];
  /** Whether any bar has an interval (runs archived before intervals have none). */
  intervals: boolean;
  spec: TopLevelSpec;
  svg: string;
}

/** The chart's bars and dots: per main metric and target (bare metal included), for one server and benchmark. */
export function chartData(
  rows: MetricRow[],
  server: string,
  benchmark: string,
  keys: string[],
): { data: ChartDatum[]; trials: TrialDot[] } {
  const data: ChartDatum[] = [];
  const trials: TrialDot[] = [];
  for (const key of keys) {
    const own = rows.filter(
      (r) => r.server === server && r.benchmark === benchmark && r.key === key,
    );
    for (const r of own) {
      const bare = r.platform === BASELINE;
      if (!bare && !r.comparison) continue;
      // Bare metal's median is the 100% every dot is a percentage of.
      const base = bare ? r.result : r.baseline;
      if (!base || base.median === 0 || (bare && !r.percentRange)) continue;
      const metric = [
        ...metricLabel(key, r.result.labels).split(" "),
        `(${formatQuantity(base.median, r.result.unit)})`,
      ].join("\n");
      // A trial of 0 is 0% of a throughput; of a time it has no percentage, and no dot.
      const dots = r.result.trials.flatMap((t) =>
        t > 0
          ? [percentOf(t, base.median, r.result.direction)]
          : r.result.direction === "higher"
            ? [0]
            : [],
      );
      const j = bare ? undefined : judgeRow(r);
      const percent = bare ? 100 : r.comparison!.percentOfBaseline;
      const ci = bare ? undefined : (r.comparison!.ci ?? undefined);
      for (const p of dots) trials.push({ metric, target: targetLabel(r), percent: p });
      data.push({
        metric,
        target: targetLabel(r),
        percent,
        ...(ci ? { low: ci.low, high: ci.high } : {}),
        top: Math.max(percent, ci?.high ?? 0, ...dots),
        label: bare ? "" : j!.short,
        faded: !bare && j!.tone !== "loss" && j!.tone !== "win",
        absolute: formatQuantity(r.result.median, r.result.unit),
      });
    }
  }
  return { data, trials };
}

export function chartSpec(
  title: string,
  data: ChartDatum[],
  trials: TrialDot[],
  metricOrder: string[],
  targetOrder: string[],
  /** The interval's level, when any bar has one: "95%". */
  level?: string,
): TopLevelSpec {
  const x = {
    field: "metric",
    type: "nominal" as const,
    sort: metricOrder,
    title: null,
    // One word per line, bare metal's median last: "throughput / aes-128-cbc / 16384 / (1.06 GB/s)".
    axis: {
      labelAngle: 0,
      labelExpr: "split(datum.label, '\\n')",
      labelFontSize: 11,
      labelPadding: 6,
    },
  };
  const xOffset = { field: "target", type: "nominal" as const, sort: targetOrder };
  const y = {
    field: "percent",
    type: "quantitative" as const,
    title: "% of bare metal (higher is better)",
  };
  const whisker = level
    ? `whisker: ${level} confidence interval`
    : "no confidence interval (run archived before them)";
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: {
      text: title,
      subtitle: [
        `bar: % of bare metal; dot: a trial; ${whisker}`,
        "≈ no difference found; n=1 one trial; ⚠ other tool version; (bare metal's median)",
      ],
      anchor: "start",
    },
    // With xOffset the step is one bar's; a group is a bar per target.
    width: { step: 30 },
    height: 220,
    background: "white",
    config: { font: "sans-serif", view: { stroke: null } },
    data: { values: data as unknown as Record<string, unknown>[] },
    layer: [
      {
        mark: { type: "bar" },
        encoding: {
          x,
          xOffset,
          y,
          color: {
            field: "target",
            type: "nominal",
            sort: targetOrder,
            title: null,
            scale: { scheme: "tableau10" },
            legend: { orient: "top" },
          },
          opacity: {
            condition: { test: "datum.faded", value: 0.4 },
            value: 0.85,
          },
        },
      },
      {
        data: { values: trials as unknown as Record<string, unknown>[] },
        mark: {
          type: "point",
          filled: true,
          size: 18,
          color: "#222",
          opacity: 0.75,
          stroke: "white",
          strokeWidth: 0.5,
        },
        encoding: { x, xOffset, y },
      },
      {
        transform: [{ filter: "isValid(datum.low)" }],
        mark: {
          type: "errorbar",
          ticks: { color: "#222" },
          rule: { color: "#222" },
          thickness: 1.5,
        },
        encoding: {
          x,
          xOffset,
          y: { field: "low", type: "quantitative", title: "% of bare metal (higher is better)" },
          y2: { field: "high" },
        },
      },
      {
        mark: { type: "text", dy: -4, fontSize: 10, baseline: "bottom" },
        encoding: {
          x,
          xOffset,
          y: { field: "top", type: "quantitative" },
          text: { field: "label" },
        },
      },
      {
        data: { values: [{ parity: 100 }] },
        mark: { type: "rule", strokeDash: [4, 3], color: "#666" },
        encoding: { y: { field: "parity", type: "quantitative" } },
      },
    ],
  };
}

/** A vega-lite spec as standalone SVG text: no browser, no canvas, no network. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** One chart per server and benchmark that has comparable main metrics. */
export async function benchmarkCharts(run: RunTables, rows = metricRows(run)): Promise<Chart[]> {
  const { results } = run;
  const charts: Chart[] = [];
  for (const server of Object.keys(results)) {
    const targetOrder = targets(results)
      .filter((t) => t.server === server)
      .map(targetLabel);
    for (const benchmark of benchmarksOf(results, server)) {
      const keys = mainMetricsOf(results, server, benchmark);
      const { data, trials } = chartData(rows, server, benchmark, keys);
      if (data.length === 0) continue;
      const metricOrder = [...new Set(data.map((d) => d.metric))];
      const title = Object.keys(results).length > 1 ? `${benchmark} on ${server}` : benchmark;
      const withCi = rows.find(
        (r) =>
          r.server === server &&
          r.benchmark === benchmark &&
          r.comparison?.ci &&
          keys.includes(r.key),
      );
      const intervals = data.some((d) => d.low !== undefined);
      const level = intervals ? levelText(withCi?.comparison?.level ?? 0.95) : undefined;
      const spec = chartSpec(title, data, trials, metricOrder, targetOrder, level);
      charts.push({
        server,
        benchmark,
        keys,
        data,
        trials,
        intervals,
        spec,
        svg: await renderSvg(spec),
      });
    }
  }
  return charts;
}
