// npm run --silent parse -- <benchmark-id> <raw-output-file> [parameters.json]
// Prints the parsed result as JSON; a malformed file gives the parser's error
// on stderr and exit code 1; a usage or input error exit code 2. Re-parses
// archived raw outputs the way a run does, with the parameters.json archived
// beside them unless one is given. Reads regular files only, of at most 64 MiB
// (a raw output) and 1 MiB (parameters.json): see `--help`.
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { benchmarks } from "../benchmarks";
import {
  bounded,
  excerpt,
  issueLines,
  keyPath,
  MAX_PARAMETERS_BYTES,
  MAX_RAW_BYTES,
  own,
  readJsonInput,
  readInputFile,
  sizeText,
} from "../report/input";

const ids = () => Object.keys(benchmarks).join(", ");

export const usage =
  "usage: npm run --silent parse -- <benchmark-id> <raw-output-file> [parameters.json]\n" +
  "       npm run --silent parse -- --help\n";

export const help = () =>
  usage +
  `
Parses one trial's raw output (results/<stack>/<run id>/raw/.../trial-N.txt)
with the benchmark's own parser and prints the result as JSON. The parameters
are parameters.json's, given or found beside the raw output, else the defaults.

A file with no parameters.json beside it and without the project's "@@@"
sections is read as the tool's own output, as a run by hand prints it (for:
${plainIds()}): the run it describes (requests, concurrency, data-set size ...)
is read from it and said on stderr, in place of parameters.

benchmark ids: ${ids()}

Only regular files are read: a raw output of at most ${sizeText(MAX_RAW_BYTES)}, a
parameters.json of at most ${sizeText(MAX_PARAMETERS_BYTES)}.
Exit codes: 0 parsed, 1 the output does not parse, 2 a usage or input error.
`;

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

/** The parameters: the given file's, else parameters.json beside the raw output, else {}; validated. */
function parameters(id: string, file: string, given: string | undefined): unknown {
  const beside = path.join(path.dirname(file), "parameters.json");
  const from = given ?? (fs.existsSync(beside) ? beside : undefined);
  if (from === undefined) return own(benchmarks, id)!.parameters.parse({});
  const { json, proto } = readJsonInput(from, MAX_PARAMETERS_BYTES, "parameters.json");
  if (proto) throw new Error(`${from}: ${keyPath(proto)}: a key named __proto__`);
  const r = own(benchmarks, id)!.parameters.safeParse(json);
  if (!r.success) {
    const lines = issueLines(r.error.issues).map((l) => `  ${l}`);
    throw new Error(`${from}: not parameters of ${id}:\n${lines.join("\n")}`);
  }
  return r.data;
}

export function main(
  argv: string[],
  io: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) },
): number {
  let positionals: string[];
  try {
    const a = parseArgs({
      args: argv,
      options: { help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
    if (a.values.help) {
      io.out(help());
      return 0;
    }
    positionals = a.positionals;
  } catch (e) {
    io.err(`parse: ${bounded((e as Error).message, 300)}\n${usage}`);
    return 2;
  }
  const [id, file, paramsFile, ...extra] = positionals;
  if (!id || !file || extra.length > 0) {
    io.err(
      (extra.length > 0 ? `parse: unexpected argument ${excerpt(extra[0])}\n` : "") +
        `${usage}benchmark ids: ${ids()}\n`,
    );
    return 2;
  }
  // An id from the command line finds a module only as an own key: "constructor" is not a benchmark.
  const m = own(benchmarks, id);
  if (!m) {
    io.err(`parse: unknown benchmark ${excerpt(id)} (known: ${ids()})\n`);
    return 2;
  }
  let raw: string;
  let params: unknown;
  try {
    raw = readInputFile(file, MAX_RAW_BYTES, "a raw output");
    // A run's raw output has its parameters.json beside it, and most scripts
    // frame what they print in "@@@ <section>" lines; a file with neither, of
    // a tool whose own output is read, is that output, as a run by hand prints it.
    const archived = fs.existsSync(path.join(path.dirname(file), "parameters.json"));
    if (m.plain && !archived && !/^@@@ /m.test(raw)) {
      return parsePlain(id, file, raw, paramsFile, io);
    }
    params = parameters(id, file, paramsFile);
  } catch (e) {
    io.err(`parse: ${bounded((e as Error).message, 3000)}\n`);
    return 2;
  }
  try {
    io.out(JSON.stringify(m.parse(raw, params), null, 2) + "\n");
    return 0;
  } catch (e) {
    // A parser may quote the line it could not read, and a line can be megabytes long.
    io.err(`parse: ${file}: ${bounded((e as Error).message, 500)}\n`);
    return 1;
  }
}

/** The tool's own output: the run it describes, said on stderr, stands for the parameters. */
function parsePlain(
  id: string,
  file: string,
  raw: string,
  paramsFile: string | undefined,
  io: Io,
): number {
  const m = own(benchmarks, id)!;
  if (paramsFile !== undefined) {
    io.err(
      `parse: ${file}: ${id}'s own output says how it was run; a parameters.json is for the project's framed output\n`,
    );
    return 2;
  }
  try {
    const { result, ran, warnings = [] } = m.plain!(raw);
    io.err(`parse: read as ${id}'s own output; the run it describes: ${JSON.stringify(ran)}\n`);
    for (const w of warnings) io.err(`parse: warning: ${w}\n`);
    io.out(JSON.stringify(result, null, 2) + "\n");
    return 0;
  } catch (e) {
    io.err(`parse: ${file}: ${bounded((e as Error).message, 500)}\n`);
    return 1;
  }
}

const plainIds = () =>
  Object.values(benchmarks)
    .filter((b) => b.plain)
    .map((b) => b.id)
    .join(", ");

if (require.main === module) process.exitCode = main(process.argv.slice(2));
