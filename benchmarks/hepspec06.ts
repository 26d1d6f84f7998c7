import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { BenchmarkModule, BenchmarkResult, Metric, ParseError, num, validated } from "./types";

/**
 * HEP-SPEC06 (HS06), the HEPiX benchmark of WLCG: the C++ benchmarks of SPEC
 * CPU2006 (the all_cpp set), one independent copy per logical CPU run at once,
 * GCC with -O2 -pthread -fPIC -m32; the score is the sum over the copies of
 * each copy's geometric mean of the 7 SPEC ratios. The procedure is in
 * hepspec06.sh. SPEC CPU2006 is licensed: the user points spec2006Path at
 * their own installation on the target.
 */
const ID = "hepspec06";

/** The all_cpp set, by the suite whose result file reports it. */
export const allCpp = {
  CFP2006: ["444.namd", "447.dealII", "450.soplex", "453.povray"],
  CINT2006: ["471.omnetpp", "473.astar", "483.xalancbmk"],
} as const;
type Suite = keyof typeof allCpp;

export const hepspec06Parameters = z
  .object({
    /** Absolute path of the SPEC CPU2006 installation (the directory with shrc) on the target. */
    spec2006Path: z
      .string()
      .regex(/^\/\P{Cc}{0,4094}$/u, "an absolute path on the target, without control characters")
      .optional(),
    /** Config file in <spec2006Path>/config; HEPiX's is linux32-gcc_cern.cfg (-O2 -pthread -fPIC -m32). */
    config: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, "a file name in <spec2006Path>/config")
      .default("linux32-gcc_cern"),
    /**
     * Concurrent copies; unset: one per logical CPU of the target, as HEPiX
     * prescribes. Each copy needs about 1 GiB: 1024 is past any one machine.
     */
    copies: z.number().int().min(1).max(1024).optional(),
    /**
     * Iterations per benchmark; HEPiX's procedure uses runspec's default of 3 (the
     * median counts). Each takes hours, and a trial at most 24 (trialTimeoutMinutes).
     */
    iterations: z.number().int().min(1).max(10).default(3),
  })
  .strict();
export type Hepspec06Parameters = z.infer<typeof hepspec06Parameters>;

/** The installation's path, or an error naming the parameter to set. */
export function requireSpec2006Path(params: Hepspec06Parameters): string {
  if (params.spec2006Path) return params.spec2006Path;
  throw new Error(
    "hepspec06: set testbed benchmark parameter spec2006Path to the absolute path of your " +
      "SPEC CPU2006 installation on the target (SPEC CPU2006 is licensed and not installed " +
      "by the testbed)",
  );
}

const HEAD_RE = /^@@@ hepspec06 version (\S+) copies (\d+)$/;
const FILE_RE = /^@@@ copy (\d+) (CFP2006|CINT2006)\.(\d+)\.ref\.txt$/;
const FOOTER_RE = /^Generated on .+ by (SPEC CPU2006 ASCII formatter v\S+)\s*$/m;
const BENCH_RE = /^\d{3}\.[A-Za-z0-9_]+\s/;

/** The selected ratio of each all_cpp benchmark in one CFP2006 or CINT2006 .txt result file. */
function selectedRatios(text: string, suite: Suite, where: string): Map<string, number> {
  const fail = (msg: string): never => {
    throw new ParseError(ID, `${where}: ${msg}`);
  };
  const summary = /^\s*SPEC(?:\(R\))? (CINT2006|CFP2006) Summary\s*$/m.exec(text);
  if (!summary) fail(`no "SPEC ${suite} Summary" header: not a SPEC CPU2006 result`);
  if (summary![1] !== suite) fail(`the file is the ${summary![1]} summary`);
  if (!FOOTER_RE.test(text))
    fail('no "Generated on ... by SPEC CPU2006 ASCII formatter": truncated');

  const benches: readonly string[] = allCpp[suite];
  for (const line of text.split("\n")) {
    // The INVALID RUN box lists runs that failed validation; a --noreportable run
    // is always "invalid" for the reasons HS06 accepts (see hepspec06.sh).
    const bad = /^#\s+(\d{3}\.\S+)\s+(?:\(base\)|base) had invalid runs/.exec(line);
    if (bad && benches.includes(bad[1])) fail(`${bad[1]} had invalid runs`);
  }

  // The selected results follow the full table's row of 78 '='.
  const lines = text.split("\n").map((l) => l.trimEnd());
  const rule = lines.indexOf("=".repeat(78));
  if (rule < 0) fail("no results table (the row of '=' before the selected results)");
  const rows = new Map<string, string>();
  for (let i = rule + 1; i < lines.length && BENCH_RE.test(lines[i]); i++) {
    const name = lines[i].split(/\s+/)[0];
    if (rows.has(name)) fail(`${name} listed twice among the selected results`);
    rows.set(name, lines[i]);
  }

  // The full table above (every iteration, the median marked "*") must hold each
  // selected row as its starred one: a row out of place is not taken for the median.
  const dashes = lines.slice(0, rule).findIndex((l) => /^-{14} -{6}/.test(l));
  const starred = new Map<string, string>();
  if (dashes < 0) fail("no full results table (the row of '-' before it)");
  for (const line of lines.slice(dashes + 1, rule)) {
    const t = line.trim().split(/\s+/);
    if (!BENCH_RE.test(line) || t[t.length - 1] !== "*") continue;
    if (starred.has(t[0])) fail(`${t[0]}: two results marked "*" in the full table`);
    starred.set(t[0], t.join(" "));
  }

  const ratios = new Map<string, number>();
  for (const bench of benches) {
    const row = rows.get(bench);
    if (row === undefined) fail(`${bench} missing from the selected results`);
    const t = row!.split(/\s+/);
    const status = t[t.length - 1];
    if (status !== "*") {
      fail(`${bench}: status ${status}, no selected ratio (NR: not run; RE, CE, VE: errors)`);
    }
    if (t.length !== 5) fail(`${bench}: cannot read ${JSON.stringify(row)}`);
    if (starred.get(bench) !== row!.trim().split(/\s+/).join(" ")) {
      fail(`${bench}: the selected result is not the full table's median (the row marked "*")`);
    }
    const ref = num(ID, t[1], `${where}: ${bench} reference time`);
    const seconds = num(ID, t[2], `${where}: ${bench} run time`);
    const ratio = num(ID, t[3], `${where}: ${bench} ratio`);
    if (!(ref > 0 && seconds > 0 && ratio > 0)) fail(`${bench}: non-positive time or ratio`);
    // The ratio is reference time / run time; both are printed rounded to about 3 digits.
    if (Math.abs(ratio - ref / seconds) > 0.02 * ratio) {
      fail(`${bench}: ratio ${ratio} is not ${ref} / ${seconds}`);
    }
    ratios.set(bench, ratio);
  }
  return ratios;
}

/** Geometric mean of positive numbers. */
export function geometricMean(xs: number[]): number {
  return Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
}

/** Parses hepspec06.sh's output (each copy's CFP2006 and CINT2006 .txt result) into metrics. */
export function parseHepspec06(raw: string, params: Hepspec06Parameters): BenchmarkResult {
  const lines = raw.split("\n");
  const head = HEAD_RE.exec(lines[0] ?? "");
  if (!head) throw new ParseError(ID, 'no "@@@ hepspec06" header: not the output of hepspec06.sh');
  const copies = +head[2];
  if (params.copies !== undefined && copies !== params.copies) {
    throw new ParseError(ID, `ran ${copies} copies, expected ${params.copies}`);
  }
  const end = lines.indexOf("@@@ end");
  if (end < 0) throw new ParseError(ID, 'no "@@@ end": output truncated');
  if (lines.slice(end + 1).some((l) => l !== "")) {
    throw new ParseError(ID, 'text after "@@@ end"');
  }

  // "@@@ copy N SUITE.NNN.ref.txt" blocks.
  const files = new Map<string, { name: string; run: string; text: string[] }>();
  let current: string[] | undefined;
  for (let i = 1; i < end; i++) {
    const m = FILE_RE.exec(lines[i]);
    if (m) {
      const key = `${m[1]} ${m[2]}`;
      if (files.has(key)) throw new ParseError(ID, `copy ${m[1]}: two ${m[2]} results`);
      current = [];
      files.set(key, { name: `${m[2]}.${m[3]}.ref.txt`, run: m[3], text: current });
    } else if (current) {
      current.push(lines[i]);
    } else {
      throw new ParseError(ID, `unexpected line ${JSON.stringify(lines[i])}`);
    }
  }
  if (files.size !== 2 * copies) {
    throw new ParseError(ID, `${files.size} result files for ${copies} copies, not ${2 * copies}`);
  }

  // A copy's two files come from one runspec run, so they share its number, and no
  // two copies share one: a file under another copy's header would mix two copies.
  const runs = new Map<string, number>();
  for (let copy = 1; copy <= copies; copy++) {
    const [fp, int] = [files.get(`${copy} CFP2006`), files.get(`${copy} CINT2006`)];
    if (fp && int && fp.run !== int.run) {
      throw new ParseError(ID, `copy ${copy}: ${fp.name} and ${int.name} are from two runs`);
    }
    const other = fp && runs.get(fp.run);
    if (fp && other !== undefined) {
      throw new ParseError(ID, `copies ${other} and ${copy}: the same run ${fp.run}`);
    }
    if (fp) runs.set(fp.run, copy);
  }

  const metrics: Metric[] = [];
  let total = 0;
  let formatter: string | undefined;
  for (let copy = 1; copy <= copies; copy++) {
    const ratios: number[] = [];
    for (const suite of Object.keys(allCpp) as Suite[]) {
      const file = files.get(`${copy} ${suite}`);
      if (!file) throw new ParseError(ID, `copy ${copy}: no ${suite} result`);
      const text = file.text.join("\n");
      formatter ??= FOOTER_RE.exec(text)?.[1];
      const where = `copy ${copy} (${file.name})`;
      for (const [benchmark, value] of selectedRatios(text, suite, where)) {
        ratios.push(value);
        metrics.push({
          name: "ratio",
          value,
          unit: "ratio",
          direction: "higher",
          labels: { benchmark, copy: String(copy) },
        });
      }
    }
    const score = geometricMean(ratios);
    total += score;
    metrics.push({
      name: "copy_geomean",
      value: score,
      unit: "HS06",
      direction: "higher",
      labels: { copy: String(copy) },
    });
  }
  metrics.push({
    name: "hepspec06",
    value: total,
    unit: "HS06",
    direction: "higher",
    labels: { copies: String(copies) },
  });
  const version = head[1] === "unknown" ? `(${formatter})` : head[1];
  return validated(ID, { benchmark: ID, toolVersion: `SPEC CPU2006 ${version}`, metrics });
}

export const hepspec06: BenchmarkModule<typeof hepspec06Parameters> = {
  id: ID,
  description:
    "HEP-SPEC06: SPEC CPU2006 all_cpp (7 C++ benchmarks), one copy per CPU at once, " +
    "GCC -O2 -pthread -fPIC -m32; sum over copies of the geometric mean of the ratios",
  // -m32 needs the 32-bit multilib of gcc and g++.
  packages: ["build-essential", "gcc-multilib", "g++-multilib"],
  parameters: hepspec06Parameters,
  // One iteration instead of three: about an hour rather than three (the ref inputs cannot shrink).
  quick: { iterations: 1 },
  script: fs.readFileSync(path.join(__dirname, "hepspec06.sh"), "utf8"),
  environment(params) {
    return {
      SPEC2006_PATH: requireSpec2006Path(params),
      HS06_CONFIG: params.config,
      HS06_COPIES: params.copies?.toString() ?? "",
      HS06_ITERATIONS: String(params.iterations),
    };
  },
  parse: parseHepspec06,
  mainMetrics: ["hepspec06"],
};
