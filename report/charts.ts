/**
 * Per benchmark, one grouped bar chart of its main metrics: every platform
 * against bare metal as % of bare metal's median, bars at the median of the
 * trials, error bars from the worst to the best trial (as the papers' figures,
 * plus their spread). Drawn by vega-lite, compiled to vega, rendered to SVG
 * text without a browser or network.
 */
import * as vega from "vega";
import { compile, TopLevelSpec } from "vega-lite";
import {
  BASELINE,
  benchmarksOf,
  formatPercent,
  mainMetricsOf,
  metricLabel,
  MetricRow,
  metricRows,
  RunTables,
  targetLabel,
  targets,
} from "./tables";

export interface ChartDatum {
  metric: string;
  target: string;
  /** Median as % of bare metal's median (bare metal itself: 100). */
  percent: number;
  /** Worst and best trial as % of bare metal's median; absent when a zero forbids it. */
  low?: number;
  high?: number;
  /** The label above the bar: the percentage, or "≈" for within noise. */
  label: string;
  noise: boolean;
}

export interface Chart {
  server: string;
  benchmark: string;
  /** The metric keys drawn, in order. */
  keys: string[];
  data: ChartDatum[];
  spec: TopLevelSpec;
  svg: string;
}

/** The chart's data: a bar per main metric and target (bare metal included), for one server and benchmark. */
export function chartData(
  rows: MetricRow[],
  server: string,
  benchmark: string,
  keys: string[],
): ChartDatum[] {
  const out: ChartDatum[] = [];
  for (const key of keys) {
    for (const r of rows.filter(
      (r) => r.server === server && r.benchmark === benchmark && r.key === key,
    )) {
      const bare = r.platform === BASELINE;
      if (!bare && !r.comparison) continue;
      if (bare && !r.percentRange) continue;
      const percent = bare ? 100 : r.comparison!.percentOfBaseline;
      const noise = !bare && r.comparison!.withinNoise;
      out.push({
        metric: metricLabel(key, r.result.labels),
        target: targetLabel(r),
        percent,
        ...(r.percentRange ? { low: r.percentRange[0], high: r.percentRange[1] } : {}),
        label: bare ? "" : noise ? "≈" : formatPercent(percent).replace(/\.\d%$/, "%"),
        noise,
      });
    }
  }
  return out;
}

export function chartSpec(
  title: string,
  data: ChartDatum[],
  metricOrder: string[],
  targetOrder: string[],
): TopLevelSpec {
  const x = {
    field: "metric",
    type: "nominal" as const,
    sort: metricOrder,
    title: null,
    // One word per line: "throughput / aes-128-cbc / 16384".
    axis: {
      labelAngle: 0,
      labelExpr: "split(datum.label, ' ')",
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
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: {
      text: title,
      subtitle: "bar: median of the trials; whisker: worst to best trial; ≈: within noise",
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
            condition: { test: "datum.noise", value: 0.45 },
            value: 1,
          },
        },
      },
      {
        mark: { type: "rule", color: "#222", strokeWidth: 1.5 },
        encoding: {
          x,
          xOffset,
          y: { field: "low", type: "quantitative" },
          y2: { field: "high" },
        },
      },
      {
        mark: { type: "text", dy: -4, fontSize: 10, baseline: "bottom" },
        encoding: {
          x,
          xOffset,
          y: { field: "high", type: "quantitative" },
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
      const data = chartData(rows, server, benchmark, keys);
      if (data.length === 0) continue;
      const metricOrder = [...new Set(data.map((d) => d.metric))];
      const title = Object.keys(results).length > 1 ? `${benchmark} on ${server}` : benchmark;
      const spec = chartSpec(title, data, metricOrder, targetOrder);
      charts.push({ server, benchmark, keys, data, spec, svg: await renderSvg(spec) });
    }
  }
  return charts;
}
