/**
 * Two runs (or two stacks' newest runs) side by side: metric by metric what
 * changed, judged like a platform against bare metal (components/results/
 * stats.ts compare: B against A, with its confidence interval, family-wise
 * over each target's benchmark), and the configuration diff that explains it,
 * key path by key path (what `pulumi preview --diff` would show between the
 * two configs).
 */
import { targetKey } from "../components/measure/target-name";
import type { MetricResult } from "../components/results/schema";
import { compare } from "../components/results/stats";
import type { Block, Cell } from "./document";
import { judgementCell } from "./document";
import { bounded, own } from "./input";
import type { Run } from "./load";
import {
  BASELINE,
  formatPercent,
  formatValue,
  metricLabel,
  MetricRow,
  metricRows,
  outcomeOf,
  targetLabel,
} from "./tables";
import { judge, Judged, Judgement, Kind } from "./verdict";

export interface MetricChange {
  server: string;
  platform: string;
  guest: string;
  benchmark: string;
  key: string;
  a?: MetricResult;
  b?: MetricResult;
  /** B against A (A is the baseline): below 100% B is slower; absent unless both have it and neither is zero. */
  change?: Judged;
  /** The change in words, with each run's trials. */
  judgement?: Judgement;
  /** The tool's version in A and in B, when they differ. */
  toolVersions?: { a: string; b: string };
  /** The platform's % of bare metal in each run (not for bare metal itself). */
  percentOfBaremetal?: [number | undefined, number | undefined];
}

const rowKey = (r: Pick<MetricRow, "server" | "platform" | "guest" | "benchmark" | "key">) =>
  `${targetKey(r)}\u0000${r.benchmark}\u0000${r.key}`;

/** Every metric of either run, with B compared against A where both have it. */
export function compareRuns(a: Run, b: Run): MetricChange[] {
  const ra = new Map(metricRows(a).map((r) => [rowKey(r), r]));
  const rb = new Map(metricRows(b).map((r) => [rowKey(r), r]));
  const keys = [...new Set([...ra.keys(), ...rb.keys()])];
  const comparable = (k: string) => {
    const x = ra.get(k);
    const y = rb.get(k);
    return x !== undefined && y !== undefined && x.result.median !== 0 && y.result.median !== 0;
  };
  // A target's benchmark is one family, as against bare metal: its metrics share the confidence level.
  const family = new Map<string, number>();
  const familyOf = (k: string) => k.slice(0, k.lastIndexOf("\u0000"));
  for (const k of keys.filter(comparable)) {
    family.set(familyOf(k), (family.get(familyOf(k)) ?? 0) + 1);
  }
  return keys.map((k) => {
    const x = ra.get(k);
    const y = rb.get(k);
    const id = (x ?? y)!;
    const change = comparable(k)
      ? compare(y!.result, x!.result, y!.result.direction, family.get(familyOf(k)))
      : undefined;
    const va = outcomeOf(a.results, id, id.benchmark)?.toolVersion;
    const vb = outcomeOf(b.results, id, id.benchmark)?.toolVersion;
    const toolVersions =
      x && y && va !== undefined && vb !== undefined && va !== vb ? { a: va, b: vb } : undefined;
    return {
      server: id.server,
      platform: id.platform,
      guest: id.guest,
      benchmark: id.benchmark,
      key: id.key,
      a: x?.result,
      b: y?.result,
      change,
      judgement: change
        ? judge(change, {
            sides: { target: y!.result.trials.length, baseline: x!.result.trials.length },
            toolVersions: toolVersions && { target: toolVersions.b, baseline: toolVersions.a },
            names: { target: "in B", baseline: "in A" },
          })
        : undefined,
      ...(toolVersions ? { toolVersions } : {}),
      percentOfBaremetal:
        id.platform === BASELINE
          ? undefined
          : [x?.comparison?.percentOfBaseline, y?.comparison?.percentOfBaseline],
    };
  });
}

export interface ConfigChange {
  path: string;
  kind: "added" | "removed" | "changed";
  before?: unknown;
  after?: unknown;
}

const isObj = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x);

const step = (path: string, key: string | number) =>
  typeof key === "number"
    ? `${path}[${key}]`
    : /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)
      ? path
        ? `${path}.${key}`
        : key
      : `${path}[${JSON.stringify(key)}]`;

/** Leaves of a value that appears or disappears as a whole, so each shows on its own line. */
function leaves(value: unknown, path: string): [string, unknown][] {
  if (Array.isArray(value) && value.length > 0)
    return value.flatMap((v, i) => leaves(v, step(path, i)));
  if (isObj(value) && Object.keys(value).length > 0) {
    return Object.entries(value).flatMap(([k, v]) => leaves(v, step(path, k)));
  }
  return [[path, value]];
}

/** The structural diff of two configs: objects key by key, arrays index by index. */
export function configDiff(a: unknown, b: unknown, path = ""): ConfigChange[] {
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => configDiff(own(a, k), own(b, k), step(path, k)));
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.max(a.length, b.length);
    return Array.from({ length: n }, (_, i) => configDiff(a[i], b[i], step(path, i))).flat();
  }
  if (a === undefined && b === undefined) return [];
  if (a === undefined)
    return leaves(b, path).map(([p, v]) => ({ path: p, kind: "added", after: v }));
  if (b === undefined)
    return leaves(a, path).map(([p, v]) => ({ path: p, kind: "removed", before: v }));
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  return [{ path, kind: "changed", before: a, after: b }];
}

/** A value on one diff line: a string as is, unless a line break or control character would make it two lines or hide part of it. */
const show = (v: unknown) => (typeof v === "string" && !/\p{C}/u.test(v) ? v : JSON.stringify(v));

/** "~ servers[0].platforms[2].guests[0].memoryMiB: 1024 -> 2048", "+ path: value", "- path: value". */
export function formatConfigChange(c: ConfigChange): string {
  if (c.kind === "added") return `+ ${c.path}: ${show(c.after)}`;
  if (c.kind === "removed") return `- ${c.path}: ${show(c.before)}`;
  return `~ ${c.path}: ${show(c.before)} -> ${show(c.after)}`;
}

/** The configuration diff in words, or why there is none. */
export function configDiffLines(a: Run, b: Run): string[] {
  const missing = [a, b].filter((r) => !r.config).map((r) => r.runId);
  if (missing.length > 0) {
    return [
      `The configuration was not recorded in run ${missing.join(" nor in run ")}, so the two configs cannot be compared.`,
    ];
  }
  const diff = configDiff(a.config, b.config);
  return diff.length === 0
    ? ["The two configurations are the same."]
    : diff.map(formatConfigChange);
}

export function describeChange(c: MetricChange): string {
  if (!c.a) return "only in B";
  if (!c.b) return "only in A";
  if (!c.judgement) return "not compared (a zero median)";
  return c.judgement.text;
}

/** The comparison as report blocks: counts, the config diff, then every metric, changes first. */
export function compareBlocks(a: Run, b: Run): Block[] {
  const changes = compareRuns(a, b);
  const kindOf = (c: MetricChange): Kind | undefined => c.judgement?.kind;
  const significant = (c: MetricChange) => kindOf(c) === "slower" || kindOf(c) === "faster";
  const sorted = [...changes].sort((x, y) => {
    const sx = significant(x) ? Math.abs(x.change!.lossPercent) : -1;
    const sy = significant(y) ? Math.abs(y.change!.lossPercent) : -1;
    return sy - sx;
  });
  const count = (f: (c: MetricChange) => boolean) => changes.filter(f).length;
  const method = changes.find((c) => c.change?.method)?.change?.method;
  const across = [
    ...new Set(
      changes
        .filter((c) => c.toolVersions)
        .map(
          (c) =>
            `${targetLabel(c)} ${c.benchmark}: ${bounded(c.toolVersions!.a, 80)} in A, ${bounded(c.toolVersions!.b, 80)} in B`,
        ),
    ),
  ];
  const blocks: Block[] = [
    {
      kind: "heading",
      level: 1,
      text: `Comparison: ${a.stack} ${a.runId} (A) and ${b.stack} ${b.runId} (B)`,
    },
    {
      kind: "paragraph",
      text:
        `A: ${a.source}. B: ${b.source}. B against A, oriented so that below 100% B is slower; ` +
        "a change is “slower” or “faster” only when its confidence interval excludes no change, “no difference found” when it holds it, and “no uncertainty” when a run has one trial" +
        (method ? ` (${bounded(method, 160)})` : "") +
        ".",
    },
    {
      kind: "paragraph",
      text:
        `${count(significant)} metric(s) changed ` +
        `(${count((c) => kindOf(c) === "slower")} slower, ${count((c) => kindOf(c) === "faster")} faster), ` +
        `${count((c) => kindOf(c) === "no difference")} no difference found, ` +
        `${count((c) => kindOf(c) === "no uncertainty")} one trial: no uncertainty, ` +
        `${count((c) => kindOf(c) === "not comparable" || (!!c.a && !!c.b && !c.change))} not comparable, ` +
        `${count((c) => !c.a)} only in B, ${count((c) => !c.b)} only in A.`,
    },
    ...(across.length > 0
      ? [
          {
            kind: "paragraph" as const,
            warn: true,
            text: `⚠ different tool versions between the runs: ${across.join("; ")}.`,
          },
        ]
      : []),
    { kind: "heading", level: 2, text: "Configuration diff (A -> B)", id: "config-diff" },
    { kind: "code", text: configDiffLines(a, b).join("\n") },
    { kind: "heading", level: 2, text: "Metric by metric", id: "metrics" },
  ];
  const multi = new Set(changes.map((c) => c.server)).size > 1;
  const pct = (p: number | undefined) => (p === undefined ? "—" : formatPercent(p));
  blocks.push({
    kind: "table",
    id: "changes",
    caption:
      "Median [worst–best trial], sd and CV in each run; B as % of A with the verdict; each platform's % of bare metal in A and in B.",
    head: [
      ...(multi ? ["server"] : []),
      "platform",
      "benchmark",
      "metric",
      "A",
      "B",
      "B as % of A",
      "% of bare metal, A -> B",
    ],
    rows: sorted.map((c): Cell[] => {
      const unit = (c.a ?? c.b)!.unit;
      return [
        ...(multi ? [c.server] : []),
        targetLabel(c),
        c.benchmark,
        metricLabel(c.key, (c.a ?? c.b)!.labels),
        c.a ? formatValue(c.a, unit) : "—",
        c.b ? formatValue(c.b, unit) : "—",
        c.change && c.judgement
          ? judgementCell(c.change.percentOfBaseline, c.judgement)
          : { text: describeChange(c), tone: "muted" },
        c.percentOfBaremetal
          ? `${pct(c.percentOfBaremetal[0])} -> ${pct(c.percentOfBaremetal[1])}`
          : "bare metal",
      ];
    }),
  });
  return blocks;
}
