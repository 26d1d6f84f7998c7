/**
 * Finding and reading a run: a stack's outputs (whose `archive` output is the
 * run folder), a run folder's path, or a run id under results/<stack>/.
 * results.json is read up to a size limit and checked with zod (no __proto__
 * key, no negative or infinite value, medians that are their trials'), so a
 * report never draws from a half-read or an edited file.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import type { Results } from "../components/measure/results";
import { summarize } from "../components/results/stats";
import { bounded, excerpt, issueLines, keyPath, MAX_RESULTS_BYTES, readJsonInput } from "./input";
import type { RecordedAggregates } from "./tables";

/**
 * Every value of a metric: rates, times, counts, percentages and scores, none
 * of which is ever below zero (a "% of bare metal" of a negative median would
 * be nonsense). z.number() already refuses Infinity, which JSON's 1e999 is.
 */
const value = z.number().min(0, {
  error: (i) =>
    `negative (${String(i.input)}): no metric (a rate, time, count or score) is below 0`,
});

const metricShape = {
  trials: z.array(value).min(1),
  median: value,
  min: value,
  max: value,
  stdev: value,
  spread: value,
  unit: z.string(),
  direction: z.enum(["higher", "lower"]),
  labels: z.record(z.string(), z.string()),
};

/** A metric's median, min and max are its trials' (components/results/stats.ts summarize): anything else was edited. */
const metric = z.object(metricShape).check((ctx) => {
  const m = ctx.value;
  // zod runs this even after issues it can continue past (no trials, a negative one): those say enough.
  if (ctx.issues.length > 0) return;
  const s = summarize(m.trials);
  for (const k of ["median", "min", "max"] as const) {
    if (m[k] !== s[k]) {
      ctx.issues.push({
        code: "custom",
        input: m[k],
        path: [k],
        message: `${m[k]} is not the ${k} of the trials (${s[k]})`,
      });
    }
  }
});

/** N guests as one: the median is their medians' sum or mean, so it lies between the summed minimums and maximums. */
const aggregateMetric = z
  .object({ ...metricShape, guests: z.array(z.string()).min(1) })
  .refine((m) => m.min <= m.median && m.median <= m.max, {
    error: (i) => {
      const m = i.input as { min: number; median: number; max: number };
      return `median ${m.median} is not between min ${m.min} and max ${m.max}`;
    },
    path: ["median"],
  });

const outcome = z.object({
  status: z.enum(["ok", "partial", "failed"]),
  toolVersion: z.string(),
  trials: z.array(
    z.object({
      index: z.number(),
      exitCode: z.number(),
      seconds: z.number(),
      error: z.string().optional(),
    }),
  ),
  metrics: z.record(z.string(), metric),
});

const record = z.record(z.string(), z.unknown());

/** A platform of one server in the `testbed` stack output. */
const testbedPlatform = z.looseObject({
  info: record.optional(),
  guests: z.array(record).optional(),
});

const testbedServer = z.looseObject({
  profile: z.string().optional(),
  profileCheck: z
    .looseObject({
      profile: z.string(),
      matches: z.boolean(),
      mismatches: z.array(
        z.object({ field: z.string(), expected: z.string(), actual: z.string() }),
      ),
    })
    .optional(),
  facts: record.optional(),
  accel: record.optional(),
  platforms: z.record(z.string(), testbedPlatform).optional(),
});

export const resultsFileSchema = z.object({
  stack: z.string(),
  results: z.record(
    z.string(),
    z.record(z.string(), z.record(z.string(), z.record(z.string(), outcome))),
  ),
  comparison: record.optional(),
  /** Facts (bare metal) or spec (guests) per "server/platform/guest". */
  targets: z.record(z.string(), record).optional(),
  /** The `testbed` stack output; runs archived before it was recorded lack it. */
  testbed: z.record(z.string(), testbedServer).optional(),
  /** The validated stack configuration without secrets; older runs lack it. */
  config: record.optional(),
  /** Concurrent groups as one: server -> platform -> benchmark -> metric; older runs lack it. */
  aggregates: z
    .record(
      z.string(),
      z.record(z.string(), z.record(z.string(), z.record(z.string(), aggregateMetric))),
    )
    .optional(),
});

export type TestbedServer = z.infer<typeof testbedServer>;

export interface Run {
  /** The run folder (results/<stack>/<run id>/), where the report and exports go. */
  dir: string;
  runId: string;
  stack: string;
  results: Results;
  targets: Record<string, Record<string, unknown>>;
  testbed?: Record<string, TestbedServer>;
  config?: Record<string, unknown>;
  /** The concurrent groups' aggregates, when the run recorded them. */
  aggregates?: RecordedAggregates;
  /** Where it was found: "stack testbed" or the folder. */
  source: string;
}

/** Reads <dir>/results.json; errors name the path and what is wrong. */
export function readRun(dir: string, source = dir): Run {
  const file = path.join(dir, "results.json");
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new Error(`${dir}: no such run folder`);
  }
  if (!fs.existsSync(file)) {
    throw new Error(
      `${dir}: no results.json in this folder (not a run of results/<stack>/<run id>/)`,
    );
  }
  const { json, proto } = readJsonInput(file, MAX_RESULTS_BYTES, "a results.json");
  if (proto) {
    // zod would drop these keys without a word; a run never names anything so.
    throw new Error(`${file}: not a results file:\n  ${keyPath(proto)}: a key named __proto__`);
  }
  const parsed = resultsFileSchema.safeParse(json);
  if (!parsed.success) {
    const issues = issueLines(parsed.error.issues)
      .map((l) => `  ${l}`)
      .join("\n");
    throw new Error(`${file}: not a results file:\n${issues}`);
  }
  const r = parsed.data;
  return {
    dir: path.resolve(dir),
    runId: path.basename(path.resolve(dir)),
    stack: r.stack,
    results: r.results as Results,
    targets: r.targets ?? {},
    testbed: r.testbed,
    config: r.config,
    aggregates: r.aggregates,
    source,
  };
}

/** Runs `pulumi stack output --json` the project's way; returns the parsed outputs. */
export type StackOutputs = (stack: string) => Record<string, unknown>;

export function pulumiStackOutputs(root: string): StackOutputs {
  return (stack) => {
    let out: string;
    try {
      out = execFileSync(
        "bash",
        [path.join(root, "scripts/pulumi.sh"), "stack", "output", "--json", "--stack", stack],
        { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
      );
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      const why = bounded((err.stderr ?? "").trim().split("\n").pop() || err.message, 300);
      // Where pulumi looked: the state backend scripts/env.sh sets, unless the environment chose another.
      const backend =
        process.env.PULUMI_BACKEND_URL ?? `file://${path.join(root, ".pulumi-state")}`;
      throw new Error(`stack ${stack}: could not read its outputs from ${backend}: ${why}`);
    }
    return JSON.parse(out) as Record<string, unknown>;
  };
}

const stackName = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** What a name on the command line may be: --run a run, --stack a stack, --compare either. */
export type SpecKind = "run" | "stack" | "either";

/** The run folders of that id under results/<stack>/, and where they were looked for. */
function runsById(spec: string, root: string): { hits: string[]; looked: string } {
  const resultsDir = path.join(root, "results");
  if (!fs.existsSync(resultsDir)) return { hits: [], looked: `${resultsDir} (no such folder)` };
  const stacks = fs.readdirSync(resultsDir);
  const hits = stacks
    .map((s) => path.join(resultsDir, s, spec))
    .filter((d) => fs.existsSync(d) && fs.statSync(d).isDirectory());
  const listed = stacks.length > 8 ? `${stacks.slice(0, 8).join(", ")}, ...` : stacks.join(", ");
  return { hits, looked: `${resultsDir}/<stack>/ (stacks: ${listed || "none"})` };
}

/**
 * A run from what the user typed: an existing folder, a run id under
 * results/<stack>/, or a stack name (its `archive` output is the folder).
 * `kind` says which of these it may be; what is not found is said with
 * every place it was looked for.
 */
export function findRun(
  spec: string,
  root: string,
  outputs: StackOutputs,
  cwd = process.cwd(),
  kind: SpecKind = "either",
): Run {
  const name = excerpt(spec);
  const asPath = path.resolve(cwd, spec);
  const looked: string[] = [];
  if (kind !== "stack") {
    if (spec.includes("/") || spec.startsWith(".") || fs.existsSync(asPath)) {
      return readRun(asPath);
    }
    looked.push(`no folder ${asPath}`);
    const { hits, looked: where } = runsById(spec, root);
    if (hits.length > 1) {
      throw new Error(
        `run id ${name} is in more than one stack: ${hits.join(", ")}; give the folder`,
      );
    }
    if (hits.length === 1) return readRun(hits[0], path.relative(root, hits[0]));
    looked.push(`no run of that id in ${where}`);
    if (kind === "run") throw new Error(`run ${name} not found: ${looked.join(", ")}`);
  }
  if (!stackName.test(spec)) {
    throw new Error(
      kind === "stack"
        ? `${name} is not a stack name (letters, digits, '.', '_' and '-')`
        : `${name} not found: ${looked.join(", ")}; nor is it a stack name`,
    );
  }
  let out: Record<string, unknown>;
  try {
    out = outputs(spec);
  } catch (e) {
    if (kind === "stack") throw e;
    throw new Error(`${name} not found: ${[...looked, (e as Error).message].join(", ")}`);
  }
  // One folder per run, or (a stack of several servers) one per server: server -> folder.
  const archive = out.archive;
  const dirs =
    typeof archive === "string"
      ? [archive]
      : typeof archive === "object" && archive !== null
        ? // A server whose steps failed has no folder: its output is Pulumi's unknown value.
          Object.values(archive).filter(
            (d): d is string => typeof d === "string" && path.isAbsolute(d),
          )
        : [];
  if (dirs.length === 0) {
    throw new Error(
      `stack ${spec}: no archive output (has it run a benchmark yet? \`npm run testbed\` runs the default stack)`,
    );
  }
  const run = mergeRuns(dirs.map((d) => readRun(d, `stack ${spec}`)));
  // The stack's own testbed output stands in for runs archived before results.json carried it.
  const testbed = run.testbed ?? resultsFileSchema.shape.testbed.safeParse(out.testbed).data;
  return { ...run, testbed };
}

/**
 * The folders of one run of several servers as one run: results, targets,
 * testbed and aggregates are keyed by server already. The report goes to the
 * first server's folder.
 */
export function mergeRuns(runs: Run[]): Run {
  if (runs.length === 1) return runs[0];
  const [first] = runs;
  const merge = <T>(pick: (r: Run) => Record<string, T> | undefined) => {
    const parts = runs.map(pick).filter((x): x is Record<string, T> => x !== undefined);
    return parts.length === 0 ? undefined : Object.assign({}, ...parts);
  };
  return {
    ...first,
    results: merge((r) => r.results) ?? {},
    targets: merge((r) => r.targets) ?? {},
    testbed: merge((r) => r.testbed),
    aggregates: merge((r) => r.aggregates),
    source: `${first.source} (${runs.map((r) => r.dir).join(", ")})`,
  };
}
