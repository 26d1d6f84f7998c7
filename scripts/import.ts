// npm run import -- <folder> [--manifest <file>] [--dry-run]
// Turns a folder of the tools' own outputs, run by hand, and its manifest into
// an archived run under results/<stack>/<run id>/, which `npm run report`
// and its --compare read like any run of the program (components/results/import.ts).
// Exit codes: 0 imported (or already there), 1 a file or the manifest does not
// read, 2 a usage error.
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { parse as parseYaml } from "yaml";
import { benchmarks } from "../benchmarks";
import { importRuns, readManifest } from "../components/results/import";
import { bounded, MAX_PARAMETERS_BYTES, MAX_RAW_BYTES, readInputFile } from "../report/input";

export const usage =
  "usage: npm run import -- <folder> [--manifest <file>] [--dry-run]\n" +
  "       npm run import -- --help\n";

const plainIds = () =>
  Object.values(benchmarks)
    .filter((b) => b.plain)
    .map((b) => b.id)
    .join(", ");

export const help = () =>
  usage +
  `
Brings results measured by hand in as a run: each file is read by its
benchmark's parser, the trials are summarized and compared with the same
server's bare metal as a run of the program is, and the run is written to
results/<stack>/<run id>/, one folder for all its servers. Then:
  npm run report -- --run <run id>        its report
  npm run report -- --compare <A> <B>     against another run

The folder holds the outputs and manifest.yaml (or --manifest <file>):

  stack: lab-2009              # results/<stack>/ (default: imported)
  measured: 2009-05-14         # when: a date, or date and time with its zone
  source: "dual E5420 blade at CNAF, run by hand by ..."
  servers:                     # optional: what is known of each server
    blade: { profile: e5420-blade, facts: { kernel: 2.6.18-xen } }
  runs:
    - target: blade/baseline/host        # <server>/<platform>/<guest>
      benchmark: openssl-speed
      trials: [bare/speed-1.txt, bare/speed-2.txt, bare/speed-3.txt]
    - target: blade/xen/vm1
      mode: para                         # a Xen guest's mode
      benchmark: iperf3
      trials:                            # a trial of several files
        - [vm1/fwd-1.json, vm1/rev-1.json]
  concurrent:                  # optional: guests that ran at once, as one
    - benchmark: openssl-speed
      targets: [blade/xen/vm1, blade/xen/vm2]

A file is read as the tool prints it (for: ${plainIds()}); the
project's framed output (an archived raw/.../trial-N.txt) is read too, with
the run's "parameters:". The trials of one run must have run the same way
(same tool version, same settings as the outputs state them).

Hand runs have no interleaved schedule: the report flags their comparisons as
not interleaved (drift between the runs is not in the interval).

Options:
  --manifest <file>  the manifest, if not <folder>/manifest.yaml
  --dry-run          read and check everything, print what would be written
`;

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

/** A file of the folder, by its manifest path: it must resolve (links followed) inside the folder. */
function reader(folder: string): (file: string) => string {
  return (file) => readInFolder(folder, file, MAX_RAW_BYTES, "a raw output");
}

function readInFolder(folder: string, file: string, limit: number, what: string): string {
  const real = fs.realpathSync(folder);
  let resolved: string;
  try {
    resolved = fs.realpathSync(path.resolve(real, file));
  } catch {
    throw new Error(`${file}: no such file in ${folder}`);
  }
  if (!resolved.startsWith(real + path.sep)) {
    throw new Error(`${file}: resolves to ${resolved}, outside ${folder}: not read`);
  }
  return readInputFile(resolved, limit, what);
}

export function main(argv: string[], io: Io, root = path.resolve(__dirname, "..")): number {
  let folder: string;
  let manifestFile: string | undefined;
  let dryRun = false;
  try {
    const a = parseArgs({
      args: argv,
      options: {
        help: { type: "boolean", short: "h" },
        manifest: { type: "string" },
        "dry-run": { type: "boolean" },
      },
      allowPositionals: true,
      strict: true,
    });
    if (a.values.help) {
      io.out(help());
      return 0;
    }
    if (a.positionals.length !== 1) {
      throw new Error(
        a.positionals.length === 0 ? "give the folder" : `one folder, not ${a.positionals.length}`,
      );
    }
    // npm runs scripts from the project root; paths are meant from where npm was called.
    const cwd = process.env.INIT_CWD ?? process.cwd();
    folder = path.resolve(cwd, a.positionals[0]);
    manifestFile = a.values.manifest && path.resolve(cwd, a.values.manifest);
    dryRun = a.values["dry-run"] === true;
  } catch (e) {
    io.err(`import: ${bounded((e as Error).message, 300)}\n${usage}`);
    return 2;
  }
  if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) {
    io.err(`import: ${folder}: no such folder\n${usage}`);
    return 2;
  }
  const mfile =
    manifestFile ??
    ["manifest.yaml", "manifest.yml", "manifest.json"]
      .map((f) => path.join(folder, f))
      .find((f) => fs.existsSync(f));
  if (mfile === undefined) {
    io.err(`import: ${folder}: no manifest.yaml in it (or give --manifest <file>); see --help\n`);
    return 2;
  }
  try {
    // The folder's own manifest is read as its files are (inside it); one named by --manifest as given.
    const text =
      manifestFile === undefined
        ? readInFolder(folder, path.basename(mfile), MAX_PARAMETERS_BYTES, "a manifest")
        : readInputFile(mfile, MAX_PARAMETERS_BYTES, "a manifest");
    let json: unknown;
    try {
      json = parseYaml(text, { maxAliasCount: 100 });
    } catch (e) {
      // Where, not what: the text at the error could be anything the file holds.
      const err = e as { code?: string; linePos?: { line: number; col: number }[] };
      const pos = err.linePos?.[0];
      throw new Error(
        `${mfile}: not YAML${pos ? ` (line ${pos.line}, column ${pos.col})` : ""}: ${err.code ?? "cannot parse"}`,
      );
    }
    const manifest = readManifest(json, mfile);
    const imported = importRuns(manifest, reader(folder), text);
    for (const w of imported.warnings) io.err(`import: warning: ${w}\n`);
    const { run } = imported;
    const dir = path.join(root, "results", imported.stack, run.runId);
    if (dryRun) {
      io.out(
        `${dir} (not written: --dry-run)\n${Object.keys(run.files)
          .map((f) => `  ${f}\n`)
          .join("")}`,
      );
    } else if (fs.existsSync(dir)) {
      // The id is the files' digest: the same folder is the same import.
      io.out(`${dir} (already imported)\nreport: npm run report -- --run ${run.runId}\n`);
    } else {
      write(path.dirname(dir), dir, run.files);
      io.out(`${dir}\nreport: npm run report -- --run ${run.runId}\n`);
    }
    return 0;
  } catch (e) {
    io.err(`import: ${bounded((e as Error).message, 8000)}\n`);
    return 1;
  }
}

/** The run folder written whole or not at all: into a fresh folder beside it, then renamed. */
function write(stackDir: string, dir: string, files: Record<string, string>): void {
  fs.mkdirSync(stackDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(stackDir, ".import-"));
  try {
    for (const [rel, text] of Object.entries(files)) {
      const file = path.resolve(tmp, rel);
      if (!file.startsWith(tmp + path.sep)) throw new Error(`import: ${rel} is outside ${dir}`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text, { flag: "wx" });
    }
    fs.renameSync(tmp, dir);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2), {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  });
}
