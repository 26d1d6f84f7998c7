/**
 * The report as a list of blocks (headings, paragraphs, tables, charts), built
 * once from a run; report/markdown.ts and report/html.ts only render them.
 */
import { targetKey } from "../components/measure/target-name";
import type { Comparison } from "../components/results/schema";
import type { Chart } from "./charts";
import type { Run } from "./load";
import {
  aggregates,
  BASELINE,
  benchmarksOf,
  formatCell,
  formatNumber,
  formatPercent,
  formatValue,
  lossTables,
  mainMetricsOf,
  metricLabel,
  MetricRow,
  metricRows,
  outcomeOf,
  summaryTables,
  targetLabel,
  targets,
  verdict,
} from "./tables";
import { bounded, own } from "./input";
import { describeTestbed } from "./testbed";

/** A table cell: text, and for HTML a tone (within noise, slower, faster). */
export type Cell = string | { text: string; tone?: Tone };
export type Tone = "noise" | "loss" | "win" | "muted";

export type Block =
  | { kind: "heading"; level: 1 | 2 | 3; text: string; id?: string }
  | { kind: "paragraph"; text: string }
  | { kind: "code"; text: string; lang?: string }
  /** Label/value pairs under a caption, or a note when there are none. */
  | { kind: "fields"; caption: string; rows: [string, string][]; note?: string }
  | { kind: "table"; caption?: string; head: string[]; rows: Cell[][]; id?: string }
  | { kind: "chart"; chart: Chart };

export const cellText = (c: Cell): string => (typeof c === "string" ? c : c.text);

export function toneOf(c: Comparison | undefined): Tone | undefined {
  if (!c) return undefined;
  return c.withinNoise ? "noise" : c.lossPercent > 0 ? "loss" : "win";
}

/** "2026-11-22T01-09-34-979Z-bff16c54" -> "2026-11-22 01:09:34 UTC". */
export function runTime(runId: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})/.exec(runId);
  return m ? `${m[1]} ${m[2]}:${m[3]}:${m[4]} UTC` : undefined;
}

export function reportBlocks(run: Run, charts: Chart[]): Block[] {
  const { results } = run;
  const rows = metricRows(run);
  const multi = Object.keys(results).length > 1;
  const on = (server: string) => (multi ? ` on ${server}` : "");
  const b: Block[] = [];

  b.push({ kind: "heading", level: 1, text: `Testbed report: stack ${run.stack}` });
  b.push({
    kind: "paragraph",
    text: `Run ${run.runId}${runTime(run.runId) ? ` (newest trial started ${runTime(run.runId)})` : ""}, read from ${run.source}.`,
  });
  b.push({
    kind: "paragraph",
    text:
      "Every number is a median of the trials; ranges in brackets run from the worst to the best trial. " +
      "“% of bare metal” is the platform's median against the same server's bare metal, oriented so that below 100% is slower for every metric (for latencies it is bare metal's time divided by the platform's). " +
      "A difference smaller than the trials' spread (their ranges overlap, or the medians differ by less than either spread) is “within noise”: neither a win nor a loss.",
  });

  // Summary: % of bare metal per platform and benchmark.
  for (const t of summaryTables(run, rows)) {
    b.push({
      kind: "heading",
      level: 2,
      text: `Summary: % of bare metal${on(t.server)}`,
      id: "summary",
    });
    if (t.columns.length === 0) {
      b.push({ kind: "paragraph", text: "No platform besides bare metal was measured." });
      continue;
    }
    b.push({
      kind: "table",
      id: `summary-${t.server}`,
      caption:
        "Geometric mean of each benchmark's main metrics (those both bare metal and the platform reported) as % of bare metal; “within noise” when every one of them is.",
      head: ["benchmark", "main metrics", ...t.columns.map(targetLabel)],
      rows: t.benchmarks.map((bm) => [
        bm,
        mainMetricsOf(results, t.server, bm)
          .filter((k) =>
            rows.some(
              (r) => r.server === t.server && r.benchmark === bm && r.key === k && r.comparison,
            ),
          )
          .map((k) => metricLabel(k, rows.find((r) => r.key === k)?.result.labels ?? {}))
          .join(", "),
        ...t.columns.map((c): Cell => {
          const cell = own(own(t.cells, bm), targetKey(c));
          if (!cell) return { text: "not compared", tone: "muted" };
          const tone: Tone =
            cell.withinNoise === cell.metrics ? "noise" : cell.percent < 100 ? "loss" : "win";
          return { text: formatCell(cell), tone };
        }),
      ]),
    });
  }

  // The 2009 paper's table: score and % loss per platform, N-guest aggregates included.
  const losses = lossTables(run, rows);
  if (losses.length > 0) {
    b.push({
      kind: "heading",
      level: 2,
      text: "% loss against bare metal (the 2009 paper's table)",
      id: "loss",
    });
    b.push({
      kind: "table",
      id: "loss",
      caption:
        "Each benchmark's headline metric, as the 2009 paper tabulated HEP-SPEC06: the score, and the loss against bare metal (positive: slower).",
      head: [...(multi ? ["server"] : []), "benchmark", "metric", "platform", "score", "% loss"],
      rows: losses.flatMap((l) =>
        l.rows.map((r) => [
          ...(multi ? [l.server] : []),
          l.benchmark,
          metricLabel(l.key, rows.find((x) => x.key === l.key)?.result.labels ?? {}) +
            (l.direction === "lower" ? " (lower is better)" : ""),
          r.label,
          formatValue(r.summary, l.unit),
          r.comparison
            ? {
                text: r.comparison.withinNoise
                  ? `within noise (${formatPercent(r.comparison.lossPercent)})`
                  : formatPercent(r.comparison.lossPercent),
                tone: toneOf(r.comparison),
              }
            : r.label === "bare metal"
              ? { text: "baseline", tone: "muted" as const }
              : { text: "not compared", tone: "muted" as const },
        ]),
      ),
    });
  }

  b.push({
    kind: "heading",
    level: 2,
    text: "N guests at once against the host",
    id: "aggregates",
  });
  const aggs = aggregates(run, rows);
  if (aggs.length === 0) {
    b.push({
      kind: "paragraph",
      text: run.aggregates
        ? "No benchmark ran on several guests at once in this run (the 2009 paper's 8-VM runs: a guest with count: 8 and a benchmark with concurrent: true)."
        : "No platform ran more than one guest in this run, so there is no N-guest aggregate (the 2009 paper's 8-VM runs need a guest with count: 8).",
    });
  } else {
    if (!run.aggregates) {
      b.push({
        kind: "paragraph",
        text: "This run recorded no concurrent runs: these guests ran one after another, so the aggregate is what they would give together if they did not disturb each other.",
      });
    }
    b.push({
      kind: "table",
      id: "aggregates-table",
      caption:
        "Throughputs of a platform's guests added, latencies averaged, against bare metal alone; the range adds up the guests' worst and best trials.",
      head: [
        ...(multi ? ["server"] : []),
        "platform",
        "guests",
        "benchmark",
        "metric",
        "aggregate",
        "% of bare metal",
      ],
      rows: aggs.map((a) => [
        ...(multi ? [a.server] : []),
        a.platform,
        `${a.guests.length} ${a.concurrent ? "at once" : "one after another"}`,
        a.benchmark,
        metricLabel(a.key, rows.find((r) => r.key === a.key)?.result.labels ?? {}),
        formatValue(a.summary, rows.find((r) => r.key === a.key)?.result.unit ?? ""),
        a.comparison
          ? {
              text: `${formatPercent(a.comparison.percentOfBaseline)}, ${verdict(a.comparison)}`,
              tone: toneOf(a.comparison),
            }
          : { text: "not compared", tone: "muted" },
      ]),
    });
  }

  // Per benchmark: the chart, then every metric's absolute values and % of bare metal.
  b.push({ kind: "heading", level: 2, text: "Benchmarks", id: "benchmarks" });
  for (const server of Object.keys(results)) {
    const ts = targets(results).filter((t) => t.server === server);
    for (const bm of benchmarksOf(results, server)) {
      b.push({
        kind: "heading",
        level: 3,
        text: `${bm}${on(server)}`,
        id: `benchmark-${server}-${bm}`,
      });
      const status = ts
        .map((t) => {
          const o = outcomeOf(results, t, bm);
          if (!o) return `${targetLabel(t)}: not run`;
          const failed = o.trials.filter((x) => x.error);
          // A guest's stderr can be long: the report quotes its start, results.json keeps it whole.
          // A pair measured from elsewhere than the target's own host says from where.
          const from = o.client ? ` from ${o.client}` : "";
          return `${targetLabel(t)}${from}: ${o.status}, ${o.toolVersion}, ${o.trials.length} trial(s)${failed.length ? ` (${failed.map((f) => `trial ${f.index}: ${bounded(f.error!, 300)}`).join("; ")})` : ""}`;
        })
        .join(" · ");
      b.push({ kind: "paragraph", text: status });
      const chart = charts.find((c) => c.server === server && c.benchmark === bm);
      if (chart) b.push({ kind: "chart", chart });
      else
        b.push({
          kind: "paragraph",
          text: "No chart: nothing here could be compared with bare metal.",
        });
      b.push(metricTable(rows, server, bm, ts));
    }
  }

  b.push({ kind: "heading", level: 2, text: "Testbed", id: "testbed" });
  if (!run.testbed) {
    b.push({
      kind: "paragraph",
      text: "The testbed stack output was not recorded in this run; what follows comes from the facts and guest specs archived with the results.",
    });
  }
  for (const s of describeTestbed(run)) {
    if (multi) b.push({ kind: "heading", level: 3, text: `Server ${s.server}` });
    for (const sec of s.sections) {
      b.push({
        kind: "fields",
        caption: `${multi ? "" : `Server ${s.server}: `}${sec.title}`,
        rows: sec.rows,
        note: sec.note,
      });
    }
  }
  b.push({ kind: "heading", level: 2, text: "Configuration", id: "config" });
  b.push(
    run.config
      ? { kind: "code", text: JSON.stringify(run.config, null, 2), lang: "json" }
      : { kind: "paragraph", text: "The stack configuration was not recorded in this run." },
  );
  return b;
}

/** Every metric of a benchmark: bare metal's value, then each platform's value and % of bare metal. */
function metricTable(
  rows: MetricRow[],
  server: string,
  benchmark: string,
  ts: ReturnType<typeof targets>,
): Block {
  const own = rows.filter((r) => r.server === server && r.benchmark === benchmark);
  const keys = [...new Set(own.map((r) => r.key))];
  const others = ts.filter((t) => t.platform !== BASELINE);
  return {
    kind: "table",
    id: `metrics-${server}-${benchmark}`,
    caption: "Median [worst–best trial]; % of bare metal (below 100% is slower).",
    head: [
      "metric",
      "better",
      ...ts.filter((t) => t.platform === BASELINE).map(targetLabel),
      ...others.flatMap((t) => [targetLabel(t), "% of bare metal"]),
    ],
    rows: keys.map((key) => {
      const any = own.find((r) => r.key === key)!;
      const at = (t: (typeof ts)[number]) =>
        own.find((r) => r.key === key && targetKey(r) === targetKey(t));
      return [
        metricLabel(key, any.result.labels),
        any.result.direction,
        ...ts
          .filter((t) => t.platform === BASELINE)
          .map((t) => {
            const r = at(t);
            return r ? formatValue(r.result, r.result.unit) : "—";
          }),
        ...others.flatMap((t): Cell[] => {
          const r = at(t);
          if (!r) return ["—", "—"];
          const c = r.comparison;
          return [
            formatValue(r.result, r.result.unit),
            c
              ? { text: `${formatPercent(c.percentOfBaseline)}, ${verdict(c)}`, tone: toneOf(c) }
              : {
                  text: r.baseline
                    ? `not compared (a zero: ${formatNumber(r.baseline.median)} on bare metal)`
                    : "not on bare metal",
                  tone: "muted",
                },
          ];
        }),
      ];
    }),
  };
}
