import { z } from "zod";
import { script } from "../components/bash";
import { BenchmarkModule, BenchmarkResult, Metric, ParseError, num, validated } from "./types";

/**
 * byte-unixbench (UnixBench 5.1.3 / 6.0.0), https://github.com/kdlucas/byte-unixbench:
 * Dhrystone, Whetstone, syscall, pipe, context switch, process creation, execl,
 * file copy and shell-script tests, each scored against the "George" baseline
 * (a SPARCstation 20-61 = 10.0) into the System Benchmarks Index, once per
 * number of parallel copies.
 *
 * It is in no package registry, so the user gives the source: a URL with its
 * SHA-256 (the script refuses a tarball that does not match, at every run, a
 * cached one too) or a path on the target. It is built once, and kept, in a
 * directory the script makes root's alone (/var/cache/virt-testbed/unixbench).
 * UnixBench 5.1.3 runs the system tests with at most 16 copies; see unixbench.sh.
 */
const ID = "unixbench";

/** A UnixBench test or group name as Run takes it (USAGE), e.g. "dhry2reg", "index", "C". */
const testName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]*$/, "a UnixBench test name");

export const unixbenchParameters = z
  .object({
    /** Where the source comes from: url + sha256, or path (a tarball or directory on the target). */
    source: z
      .object({
        url: z
          .string()
          .regex(/^(https?|ftp):\/\/\S+$/, "an http(s) or ftp URL")
          .optional(),
        sha256: z
          .string()
          .regex(/^[0-9a-fA-F]{64}$/, "64 hex digits")
          .optional(),
        path: z
          .string()
          .regex(
            /^\/\P{Cc}{0,4094}$/u,
            "an absolute path on the target, without control characters",
          )
          .optional(),
      })
      .strict()
      .refine((s) => !(s.url && s.path), "set source.url or source.path, not both")
      .refine((s) => !s.url || s.sha256, "source.url needs source.sha256")
      .refine((s) => !s.sha256 || s.url, "source.sha256 is the checksum of source.url")
      .default({}),
    /**
     * Passes to run (-c each); unset: UnixBench's default, 1 and the number of
     * CPUs. A pass of the index takes about half an hour and a trial at most 24
     * hours (trialTimeoutMinutes); results tell passes apart by their copies.
     */
    copies: z
      .array(z.number().int().min(1).max(1024))
      .min(1)
      .max(16)
      .refine((c) => new Set(c).size === c.length, "no number of copies twice")
      .optional(),
    /**
     * Iterations per test (-i); unset: UnixBench's default, 10 (3 for the slow
     * tests). A test's iteration takes seconds to a minute: 100 is hours.
     */
    iterations: z.number().int().min(1).max(100).optional(),
    /** Tests or groups to run; "index" is the tests of the System Benchmarks Index. */
    tests: z.array(testName).min(1).default(["index"]),
  })
  .strict();
export type UnixbenchParameters = z.infer<typeof unixbenchParameters>;

export type UnixbenchSource = { url: string; sha256: string } | { path: string };

/** The source to build from, or an error naming the parameters to set. */
export function requireSource(params: UnixbenchParameters): UnixbenchSource {
  const s = params.source;
  if (s.url && s.sha256) return { url: s.url, sha256: s.sha256.toLowerCase() };
  if (s.path) return { path: s.path };
  throw new Error(
    "unixbench: set testbed benchmark parameter source.url and source.sha256, or source.path " +
      "(UnixBench is in no package registry: give the byte-unixbench release tarball's URL " +
      "and SHA-256, or a tarball or directory on the target)",
  );
}

/** Messages of the tests with a baseline in pgms/index.base: each one run must be indexed. */
const baselined = new Set([
  "Dhrystone 2 using register variables",
  "Double-Precision Whetstone",
  "Execl Throughput",
  "File Copy 1024 bufsize 2000 maxblocks",
  "File Copy 256 bufsize 500 maxblocks",
  "File Copy 4096 bufsize 8000 maxblocks",
  "Pipe Throughput",
  "Pipe-based Context Switching",
  "Process Creation",
  "Shell Scripts (8 concurrent)",
  "System Call Overhead",
  "Shell Scripts (1 concurrent)",
  "2D graphics: rectangles",
  "2D graphics: ellipses",
  "2D graphics: aa polygons",
  "2D graphics: text",
  "2D graphics: images and blits",
  "2D graphics: windows",
  "3D graphics: gears",
  "Grep a large file (system's grep)",
  "Exec System Call Overhead",
]);

/**
 * The unit each system test's program prints (looper counts loops per minute,
 * fstime KBps, whetstone MWIPS, the others loops per second): a garbled unit must
 * not relabel a number.
 */
const units: Record<string, string> = {
  "Dhrystone 2 using register variables": "lps",
  "Double-Precision Whetstone": "MWIPS",
  "Execl Throughput": "lps",
  "Pipe Throughput": "lps",
  "Pipe-based Context Switching": "lps",
  "Process Creation": "lps",
  "System Call Overhead": "lps",
  "Shell Scripts (1 concurrent)": "lpm",
  "Shell Scripts (8 concurrent)": "lpm",
  "Shell Scripts (16 concurrent)": "lpm",
};
function unitOf(test: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(units, test)) return units[test];
  return /^File (Copy|Read|Write) \d+ bufsize \d+ maxblocks$/.test(test) ? "KBps" : undefined;
}

const SYSTEM = "System Benchmarks";
const VERSION_RE = /^\s*BYTE UNIX Benchmarks \(Version ([^)\s]+)\)\s*$/;
const PASS_RE = /^(\d+|unknown) CPUs? in system; running (\d+) parallel cop(?:y|ies) of tests$/;
// logResults: "%-40s %12.1f %-5s (%.1f s, %d samples)"
const TEST_RE = /^(\S.*?)\s+(\S+) (\S+)\s+\((\S+) s, (\d+) samples\)$/;
// logIndexCat: header "%-40s %12s %12s %8s", rows "%-40s %12.1f %12.1f %8.1f" ("---" unindexed)
const TABLE_RE = /^(\S.*?) (Index Values|Partial Index)\s+BASELINE\s+RESULT\s+INDEX$/;
const ROW_RE = /^(\S.*?)\s+(\S+)\s+(\S+)\s+(\S+)$/;
const RULE_RE = /^\s+=+$/;
const SCORE_RE = /^(\S.*?) Index Score( \(Partial Only\))?\s+(\S+)$/;

interface Pass {
  cpus: number | undefined;
  copies: number;
  lines: string[];
}

/** Splits the report into passes, one per "running N parallel copies" header. */
function passes(lines: string[]): Pass[] {
  const out: Pass[] = [];
  let current: Pass | undefined;
  for (const line of lines) {
    const m = PASS_RE.exec(line);
    if (m) {
      current = {
        cpus: m[1] === "unknown" ? undefined : +m[1],
        copies: +m[2],
        lines: [],
      };
      out.push(current);
    } else if (current) {
      current.lines.push(line);
    }
  }
  return out;
}

/** Upper and lower bound of a geometric mean of values printed with one decimal (±0.05). */
function geomeanBounds(values: number[]): [number, number] {
  const gm = (xs: number[]) =>
    xs.some((x) => x <= 0) ? 0 : Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
  return [gm(values.map((v) => v - 0.05)), gm(values.map((v) => v + 0.05))];
}

/** UnixBench prints every number with one decimal ("%.1f"): anything else is garbled or cut. */
function decimal(text: string | undefined, what: string): number {
  if (text === undefined || !/^\d+\.\d$/.test(text)) {
    throw new ParseError(
      ID,
      `${what}: expected a number with one decimal, got ${JSON.stringify(text)}`,
    );
  }
  return num(ID, text, what);
}

function parsePass(pass: Pass, metrics: Metric[]): void {
  const where = `pass with ${pass.copies} ${pass.copies === 1 ? "copy" : "copies"}`;
  const fail = (msg: string): never => {
    throw new ParseError(ID, `${where}: ${msg}`);
  };
  const copies = String(pass.copies);
  const ls = pass.lines;
  let i = 0;
  if (ls[i] !== "") fail("expected a blank line after the pass header");
  i++;

  // The per-test results, up to a blank line.
  const results = new Map<string, number>();
  for (; i < ls.length && ls[i] !== ""; i++) {
    const m = TEST_RE.exec(ls[i]);
    if (!m) fail(`cannot read test line ${JSON.stringify(ls[i])}`);
    const [, test, value, unit, seconds, samples] = m!;
    if (results.has(test)) fail(`test ${JSON.stringify(test)} reported twice`);
    const v = decimal(value, `${where}: ${test}`);
    decimal(seconds, `${where}: ${test} time`);
    if (+samples < 1) fail(`${test}: no samples`);
    const want = unitOf(test);
    if (want !== undefined && unit !== want) fail(`${test}: unit ${unit}, expected ${want}`);
    results.set(test, v);
    metrics.push({ name: "result", value: v, unit, direction: "higher", labels: { test, copies } });
  }
  if (i >= ls.length) fail("truncated in the test results");
  if (results.size === 0) {
    fail(
      "no test results: UnixBench 5.1.3 runs the system tests with at most 16 copies " +
        "(use 6.0.0, patch Run's maxCopies, or keep copies at 16 or below)",
    );
  }
  i++;

  // The index tables, one per category with indexed results.
  const indexed = new Set<string>();
  while (i < ls.length && ls[i] !== "") {
    const head = TABLE_RE.exec(ls[i]);
    if (!head) break;
    const category = head[1];
    const partial = head[2] === "Partial Index";
    const labels = (extra: Record<string, string>) => ({
      ...extra,
      copies,
      ...(category === SYSTEM ? {} : { category }),
      ...(partial ? { partial: "true" } : {}),
    });
    const values: number[] = [];
    for (i++; i < ls.length && !RULE_RE.test(ls[i]); i++) {
      const m = ROW_RE.exec(ls[i]);
      if (!m) fail(`cannot read index line ${JSON.stringify(ls[i])}`);
      const [, test, baseline, result, index] = m!;
      if (!results.has(test)) fail(`index line for ${JSON.stringify(test)}, which has no result`);
      if (decimal(result, `${where}: ${test} index result`) !== results.get(test)) {
        fail(`${test}: index table result ${result} differs from the test result`);
      }
      if (baseline === "---" && index === "---") continue;
      decimal(baseline, `${where}: ${test} baseline`);
      const v = decimal(index, `${where}: ${test} index`);
      values.push(v);
      indexed.add(test);
      metrics.push({
        name: "index",
        value: v,
        unit: "index",
        direction: "higher",
        labels: labels({ test }),
      });
    }
    if (i >= ls.length) fail(`truncated in the ${category} index table`);
    i++;
    const s = SCORE_RE.exec(ls[i] ?? "");
    if (!s || s[1] !== category) fail(`expected the ${category} Index Score line`);
    if (Boolean(s![2]) !== partial) fail(`${category}: partial header and score disagree`);
    const score = decimal(s![3], `${where}: ${category} index score`);
    if (values.length === 0) fail(`${category}: an index score without index values`);
    // Run leaves ratios below 1e-6 (printed 0.0) out of the mean's sum: no check then.
    const [lo, hi] = geomeanBounds(values);
    if (!values.includes(0) && (score < lo - 0.05 || score > hi + 0.05)) {
      fail(`${category}: index score ${score} is not the geometric mean of the index values`);
    }
    metrics.push({
      name: "index_score",
      value: score,
      unit: "index",
      direction: "higher",
      labels: labels({}),
    });
    i++;
    if (i < ls.length && ls[i] !== "") fail(`unexpected line after the ${category} index score`);
    i++;
  }
  for (const test of results.keys()) {
    if (baselined.has(test) && !indexed.has(test)) fail(`${test} has a baseline but no index`);
  }
  // Between passes: the separator and the "Benchmark Run:" line; at the end, nothing.
  for (; i < ls.length; i++) {
    if (!/^(-+|Benchmark Run: .*|)$/.test(ls[i])) {
      fail(`unexpected line ${JSON.stringify(ls[i])}`);
    }
  }
}

/** Parses UnixBench's text report (results/<host>-<date>-NN) into metrics. */
export function parseUnixbench(raw: string, params: UnixbenchParameters): BenchmarkResult {
  // Every number has one decimal, so a line cut short is never read as a smaller number.
  const lines = raw.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const header = lines
    .slice(0, 5)
    .map((l) => VERSION_RE.exec(l))
    .find(Boolean);
  if (!header) {
    throw new ParseError(ID, 'no "BYTE UNIX Benchmarks (Version ...)" header: not a report');
  }
  const ps = passes(lines);
  if (ps.length === 0) throw new ParseError(ID, "no benchmark run in the report");
  const cpus = ps[0].cpus;
  const expected = params.copies ?? (cpus !== undefined && cpus > 1 ? [1, cpus] : [1]);
  const got = ps.map((p) => p.copies);
  if (got.join(",") !== expected.join(",")) {
    throw new ParseError(
      ID,
      `passes with copies ${got.join(", ")}, expected ${expected.join(", ")}: report truncated?`,
    );
  }
  const metrics: Metric[] = [];
  for (const p of ps) parsePass(p, metrics);
  return validated(ID, { benchmark: ID, toolVersion: `UnixBench ${header[1]}`, metrics });
}

/**
 * Parses a UnixBench report as a run by hand leaves it: the passes it has
 * (numbers of copies) are the run it describes, in place of parameters.
 */
export function parseUnixbenchPlain(raw: string): {
  result: BenchmarkResult;
  ran: Record<string, unknown>;
} {
  const lines = raw.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const copies = passes(lines).map((p) => p.copies);
  if (copies.length === 0) throw new ParseError(ID, "no benchmark run in the report");
  if (new Set(copies).size !== copies.length || copies.length > 16) {
    throw new ParseError(ID, `passes with copies ${copies.join(", ")}: not one report`);
  }
  const result = parseUnixbench(raw, unixbenchParameters.parse({ copies }));
  return { result, ran: { copies, version: result.toolVersion } };
}

export const unixbench: BenchmarkModule<typeof unixbenchParameters> = {
  id: ID,
  description:
    "byte-unixbench: Dhrystone, Whetstone, syscall, pipe, context switch, spawn, execl, " +
    "file copy and shell tests, indexed against the George baseline, per number of copies",
  packages: ["build-essential", "make", "perl", "curl", "ca-certificates"],
  parameters: unixbenchParameters,
  plain: parseUnixbenchPlain,
  quick: { tests: ["dhry2reg", "whetstone-double", "syscall"], iterations: 1 },
  script: script(__dirname, "safe-dir.sh") + script(__dirname, "unixbench.sh"),
  environment(params) {
    const source = requireSource(params);
    return {
      UB_URL: "url" in source ? source.url : "",
      UB_SHA256: "url" in source ? source.sha256 : "",
      UB_PATH: "path" in source ? source.path : "",
      UB_COPIES: params.copies?.join(" ") ?? "",
      UB_ITERATIONS: params.iterations?.toString() ?? "",
      UB_TESTS: params.tests.join(" "),
    };
  },
  parse: parseUnixbench,
  mainMetrics: ["index_score"],
};
