// npm run report -- [--stack <name> | --run <run folder or id>] [--out <dir>]
// npm run report -- --compare <run-or-stack> <run-or-stack> [--out <dir>]
// Writes report.html, report.md, samples.jsonl and samples.csv into the run's
// archive folder (results/<stack>/<run id>/) and prints their paths; with
// --compare, prints what changed between two runs or stacks and writes it as
// compare-<run A>.{md,html} beside run B.
import * as path from "path";
import { parseArgs } from "util";
import { findRun, pulumiStackOutputs, StackOutputs } from "../report/load";
import { writeComparison, writeReport } from "../report/write";

export const usage =
  "usage: npm run report -- [--stack <name> (default testbed) | --run <run folder or run id>] [--out <dir>]\n" +
  "       npm run report -- --compare <run-or-stack> <run-or-stack> [--out <dir>]\n";

export class UsageError extends Error {}

export interface Options {
  mode: "report" | "compare";
  /** What to read: one spec for a report, two for a comparison. */
  specs: string[];
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
  if (v.help) throw new UsageError("");
  if (v.compare) {
    if (v.stack !== undefined || v.run !== undefined) {
      throw new UsageError("--compare takes two runs or stacks of its own, not --stack or --run");
    }
    if (positionals.length !== 2) {
      throw new UsageError(
        `--compare needs two runs or stacks, got ${positionals.length}${positionals.length ? `: ${positionals.join(" ")}` : ""}`,
      );
    }
    return { mode: "compare", specs: positionals, out: v.out };
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
  return { mode: "report", specs: [v.run ?? v.stack ?? "testbed"], out: v.out };
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
    const msg = (e as Error).message;
    io.err((msg ? `report: ${msg}\n` : "") + usage);
    return msg ? 2 : 0;
  }
  try {
    // npm runs scripts from the project root; paths are meant from where npm was called.
    const cwd = process.env.INIT_CWD ?? process.cwd();
    const runs = o.specs.map((s) => findRun(s, root, outputs, cwd));
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
    io.err(`report: ${(e as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
