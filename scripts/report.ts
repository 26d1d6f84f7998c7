// npm run report -- [--stack <name> | --run <run folder or id>] [--out <dir>]
// npm run report -- --compare <run-or-stack> <run-or-stack> [--out <dir>]
// Writes report.html, report.md, samples.jsonl and samples.csv into the run's
// archive folder (results/<stack>/<run id>/) and prints their paths; with
// --compare, prints what changed between two runs or stacks and writes it as
// compare-<run A>.{md,html} beside run B.
import * as path from "path";
import { parseArgs } from "util";
import { bounded, MAX_RESULTS_BYTES, sizeText } from "../report/input";
import { findRun, pulumiStackOutputs, SpecKind, StackOutputs } from "../report/load";
import { writeComparison, writeReport } from "../report/write";

export const usage =
  "usage: npm run report -- [--stack <name> (default testbed) | --run <run folder or run id>] [--out <dir>]\n" +
  "       npm run report -- --compare <run-or-stack> <run-or-stack> [--out <dir>]\n" +
  "       npm run report -- --help\n";

export const help =
  usage +
  `
Writes report.html, report.md, samples.jsonl and samples.csv of one run into
its folder, or compare-<run A>.md and .html beside run B, and prints their paths.

  --stack <name>   a stack's newest run (its \`archive\` output); default: testbed
  --run <run>      an archived run: its folder, or its run id under results/<stack>/
  --compare A B    what changed from run A to run B (each a run folder, run id or stack)
  --out <dir>      write into <dir> instead of the run's folder
  -h, --help       this text

results.json is read up to ${sizeText(MAX_RESULTS_BYTES)} and checked before anything is drawn from it.
The files are written only into a folder of the user's own that is not a
symbolic link, and never through a link (report/write.ts says why).
`;

export class UsageError extends Error {}

export interface Options {
  mode: "report" | "compare" | "help";
  /** What to read: one spec for a report, two for a comparison. */
  specs: string[];
  /** What the specs may name: --run a run, --stack a stack, --compare either. */
  kind: SpecKind;
  out?: string;
}

/** The command line as options; anything unknown, missing or extra is a UsageError. */
export function parseCommandLine(argv: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        stack: { type: "string" },
        run: { type: "string" },
        compare: { type: "boolean" },
        out: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values: v, positionals } = parsed;
  if (v.help) return { mode: "help", specs: [], kind: "either" };
  if (v.compare) {
    if (v.stack !== undefined || v.run !== undefined) {
      throw new UsageError("--compare takes two runs or stacks of its own, not --stack or --run");
    }
    if (positionals.length !== 2) {
      throw new UsageError(
        `--compare needs two runs or stacks, got ${positionals.length}${positionals.length ? `: ${positionals.join(" ")}` : ""}`,
      );
    }
    return { mode: "compare", specs: positionals, kind: "either", out: v.out };
  }
  if (positionals.length > 0) {
    throw new UsageError(
      `unexpected argument '${positionals[0]}' (did you mean --run ${positionals[0]}?)`,
    );
  }
  if (v.stack !== undefined && v.run !== undefined)
    throw new UsageError("give --stack or --run, not both");
  for (const [k, x] of [
    ["stack", v.stack],
    ["run", v.run],
    ["out", v.out],
  ] as const) {
    if (x === "") throw new UsageError(`--${k} needs a value`);
  }
  return v.run !== undefined
    ? { mode: "report", specs: [v.run], kind: "run", out: v.out }
    : { mode: "report", specs: [v.stack ?? "testbed"], kind: "stack", out: v.out };
}

export async function main(
  argv: string[],
  io: { out: (s: string) => void; err: (s: string) => void } = {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  },
  root = path.resolve(__dirname, ".."),
  outputs: StackOutputs = pulumiStackOutputs(root),
): Promise<number> {
  let o: Options;
  try {
    o = parseCommandLine(argv);
  } catch (e) {
    io.err(`report: ${bounded((e as Error).message, 300)}\n${usage}`);
    return 2;
  }
  if (o.mode === "help") {
    io.out(help);
    return 0;
  }
  try {
    // npm runs scripts from the project root; paths are meant from where npm was called.
    const cwd = process.env.INIT_CWD ?? process.cwd();
    const runs = o.specs.map((s) => findRun(s, root, outputs, cwd, o.kind));
    const out = o.out === undefined ? undefined : path.resolve(cwd, o.out);
    if (o.mode === "compare") {
      const w = writeComparison(runs[0], runs[1], out);
      io.out(w.markdown + "\n");
      io.out(`${w.md}\n${w.html}\n`);
    } else {
      const w = await writeReport(runs[0], out);
      io.out(`${w.html}\n${w.md}\n${w.jsonl}\n${w.csv}\n`);
    }
    return 0;
  } catch (e) {
    // Messages quote file names and archive keys: bounded, control characters shown as escapes.
    io.err(`report: ${bounded((e as Error).message, 4000)}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
