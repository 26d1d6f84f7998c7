/**
 * Finding and reading a run: a stack's outputs (whose `archive` output is the
 * run folder), a run folder's path, or a run id under results/<stack>/.
 * results.json is read up to a size limit and checked against the results
 * schema the program writes it with (components/results/schema.ts: no
 * negative or infinite value, medians that are their trials', the run's
 * comparison present) and for __proto__ keys, so a report never draws from a
 * half-read or an edited file.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import {
  Aggregates,
  Comparisons,
  Results,
  resultsFileSchema,
  Testbed,
  testbedSchema,
} from "../components/results/schema";
import { bounded, excerpt, issueLines, keyPath, MAX_RESULTS_BYTES, readJsonInput } from "./input";

export interface Run {
  /** The run folder (results/<stack>/<run id>/), where the report and exports go. */
  dir: string;
  runId: string;
  stack: string;
  results: Results;
  /** Each platform's metrics against the same server's bare metal, as the run compared them. */
  comparison: Comparisons;
  targets: Record<string, Record<string, unknown>>;
  testbed?: Testbed;
  config?: Record<string, unknown>;
  /** The concurrent groups' aggregates, when the run recorded them. */
  aggregates?: Aggregates;
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
    results: r.results,
    comparison: r.comparison,
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
  const testbed = run.testbed ?? testbedSchema.safeParse(out.testbed).data;
  return { ...run, testbed };
}

/**
 * The folders of one run of several servers as one run: results, comparison,
 * targets, testbed and aggregates are keyed by server already. The report goes to the
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
    comparison: merge((r) => r.comparison) ?? {},
    targets: merge((r) => r.targets) ?? {},
    testbed: merge((r) => r.testbed),
    aggregates: merge((r) => r.aggregates),
    source: `${first.source} (${runs.map((r) => r.dir).join(", ")})`,
  };
}
