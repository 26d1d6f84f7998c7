// npm run --silent parse -- <benchmark-id> <raw-output-file> [parameters.json]
// Prints the parsed result as JSON; a malformed file gives the parser's error
// on stderr and exit code 1. Re-parses archived raw outputs the same way a run
// does, with the parameters.json archived beside them unless one is given.
import * as fs from "fs";
import * as path from "path";
import { benchmarks } from "../benchmarks";

function main(argv: string[]): number {
  const [id, file, paramsFile] = argv;
  if (!id || !file) {
    process.stderr.write(
      `usage: npm run --silent parse -- <benchmark-id> <raw-output-file> [parameters.json]\n` +
        `benchmark ids: ${Object.keys(benchmarks).join(", ")}\n`,
    );
    return 2;
  }
  const m = benchmarks[id];
  if (!m) {
    process.stderr.write(
      `parse: unknown benchmark '${id}' (known: ${Object.keys(benchmarks).join(", ")})\n`,
    );
    return 2;
  }
  let raw: string;
  let params: unknown;
  try {
    raw = fs.readFileSync(file, "utf8");
    const beside = path.join(path.dirname(file), "parameters.json");
    const from = paramsFile ?? (fs.existsSync(beside) ? beside : undefined);
    const given = from ? JSON.parse(fs.readFileSync(from, "utf8")) : {};
    params = m.parameters.parse(given);
  } catch (e) {
    process.stderr.write(`parse: ${(e as Error).message}\n`);
    return 2;
  }
  try {
    process.stdout.write(JSON.stringify(m.parse(raw, params), null, 2) + "\n");
    return 0;
  } catch (e) {
    process.stderr.write(`parse: ${file}: ${(e as Error).message}\n`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
