/**
 * Finding and reading a run: a stack's outputs (whose `archive` output is the
 * run folder), a run folder's path, or a run id under results/<stack>/.
 * results.json is checked with zod, so a report never draws from a half-read file.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import type { Results } from "../components/measure/results";
import type { RecordedAggregates } from "./tables";

const metric = z.object({
  trials: z.array(z.number()),
  median: z.number(),
  min: z.number(),
  max: z.number(),
  stdev: z.number(),
  spread: z.number(),
  unit: z.string(),
  direction: z.enum(["higher", "lower"]),
  labels: z.record(z.string(), z.string()),
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
      z.record(
        z.string(),
        z.record(z.string(), z.record(z.string(), metric.extend({ guests: z.array(z.string()) }))),
      ),
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
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: not valid JSON: ${(e as Error).message}`);
  }
  const parsed = resultsFileSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => `  ${i.path.join(".") || "(top)"}: ${i.message}`)
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
      const why = (err.stderr ?? "").trim().split("\n").pop() || err.message;
      throw new Error(`stack ${stack}: could not read its outputs: ${why}`);
    }
    return JSON.parse(out) as Record<string, unknown>;
  };
}

const stackName = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * A run from what the user typed: an existing folder, a run id under
 * results/<stack>/, or a stack name (its `archive` output is the folder).
 */
export function findRun(
  spec: string,
  root: string,
  outputs: StackOutputs,
  cwd = process.cwd(),
): Run {
  const asPath = path.resolve(cwd, spec);
  if (spec.includes("/") || spec.startsWith(".") || fs.existsSync(asPath)) {
    return readRun(asPath);
  }
  const resultsDir = path.join(root, "results");
  if (fs.existsSync(resultsDir)) {
    const hits = fs
      .readdirSync(resultsDir)
      .map((s) => path.join(resultsDir, s, spec))
      .filter((d) => fs.existsSync(d) && fs.statSync(d).isDirectory());
    if (hits.length > 1) {
      throw new Error(
        `run id ${spec} is in more than one stack: ${hits.join(", ")}; give the folder`,
      );
    }
    if (hits.length === 1) return readRun(hits[0], path.relative(root, hits[0]));
  }
  if (!stackName.test(spec)) throw new Error(`${spec}: neither a run folder nor a stack name`);
  const out = outputs(spec);
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
