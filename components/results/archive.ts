/**
 * A server's runs as results, and their archive: every trial parsed,
 * summarized per metric, compared with the same server's bare metal, the
 * concurrent groups aggregated, and all of it written to
 * results/<stack>/<run id>/ in the project (kept by destroy), in the results
 * schema (./schema.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import {
  aggregateConcurrent,
  assemble,
  compareToBaseline,
  ConcurrentGroup,
  RunRecord,
} from "./summarize";
import type { Measured } from "../measure/run";
import { TargetName, targetKey } from "../measure/target-name";
import { archiveFiles, newestStart, rawFiles, Redact, runId } from "./files";
import type { TestbedServer } from "./schema";

export interface ArchiveArgs {
  /** The project directory; the run goes to <root>/results/<stack>/<runId>/. */
  root: pulumi.Input<string>;
  stack: pulumi.Input<string>;
  /** e.g. 2026-11-21T22-40-03Z-1a2b3c4d: when the newest run started, and the content's digest. */
  runId: pulumi.Input<string>;
  /** Relative path -> text (results.json, comparison.json, raw/<target>/<benchmark>.txt, ...). */
  files: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fs = require("fs") as typeof import("fs");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const path = require("path") as typeof import("path");
    const dir = path.join(inputs.root, "results", inputs.stack, inputs.runId);
    for (const [rel, text] of Object.entries(inputs.files as Record<string, string>)) {
      const file = path.resolve(dir, rel);
      if (!file.startsWith(dir + path.sep)) throw new Error(`archive: ${rel} is outside ${dir}`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
    }
    return {
      id: dir,
      outs: {
        dir,
        runId: inputs.runId,
        stack: inputs.stack,
        root: inputs.root,
        files: inputs.files,
      },
    };
  },
  async diff(_id, olds, news) {
    const changed =
      olds.runId !== news.runId || olds.root !== news.root || olds.stack !== news.stack;
    return { changes: changed, replaces: changed ? ["runId"] : [], deleteBeforeReplace: false };
  },
  async delete() {
    // Results outlive the testbed: `pulumi destroy` leaves the folder in place.
  },
};

/**
 * A run's results and raw outputs written to results/<stack>/<runId>/ in the
 * project. A new run makes a new folder; no folder is ever deleted by Pulumi.
 */
export class ResultsArchive extends pulumi.dynamic.Resource {
  declare public readonly dir: pulumi.Output<string>;
  constructor(name: string, args: ArchiveArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      { ...args, dir: undefined },
      { ...opts, retainOnDelete: true },
      "testbed",
      "ResultsArchive",
    );
  }
}

/** A physical server's runs, as index.ts gathers them. */
export interface MeasuredServer {
  name: string;
  /** The archive's parent. */
  srv: pulumi.Resource;
  /** Every target of the server, with what the results record about it (facts or guest spec). */
  targets: (TargetName & { info: pulumi.Output<unknown> })[];
  runs: {
    target: TargetName & { info?: pulumi.Output<unknown> };
    benchmark: string;
    run: Measured;
  }[];
  /** Guests of one platform that ran a benchmark at the same time. */
  concurrent: ConcurrentGroup[];
}

/** The server's trials, results, comparison with bare metal and concurrent aggregates. */
export function measure(s: Pick<MeasuredServer, "runs" | "concurrent">) {
  // One Output for all of the server's runs, not one per run: each costs memory
  // a large farm feels (bench:scale).
  const trials = pulumi.all(s.runs.map(({ run }) => run.trials));
  // An interleaved run's: the trials asked for, why they stopped, the order.
  const how = pulumi.all(
    s.runs.map(({ run }) => pulumi.all([run.asked, run.stopped, run.schedule, run.measured])),
  );
  const records = pulumi.all([trials, how]).apply(([all, hows]) =>
    all.map((t, i): RunRecord => {
      const [asked, stopped, schedule, measured] = hows[i];
      return {
        server: s.runs[i].target.server,
        platform: s.runs[i].target.platform,
        guest: s.runs[i].target.guest,
        benchmark: s.runs[i].benchmark,
        ...(s.runs[i].run.client ? { client: s.runs[i].run.client } : {}),
        trials: t,
        ...(asked !== undefined ? { asked } : {}),
        ...(stopped ? { stopped } : {}),
        ...(schedule ? { schedule } : {}),
        ...(measured ? { measured } : {}),
      };
    }),
  );
  const results = records.apply(assemble);
  const comparison = results.apply(compareToBaseline);
  /** Guests that ran a benchmark at once, as one (the 2009 paper's 8-VM aggregate). */
  const aggregates = results.apply((r) => aggregateConcurrent(r, s.concurrent));
  return { trials, results, comparison, aggregates };
}

export type Measurement = ReturnType<typeof measure>;

/** What every run folder of the stack shares. */
export interface ArchiveContext {
  /** The project directory: runs go to <root>/results/<stack>/<run id>/. */
  root: string;
  stack: string;
  /** The validated configuration without keys and secrets: it explains a difference between two runs. */
  config: Record<string, unknown>;
  /** Outputs and the archive show [secret] where a value set as secret would be. */
  hidden: Redact;
  /** How many servers the stack has: with several, each folder's name carries its server's. */
  servers: number;
}

/**
 * The server's run folder: results.json (its `testbed` entry is the server's
 * description, the `testbed` output's) and every trial's raw output. Nothing
 * when the server ran no benchmark.
 */
export function archiveRun(
  s: MeasuredServer,
  m: Measurement,
  /** The server as the `testbed` output describes it (index.ts describeServer). */
  description: pulumi.Output<unknown>,
  ctx: ArchiveContext,
): pulumi.Output<string> | undefined {
  if (s.runs.length === 0) return undefined;
  // The server's targets, and any measured apart from them (bare metal before a reboot into Xen).
  const measuredOn = [
    ...s.targets,
    ...s.runs.flatMap(({ target: t }) => (t.info ? [{ ...t, info: t.info }] : [])),
  ];
  const targetInfos = pulumi.all(Object.fromEntries(measuredOn.map((t) => [targetKey(t), t.info])));
  const raw = m.trials.apply((all) =>
    rawFiles(
      all.map((trials, i) => {
        const { target, benchmark, run } = s.runs[i];
        return { target, benchmark, params: run.params, trials };
      }),
    ),
  );
  const newest = pulumi.all(s.runs.map((r) => r.run.startedAt)).apply(newestStart);
  const files = pulumi
    .all([m.results, m.comparison, m.aggregates, targetInfos, description, raw])
    .apply(([results, comparison, aggregates, infos, tb, r]) =>
      archiveFiles(
        {
          stack: ctx.stack,
          server: s.name,
          config: ctx.config,
          // Pulumi's outputs are not typed as the schema is: the report checks both when it reads them back.
          testbed: { [s.name]: tb as TestbedServer },
          targets: infos as Record<string, Record<string, unknown>>,
          results,
          comparison,
          aggregates,
        },
        r,
        ctx.hidden,
      ),
    );
  const id = pulumi
    .all([files, newest])
    .apply(([f, started]) => runId(f, started, ctx.servers > 1 ? s.name : undefined));
  return new ResultsArchive(
    `${s.name}-results-archive`,
    { root: ctx.root, stack: ctx.stack, runId: id, files },
    { parent: s.srv },
  ).dir;
}
