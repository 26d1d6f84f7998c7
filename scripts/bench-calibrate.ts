// npm run bench:calibrate -- [--quotas 100,95,90] [--aa 2] [--benchmark openssl-speed]
//                            [--profile quick] [--repeats N] [--cpu 0] [--keep]
//
// Calibration: a benchmark of the tool itself, against effects whose true size
// is known. A throwaway stack (its own backend, test/helpers/stack.ts) on this
// machine with bare metal and LXC containers:
//
//  - q100, q95, q90, ...: one container per CFS quota (cpuQuotaPercent), all
//    pinned to the same single CPU. A container held to q% of that CPU gets
//    q% of the CPU time q100 gets, so a CPU-bound benchmark that counts work
//    per wall-clock second (openssl speed -elapsed) does q% of q100's work:
//    the tool must find each qN "slower" than q100, with q inside its interval.
//  - aa1, aa2: two containers alike (no quota, the same pin): the tool must
//    find "no difference" on at least 95% of the metrics.
//
// The comparisons are the tool's own (components/results/stats.ts compare and
// summarize, family = its headline metrics: comparisonFamily), on the trials the stack's
// `results` output holds; the benchmark runs with the tool's default repeats
// unless --repeats is given. Prints a table and PASS/FAIL per criterion (and
// exits 0 either way: the figures are the product), writes them with the raw
// results to results/bench-calibrate/<timestamp>/, then destroys the stack
// (--keep leaves it). Pure analysis: scripts/calibrate-analysis.ts.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import { stringify } from "yaml";
import { benchmarks, notRunnableYet } from "../benchmarks";
import { guestObjectName } from "../components/guests/naming";
import type { Results } from "../components/results/schema";
import { busyRange } from "../components/results/summarize";
import { root, TestStack } from "../test/helpers/stack";
import {
  aaGuests,
  analyzeCalibration,
  Calibration,
  calibrationConfig,
  CalibrationPlan,
  checkPlan,
  outcomesOf,
  quotaGuest,
  referenceQuota,
  Row,
} from "./calibrate-analysis";
import { textTable } from "./figures";

const me = "bench-calibrate";
const say = (s: string) => process.stderr.write(`${me}: ${s}\n`);
function usage(message: string): never {
  process.stderr.write(
    `${me}: ${message}\n` +
      "usage: npm run bench:calibrate -- [--quotas 100,95,90] [--aa 2] [--benchmark openssl-speed]\n" +
      "                                  [--profile quick|full] [--repeats N] [--cpu N] [--keep]\n",
  );
  process.exit(2);
}

// ---- arguments ----

function args() {
  try {
    return parseArgs({
      options: {
        quotas: { type: "string", default: "100,95,90" },
        aa: { type: "string", default: "2" },
        benchmark: { type: "string", default: "openssl-speed" },
        profile: { type: "string", default: "quick" },
        repeats: { type: "string" },
        cpu: { type: "string", default: "0" },
        keep: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    return usage((e as Error).message);
  }
}

/** A whole number from `min` to `max`, or a message naming the flag. */
function whole(flag: string, text: string, min: number, max: number, what: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < min || Number(text) > max) {
    usage(
      `--${flag}: ${JSON.stringify(text)} is not ${what} (a whole number from ${min} to ${max})`,
    );
  }
  return Number(text);
}

const values = args();
const quotaList = values.quotas
  .split(",")
  .map((q) =>
    whole("quotas", q, 1, referenceQuota, "a percent of one CPU, as in --quotas 100,95,90"),
  );
// q100 is the reference every other quota is measured against: always run.
const quotas = [...new Set([referenceQuota, ...quotaList])].sort((a, b) => b - a);
if (quotas.length < 2) usage(`--quotas: no quota below ${referenceQuota}, nothing to find`);
if (new Set(quotaList).size !== quotaList.length)
  usage(`--quotas: a quota twice in ${values.quotas}`);
const aaCount = whole("aa", values.aa, 0, 8, "a count of A/A guests, 0 for none or 2 to 8");
if (aaCount === 1) usage("--aa: 1 is not an A/A comparison: 0 for none, else 2 to 8");
const benchmarkId = values.benchmark;
const bench = Object.prototype.hasOwnProperty.call(benchmarks, benchmarkId)
  ? benchmarks[benchmarkId]
  : undefined;
if (!bench)
  usage(
    `--benchmark: unknown benchmark ${JSON.stringify(benchmarkId)}: one of ${Object.keys(benchmarks).join(", ")}`,
  );
if (notRunnableYet[benchmarkId])
  usage(`--benchmark: ${benchmarkId}: ${notRunnableYet[benchmarkId]}`);
if (bench.pair) {
  usage(
    `--benchmark: ${benchmarkId} is a pair benchmark (a client and a server): the calibration needs one ` +
      "whose work per wall-clock second follows the CPU time it gets, e.g. openssl-speed",
  );
}
if (values.profile !== "quick" && values.profile !== "full") {
  usage(`--profile: ${JSON.stringify(values.profile)} is not quick or full`);
}
const profile = values.profile;
// The config's range (components/config.ts benchmarkSchema).
const repeats =
  values.repeats === undefined
    ? undefined
    : whole("repeats", values.repeats, 1, 100, "a number of trials");
const cpuCount = os.cpus().length;
const cpu = whole(
  "cpu",
  values.cpu,
  0,
  cpuCount - 1,
  `a CPU of this machine, which has ${cpuCount}`,
);
const plan: CalibrationPlan = { quotas, aa: aaGuests(aaCount), benchmark: benchmarkId };
try {
  checkPlan(plan);
} catch (e) {
  usage(`--quotas/--aa: ${(e as Error).message}`);
}
if (process.getuid?.() !== 0) {
  process.stderr.write(`${me}: run as root (the testbed makes containers and cgroups)\n`);
  process.exit(2);
}

// ---- the stack ----

const stackName = "calibrate";
const server = "local";

const stackConfig = () =>
  stringify(calibrationConfig({ server, plan, cpu, benchmark: benchmarkId, profile, repeats }));

// ---- printing ----

const pct = (x: number | null) => (x === null ? "-" : x.toFixed(1));
const ci = (r: Row) => (r.ci ? `${r.ci.low.toFixed(1)}-${r.ci.high.toFixed(1)}` : "-");
const share = (n: number, d: number) =>
  d === 0 ? "0/0" : `${n}/${d} (${((100 * n) / d).toFixed(0)}%)`;
const passFail = (b: boolean) => (b ? "PASS" : "FAIL");

function report(c: Calibration, wallSeconds: number, upStatus: number | null): string {
  const out: string[] = [];
  out.push(
    `calibration: ${benchmarkId} (${profile}${repeats === undefined ? ", the tool's default repeats" : `, ${repeats} repeats`}), ` +
      `containers pinned to CPU ${cpu}; percent of the reference, oriented so that below 100 is slower; ` +
      `CI: the tool's interval (95% family-wise over the metrics of the benchmark)`,
    "",
    textTable(
      [
        ["metric", "comparison", "expected %", "measured %", "CI %", "verdict", "pass"],
        ...c.rows.map((r) => [
          r.metric,
          r.comparison,
          String(r.expectedPercent),
          pct(r.measuredPercent),
          ci(r),
          r.verdict + (r.note ? ` (${r.note})` : ""),
          r.pass ? "yes" : "NO",
        ]),
      ],
      "left",
    ),
    "",
  );
  for (const q of c.quotas) {
    out.push(
      `${q.comparison} (true value ${q.quota}%): found slower ${share(q.found, q.total)}, ` +
        `${q.quota} in the interval ${share(q.covered, q.total)}, both ${share(q.passed, q.total)}`,
    );
  }
  out.push(
    "",
    `${passFail(c.criteria.quota.pass)} (a) ${c.criteria.quota.name}: ${c.criteria.quota.detail}`,
    c.criteria.aa
      ? `${passFail(c.criteria.aa.pass)} (b) ${c.criteria.aa.name}: ${c.criteria.aa.detail}` +
          (c.criteria.aa.total > 0 ? ` = ${(100 * c.criteria.aa.fraction).toFixed(1)}%` : "")
      : "(b) A/A: not run (--aa 0)",
    "",
    `pulumi up: ${wallSeconds.toFixed(1)} s wall` +
      (upStatus === 0 ? "" : ` (exited ${upStatus}: some steps failed, see up.log)`),
    ...(c.problems.length > 0 ? ["", "problems:", ...c.problems.map((p) => `  ${p}`)] : []),
  );
  return out.join("\n") + "\n";
}

/** The containers as the stack describes them: the quota asked for, and the kernel's cpu.max read back. */
function containerLines(testbed: unknown): string[] {
  const guests =
    (testbed as Record<string, { platforms?: { lxc?: { guests?: Record<string, unknown>[] } } }>)[
      server
    ]?.platforms?.lxc?.guests ?? [];
  return guests.map(
    (g) =>
      `  ${String(g.name)}: cpus ${String(g.cpus)}, cpuQuotaPercent ${String(g.cpuQuotaPercent)}` +
      (g.cpuMax ? `, cpu quota/period read back ${String(g.cpuMax)} us` : ""),
  );
}

// ---- main ----

async function main(): Promise<void> {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const outDir = path.join(root, "results", "bench-calibrate", stamp);
  fs.mkdirSync(outDir, { recursive: true });
  const s = new TestStack(stackName, stackConfig());
  fs.copyFileSync(s.configFile, path.join(outDir, `Pulumi.${stackName}.yaml`));
  let created = false;
  try {
    s.pulumi("stack", "init");
    created = true;
    const guests = [...quotas.map(quotaGuest), ...plan.aa];
    say(
      `pulumi up: bare metal and ${guests.length} containers (${guests.join(", ")}) pinned to CPU ${cpu}, ` +
        `${benchmarkId} (${profile}) on each`,
    );
    const loadBefore = os.loadavg();
    const t0 = process.hrtime.bigint();
    const up = s.run("up", "--yes", "--continue-on-error");
    const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    fs.writeFileSync(path.join(outDir, "up.log"), `${up.stdout}\n${up.stderr}`);
    say(`   ${wallSeconds.toFixed(1)} s, exit ${up.status}`);

    const output = (name: string): unknown => {
      const r = s.run("stack", "output", name, "--json");
      return r.status === 0 ? (JSON.parse(r.stdout) as unknown) : undefined;
    };
    const results = output("results") as Results | undefined;
    const testbed = output("testbed");
    const archive = output("archive");
    fs.writeFileSync(
      path.join(outDir, "results.json"),
      JSON.stringify({ results, comparison: output("comparison"), testbed, archive }, null, 2) +
        "\n",
    );
    if (results === undefined) {
      throw new Error(
        `no results output (pulumi up exited ${up.status}); see ${path.relative(root, outDir)}/up.log:\n` +
          `${up.stdout.slice(-3000)}\n${up.stderr.slice(-3000)}`,
      );
    }
    const objectNames = Object.fromEntries(
      guests.map((g) => [g, guestObjectName(stackName, g, 0, 1)]),
    );
    const outcomes = outcomesOf(results, server, benchmarkId, objectNames);
    const c = analyzeCalibration(outcomes, plan);
    // How many trials each took (with the tool's precision rule, not the same for each).
    const trialLines = guests.map((g) => {
      const o = outcomes[g];
      if (!o) return `  ${g}: no result`;
      const busy = busyRange(o.trials);
      const other = busy ? `, other work just before: ${busy}` : "";
      return `  ${g}: ${o.trials.length} trials, ${o.status}${o.stopped ? ` (${o.stopped})` : ""}${other}`;
    });
    const text =
      report(c, wallSeconds, up.status) +
      ["", "containers:", ...containerLines(testbed), "", "trials:", ...trialLines].join("\n") +
      "\n" +
      `load average before/after the up: ${loadBefore.map((x) => x.toFixed(2)).join(" ")} / ` +
      `${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(" ")} (the true values hold only if CPU ${cpu} had nothing else to run)\n`;
    process.stdout.write(text);
    fs.writeFileSync(path.join(outDir, "calibration.txt"), text);
    fs.writeFileSync(
      path.join(outDir, "calibration.json"),
      JSON.stringify(
        {
          date: new Date().toISOString(),
          node: process.version,
          cpus: cpuCount,
          loadAverage: { before: loadBefore, after: os.loadavg() },
          benchmark: benchmarkId,
          profile,
          repeats: repeats ?? "the tool's default",
          pinnedCpu: cpu,
          plan,
          objectNames,
          up: { wallSeconds, exitCode: up.status },
          criteria: c.criteria,
          quotas: c.quotas,
          problems: c.problems,
          rows: c.rows,
        },
        null,
        2,
      ) + "\n",
    );
    say(`written: ${path.relative(root, outDir)}/calibration.{txt,json}, results.json, up.log`);
  } finally {
    s.finish({ created, keep: values.keep ?? false, say });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${me}: ${(e as Error).message}\n`);
  process.exit(1);
});
