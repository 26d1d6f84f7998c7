/**
 * The report as a list of blocks (headings, paragraphs, tables, charts), built
 * once from a run; report/markdown.ts and report/html.ts only render them.
 */
import { targetKey } from "../components/measure/target-name";
import type { BenchmarkOutcome } from "../components/results/schema";
import { busyText } from "../components/results/summarize";
import type { Chart } from "./charts";
import type { Run } from "./load";
import {
  aggregates,
  BASELINE,
  benchmarksOf,
  cellTone,
  formatCell,
  formatNumber,
  formatPercent,
  formatValue,
  HOST,
  judgeAggregate,
  judgeRow,
  lossTables,
  mainMetricsOf,
  metricLabel,
  MetricRow,
  metricRows,
  outcomeOf,
  summaryTables,
  targetLabel,
  targets,
} from "./tables";
import { bounded, own } from "./input";
import { describeTestbed } from "./testbed";
import { FormEntry, paperForm } from "./paper-form";
import { papers, paperRows } from "./papers";
import { Judgement, levelText, toolVersionFlag, Tone } from "./verdict";

export type { Tone };

/**
 * A table cell: text, and for HTML a tone (slower, faster, no difference,
 * nothing to colour) and a warning mark (a comparison across tool versions).
 */
export type Cell = string | { text: string; tone?: Tone; warn?: boolean };

export type Block =
  | { kind: "heading"; level: 1 | 2 | 3; text: string; id?: string }
  /** A paragraph; a warning (different tool versions) stands out: bold in Markdown, boxed in HTML. */
  | { kind: "paragraph"; text: string; warn?: boolean }
  | { kind: "code"; text: string; lang?: string }
  /** Label/value pairs under a caption, or a note when there are none. */
  | { kind: "fields"; caption: string; rows: [string, string][]; note?: string }
  | { kind: "table"; caption?: string; head: string[]; rows: Cell[][]; id?: string }
  | { kind: "chart"; chart: Chart };

export const cellText = (c: Cell): string => (typeof c === "string" ? c : c.text);

/** A comparison's cell: "94.9%: 5.1% slower (95% CI 4.2–6.0%, 3 v 3 trials)", the tool-version flag first. */
export function judgementCell(percent: number, j: Judgement): Cell {
  const text = `${j.flag ? `${j.flag}; ` : ""}${formatPercent(percent)}: ${j.words}`;
  return { text, tone: j.tone, ...(j.flag ? { warn: true } : {}) };
}

/** "s/kvm/vm" as "kvm/vm" when it names a target of the run's servers; anything else as written, bounded. */
function targetName(key: string): string {
  const parts = key.split("/");
  return parts.length === 3 && parts.every((p) => p.length > 0)
    ? targetLabel({ server: parts[0], platform: parts[1], guest: parts[2] })
    : bounded(key, 80);
}

const MAX_ROUNDS_SHOWN = 4;

/** "seed 42, interleaved: round 1 bare metal, lxc/ct; round 2 lxc/ct, bare metal; … (7 rounds)". */
export function orderText(schedule: NonNullable<BenchmarkOutcome["schedule"]>): string {
  const rounds = schedule.rounds;
  const shown = rounds
    .slice(0, MAX_ROUNDS_SHOWN)
    .map((r, i) => `round ${i + 1} ${r.map(targetName).join(", ")}`)
    .join("; ");
  const more = rounds.length > MAX_ROUNDS_SHOWN ? `; … (${rounds.length} rounds)` : "";
  return `seed ${bounded(schedule.seed, 60)}, ${bounded(schedule.method, 80)}: ${shown || "no round"}${more}`;
}

/** A numeric field's range over the trials, or a text field's values: "load1 0.12–0.85", "governor performance". */
function hostText(contexts: NonNullable<BenchmarkOutcome["trials"][number]["context"]>[]): string {
  const keys = [...new Set(contexts.flatMap((c) => Object.keys(c.host)))].slice(0, 8);
  return keys
    .map((k) => {
      const values = contexts.map((c) => own(c.host, k)).filter((v) => v !== undefined);
      const numbers = values.filter((v): v is number => typeof v === "number");
      if (numbers.length === values.length && numbers.length > 0) {
        const lo = Math.min(...numbers);
        const hi = Math.max(...numbers);
        const n = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(3));
        return `${bounded(k, 40)} ${lo === hi ? n(lo) : `${n(lo)}–${n(hi)}`}`;
      }
      const texts = [...new Set(values.map(String))];
      return `${bounded(k, 40)} ${texts
        .slice(0, 3)
        .map((t) => bounded(t, 60))
        .join(" / ")}${texts.length > 3 ? " / …" : ""}`;
    })
    .join(", ");
}

/**
 * One target's run of a benchmark in words: status, tool version (flagged
 * when it is not bare metal's), trials run of those asked and why they
 * stopped, the failed trials' reasons, what was paused, and the host's state.
 */
export function outcomeText(o: BenchmarkOutcome, bareVersion?: string): string {
  const failed = o.trials.filter((x) => x.error);
  const parts = [o.status, bounded(o.toolVersion, 120)];
  if (bareVersion !== undefined && bareVersion !== o.toolVersion) {
    parts.push(
      toolVersionFlag({ target: o.toolVersion, baseline: bareVersion }) + " (here vs bare metal)",
    );
  }
  const asked = o.asked !== undefined && o.asked !== o.trials.length ? ` of ${o.asked} asked` : "";
  parts.push(`${o.trials.length} trial(s)${asked}`);
  if (o.stopped) parts.push(`stopped: ${bounded(o.stopped, 200)}`);
  // npm run measure's --reason: why this run was measured again.
  const reason = o.measured?.reason;
  if (typeof reason === "string") parts.push(`measured again: ${bounded(reason, 200)}`);
  const contexts = o.trials.flatMap((t) => (t.context ? [t.context] : []));
  const paused = [...new Set(contexts.flatMap((c) => c.paused))];
  if (paused.length > 0) {
    parts.push(
      `paused during the trials: ${paused
        .slice(0, 8)
        .map(targetName)
        .join(", ")}${paused.length > 8 ? `, … (${paused.length})` : ""}`,
    );
  }
  const host = contexts.length > 0 ? hostText(contexts) : "";
  if (host) parts.push(`host before the trials: ${host}`);
  const busy = busyText(o.trials);
  if (busy) parts.push(busy);
  // A guest's stderr can be long: the report quotes its start, results.json keeps it whole.
  const reasons = failed.length
    ? ` (${failed.map((f) => `trial ${f.index}: ${bounded(f.error!, 300)}`).join("; ")})`
    : "";
  return parts.join(", ") + reasons;
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
  const said = new Set<string>();
  for (const [server, tb] of Object.entries(run.testbed ?? {})) {
    const imp = tb.imported as { measured?: unknown; source?: unknown } | undefined;
    // An import of several servers says it once.
    if (imp && typeof imp.source === "string" && !said.has(imp.source)) {
      said.add(imp.source);
      b.push({
        kind: "paragraph",
        warn: true,
        text:
          `Run by hand${multi && Object.keys(run.testbed ?? {}).length === 1 ? ` on ${server}` : ""} and imported (npm run import), measured ${String(imp.measured)}: ${imp.source}. ` +
          "Its trials ran in no interleaved schedule the tool recorded, so its comparisons are marked as not interleaved.",
      });
    }
  }
  b.push({ kind: "paragraph", text: introText(rows) });
  const old = rows.some((r) => r.comparison && r.comparison.verdict === undefined);
  if (old) {
    b.push({
      kind: "paragraph",
      text:
        "This run was archived before confidence intervals: its comparisons say only whether the difference was smaller than the trials' spread (their ranges overlap, or the medians differ by less than either spread), “within noise”, and are marked “(old run: no confidence interval)”. " +
        "No interval is made up for them here; a side with one trial is never called slower or faster.",
    });
  }
  const across = acrossVersions(rows);
  if (across.length > 0) {
    b.push({
      kind: "paragraph",
      warn: true,
      text: `⚠ Compared across different tool versions (the platform's vs bare metal's), so a difference may be the tool's: ${across.join("; ")}.`,
    });
  }

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
        "Geometric mean of each benchmark's main metrics (those both bare metal and the platform reported) as % of bare metal, and how many of them had each verdict; “no difference found” when every one of them had.",
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
          return {
            text: formatCell(cell),
            tone: cellTone(cell),
            ...(cell.flag ? { warn: true } : {}),
          };
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
        "Each benchmark's headline metric, as the 2009 paper tabulated HEP-SPEC06: the score (median [worst–best trial], sd and CV), and the loss against bare metal with the run's verdict and confidence interval.",
      head: [...(multi ? ["server"] : []), "benchmark", "metric", "platform", "score", "% loss"],
      rows: losses.flatMap((l) =>
        l.rows.map((r) => [
          ...(multi ? [l.server] : []),
          l.benchmark,
          metricLabel(l.key, rows.find((x) => x.key === l.key)?.result.labels ?? {}) +
            (l.direction === "lower" ? " (lower is better)" : ""),
          r.label,
          formatValue(r.summary, l.unit),
          r.judgement
            ? {
                text: r.judgement.text,
                tone: r.judgement.tone,
                ...(r.judgement.flag ? { warn: true } : {}),
              }
            : r.label === "bare metal"
              ? { text: "baseline", tone: "muted" as const }
              : { text: "not compared", tone: "muted" as const },
        ]),
      ),
    });
  }

  b.push(...paperFormBlocks(run, losses, rows));
  b.push(...paperBlocks(run, losses));

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
          ? judgementCell(a.comparison.percentOfBaseline, judgeAggregate(a)!)
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
      const bare = own(own(own(own(results, server), BASELINE), HOST), bm);
      const outcomes = ts.map((t) => ({ t, o: outcomeOf(results, t, bm) }));
      const schedules = outcomes.flatMap(({ o }) => (o?.schedule ? [o.schedule] : []));
      // The targets of one benchmark usually share one interleaved order: it is shown once.
      const shared =
        schedules.length > 0 &&
        schedules.every((x) => JSON.stringify(x) === JSON.stringify(schedules[0]));
      const status: [string, string][] = outcomes.map(({ t, o }) => {
        if (!o) return [targetLabel(t), "not run"];
        // A pair measured from elsewhere than the target's own host says from where.
        const from = o.client ? ` from ${o.client}` : "";
        const order = o.schedule && !shared ? `, order: ${orderText(o.schedule)}` : "";
        return [
          `${targetLabel(t)}${from}`,
          outcomeText(o, t.platform === BASELINE ? undefined : bare?.toolVersion) + order,
        ];
      });
      if (shared) status.push(["order of the trials", orderText(schedules[0])]);
      b.push({ kind: "fields", caption: `Trials of ${bm}${on(server)}`, rows: status });
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
  const methods = [
    ...new Set(own.flatMap((r) => (r.comparison?.method ? [methodText(r.comparison.method)] : []))),
  ];
  return {
    kind: "table",
    id: `metrics-${server}-${benchmark}`,
    caption:
      "Median [worst–best trial], standard deviation and CV, in the median's scale; % of bare metal (below 100% is slower) and the run's verdict" +
      (methods.length > 0 ? ` (${methods.slice(0, 3).join("; ")})` : "") +
      ".",
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
              ? judgementCell(c.percentOfBaseline, judgeRow(r)!)
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

/** The introduction: what the numbers are, and how the run judged a difference (its methods, in its words). */
function introText(rows: MetricRow[]): string {
  const compared = rows.filter((r) => r.comparison?.verdict !== undefined);
  const levels = [...new Set(compared.map((r) => levelText(r.comparison!.level ?? 0.95)))];
  const methods = [
    ...new Set(
      compared.flatMap((r) =>
        r.comparison!.method
          ? // Once per kind: each benchmark's table says over how many metrics.
            [
              methodText(r.comparison!.method).replace(
                /family-wise over \d+ metrics/,
                "family-wise over each target's benchmark",
              ),
            ]
          : [],
      ),
    ),
  ];
  const how =
    compared.length === 0
      ? ""
      : ` Each comparison has the run's ${levels.join(" or ")} confidence interval of that percentage (“CI”, shown as the change against bare metal) and its verdict: “slower” or “faster” only when the interval excludes no change, “no difference found” when it holds it (the trials could not tell, which is not “the same”), and “no uncertainty” when a side has one trial, which is never coloured as a loss or a win.` +
        (methods.length > 0
          ? ` The run's methods: ${methods
              .slice(0, 4)
              .join("; ")}${methods.length > 4 ? "; …" : ""}.`
          : "");
  return (
    "Values are medians of the trials in their natural scale, with the worst to best trial in brackets, the standard deviation (sd) and the coefficient of variation (CV). " +
    "“% of bare metal” is the platform's value against the same server's bare metal as the run compared them, oriented so that below 100% is slower for every metric (for latencies bare metal's time divided by the platform's)." +
    how
  );
}

/** "lxc/ct openssl-speed: OpenSSL 3.0.19 vs OpenSSL 3.0.22", once per target and benchmark compared across tool versions. */
function acrossVersions(rows: MetricRow[]): string[] {
  const seen = new Map<string, string>();
  const multi = new Set(rows.map((r) => r.server)).size > 1;
  for (const r of rows) {
    if (!r.toolVersions || !r.comparison) continue;
    const k = `${targetKey(r)}\u0000${r.benchmark}`;
    if (seen.has(k)) continue;
    seen.set(
      k,
      `${targetLabel(r)}${multi ? ` on ${r.server}` : ""} ${r.benchmark}: ${bounded(r.toolVersions.target, 80)} vs ${bounded(r.toolVersions.baseline, 80)}`,
    );
  }
  return [...seen.values()];
}

/** A method in words without its case's note ("…; no variance on either side, …"): each kind of method once. */
function methodText(method: string): string {
  return bounded(method.split(";")[0].trim(), 160);
}

/** The papers' tables in their form: per kind of platform, a guest alone, each of N at once, N as one. */
function paperFormBlocks(
  run: Run,
  losses: ReturnType<typeof lossTables>,
  metricRowsOfRun: ReturnType<typeof metricRows>,
): Block[] {
  const tables = paperForm(run, losses);
  if (tables.length === 0) return [];
  const multi = Object.keys(run.results).length > 1;
  const on = (server: string) => (multi ? `${server}: ` : "");
  const judged = (entries: FormEntry[], lead: (e: FormEntry) => string = () => ""): Cell => {
    if (entries.length === 0) return { text: "—", tone: "muted" };
    const text = entries
      .map(
        (e) =>
          `${on(e.server)}${lead(e)}${formatPercent(e.percent)}${e.judgement ? `: ${e.judgement.text}` : ""}`,
      )
      .join("; ");
    const only = entries.length === 1 ? entries[0].judgement : undefined;
    return {
      text,
      ...(only ? { tone: only.tone } : {}),
      ...(entries.some((e) => e.judgement?.flag) ? { warn: true } : {}),
    };
  };
  const labels = (key: string) =>
    metricLabel(key, metricRowsOfRun.find((x) => x.key === key)?.result.labels ?? {});
  return [
    {
      kind: "heading",
      level: 2,
      text: "Guests against bare metal, in the papers' form",
      id: "paper-form",
    },
    {
      kind: "paragraph",
      text:
        "Each benchmark's headline as % of the same server's bare metal, per kind of platform (Xen by mode), the way the papers tabulated it: " +
        "a guest that ran alone (the 2006 paper's guest against host; the 2009 paper's 1 VM), each of N guests that ran at once (the 2009 paper's “8vm, single”: their mean and range, not one interval), " +
        "and the N as one (“8vm, aggregate”, “8VMs aggregate vs. CPUs”; its loss is the “% loss from non emulated CPU (8vm)” table's). " +
        "A kind measured on several servers (the paper stacks give each configuration a server of its own) is one row.",
    },
    {
      kind: "table",
      id: "paper-form",
      head: [
        "benchmark",
        "metric",
        "platform",
        "1 VM",
        "N VMs at once, each",
        "N VMs at once, as one",
      ],
      rows: tables.flatMap((t) =>
        t.rows.map((r): Cell[] => [
          t.benchmark,
          labels(t.key),
          r.kind,
          judged(r.alone),
          r.single.length === 0
            ? { text: "—", tone: "muted" }
            : r.single
                .map(
                  (s) =>
                    `${on(s.server)}${s.guests} at once: mean ${formatPercent(s.mean)} (${formatPercent(s.min)} to ${formatPercent(s.max)})`,
                )
                .join("; "),
          judged(r.aggregate, (e) => `${(e as FormEntry & { guests: number }).guests} at once: `),
        ]),
      ),
    },
  ];
}

/** The papers' published figures beside the run's comparisons of the same benchmark and platform kind. */
function paperBlocks(run: Run, losses: ReturnType<typeof lossTables>): Block[] {
  const rows = paperRows(run, losses);
  if (rows.length === 0) return [];
  const multi = Object.keys(run.results).length > 1;
  return [
    { kind: "heading", level: 2, text: "The papers' figures beside this run", id: "papers" },
    {
      kind: "paragraph",
      text:
        "What the two papers state in numbers (report/papers.ts, with where each is printed), beside this run's comparison of the same benchmark's headline metric on the same kind of platform. " +
        "The papers measured other hardware, kernels and tool versions, once and without an interval: a gap between the two columns is a finding to explain, not an error. " +
        `Papers: ${Object.entries(papers)
          .map(([id, p]) => `${id}, ${p.title}`)
          .join("; ")}.`,
    },
    {
      kind: "table",
      id: "papers",
      head: ["paper", "measured", "the paper", "this run"],
      rows: rows.flatMap(({ figure: f, beside }) => {
        const lead = [
          f.paper,
          `${f.benchmark} on ${f.platform}${f.mode ? ` ${f.mode}` : ""}, ${f.setting} (${f.where})`,
          `${f.bound ? `${f.bound} ` : ""}${formatPercent(f.percentOfBareMetal)} of bare metal: “${f.quote}”`,
        ];
        if (beside.length === 0) {
          return [
            [
              ...lead,
              {
                text: `not measured here: no ${f.guests > 1 ? `${f.guests} ` : ""}${[f.platform, f.mode].filter(Boolean).join(" ")} guest${f.guests > 1 ? "s at once" : ""} compared with bare metal`,
                tone: "muted" as const,
              },
            ],
          ];
        }
        return beside.map((x): Cell[] => [
          ...lead,
          {
            text: `${multi ? `${x.server}: ` : ""}${x.label}: ${formatPercent(x.percent)}${x.judgement ? `: ${x.judgement.text}` : ""}`,
            ...(x.judgement ? { tone: x.judgement.tone } : {}),
            ...(x.judgement?.flag ? { warn: true } : {}),
          },
        ]);
      }),
    },
  ];
}
