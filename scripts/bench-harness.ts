// npm run bench:harness -- [--rounds 1] [--keep]
//
// The harness's own cost on this machine, against doing it by hand; whether
// measuring through it changes what is measured; and whether a trial's place
// in its interleaved round shifts it. A benchmark of the harness, not a test:
// it prints figures and asserts nothing.
//
//  1. `pulumi up` of the default stack (Pulumi.testbed.yaml) as a throwaway
//     stack: stands the testbed up and runs its benchmarks. The time spent in
//     guest boots and inside benchmark processes comes from the steps' records.
//  2. A second `pulumi up` with nothing changed: how long, and whether it ran
//     any benchmark (every run's start time must stay as it was).
//  3. Per round: the same benchmarks by a plain shell script, and again
//     through `pulumi up --replace` of every benchmark run (the two take turns
//     going first, round by round). The plain script replays the benchmark
//     steps the harness ran, in its order, as the Command provider runs them:
//     each step's own script and environment, on this machine or over ssh as
//     its connection says. An interleaved run (one step per server and
//     benchmark, components/measure/interleaved.ts) runs its script once per
//     round it ran, given the round's number and order (VTB_ROUND,
//     VTB_ROUND_ORDER), each round to the step's timeout, the rounds' outputs
//     one after another; a run alone (a target the server cannot enter, named
//     `pairs`) runs once. Wall time of each side, time inside the benchmark
//     processes (the trials' own clocks), their ratio.
//  4. Fidelity, per target and benchmark: both sides' outputs are read the same
//     way (an interleaved run's target by target, targetTrials), and each
//     metric's median through the harness is set against the plain script's,
//     with the trials' spread (max - min, the larger of the two); over several
//     rounds, the trials pooled and the sign of each round's difference
//     counted (scripts/fidelity.ts judge, pool).
//  5. Order effect: the targets of an interleaved run take turns, so each
//     trial has a position in its round (its unit's place in the round's
//     order, 0 first). For each benchmark's headline metrics
//     (benchmarks/headline.ts), each trial's value relative to its target's
//     mean on its side, grouped by position: per target, and pooled over the
//     targets, with n and a standard error (scripts/fidelity.ts orderEffects);
//     and over every headline metric, oriented so that + is better. Earlier
//     runs of this harness found whichever side (plain or harness) ran second
//     ~5-6% slower inside the benchmark processes: this says whether running
//     earlier or later within an interleaved round still shifts a result. A
//     run alone has no positions.
//
// Writes the figures (figures.txt, figures.json: the order effect pooled over
// the rounds), the plain script and its outputs, and each round as it is
// measured (rounds.json: its fidelity, each side's order effect and the values
// it is computed from), to results/bench-harness/<timestamp>/, then destroys
// the stack (--keep leaves it).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import { benchmarks } from "../benchmarks";
import { mainMetrics, Pick1 } from "../benchmarks/headline";
import type { BenchmarkModule } from "../benchmarks/types";
import { exportLines } from "../components/command";
import type { Rounds } from "../components/command-provider";
import { targetTrials } from "../components/measure/interleaved-output";
import { envNames } from "../components/measure/protocol";
import { benchmarkStep, BenchmarkStep } from "../components/measure/step-kind";
import { parseTrials, secondsInTrials, Trial } from "../components/measure/trials";
import { median } from "../components/results/stats";
import { metricKey, outcome } from "../components/results/summarize";
import { defaultStackConfig, root, TestStack } from "../test/helpers/stack";
import {
  AtPosition,
  judge,
  Judged,
  Measured,
  orderEffects,
  orderOverall,
  Placed,
  pool,
} from "./fidelity";
import { resourceSteps, textTable } from "./figures";

const stackName = "harness";
// As `npm run testbed` runs it: with its preview.
const up = ["up", "--yes", "--continue-on-error"];
const sshPort = 22700;
const say = (s: string) => process.stderr.write(`bench-harness: ${s}\n`);

// ---- the stack's state ----

/** A Command's record, as `stack export --show-secrets` shows it (command-provider.ts). */
export interface Step {
  urn: string;
  step: string;
  create: string;
  /** Shell functions run before `create` (host steps; no benchmark step has them yet). */
  prelude?: string;
  environment?: Record<string, string>;
  connection?: {
    host: string;
    port: number;
    user: string;
    /** Empty: ssh-agent's keys. */
    privateKey: string;
    connectTimeoutSeconds?: number;
    jump?: unknown;
  };
  timeoutSeconds: number;
  startedAt: string;
  durationSeconds: number;
  stdout: string;
  /** An interleaved run's: its rounds' orders and targets, and how many rounds ran. */
  rounds?: Rounds;
  roundsRun?: number;
  stopped?: string;
}

/** `stack export --show-secrets` gives a secret as {<sig>, plaintext: "<json>"}. */
function reveal(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reveal);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (typeof o.plaintext === "string") return reveal(JSON.parse(o.plaintext));
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, reveal(x)]));
  }
  return v;
}

function steps(s: TestStack): Step[] {
  const resources = s.resources(true);
  return resources
    .filter((r) => r.type === "pulumi-nodejs:dynamic/testbed:Command")
    .map((r) => {
      const o = reveal(r.outputs) as Omit<Step, "urn">;
      return { ...o, urn: r.urn };
    });
}

// A benchmark run is the Command "<server>-<benchmark>-trials" (interleaved), or
// "<server>-<platform>-<guest>-<benchmark>-trials" (a run alone).
const isBenchmark = (s: Step) => s.urn.endsWith("-trials");
const isBoot = (s: Step) => /boot until SSH answers$|: lxc guest [^:]+$/.test(s.step);

export { benchmarkStep };
export type { BenchmarkStep };

/** One benchmark's trials on one target, from one side's output. */
export interface TargetRun {
  target: string;
  benchmark: string;
  trials: Trial[];
}

/**
 * Each target's trials in a benchmark step's output, the harness's or the
 * plain script's, read as the program reads them: an interleaved run's per
 * target from its sections (one trial per round run, each with its round and
 * position), a run alone's as its runner printed them.
 */
export function stepTrials(
  b: BenchmarkStep,
  m: Pick<BenchmarkModule, "id" | "parse">,
  out: string,
  paramsOf: (target: string) => unknown,
): TargetRun[] {
  if (b.kind === "alone") {
    return [
      {
        target: b.target,
        benchmark: b.benchmark,
        trials: parseTrials(m, out, paramsOf(b.target), b.repeats),
      },
    ];
  }
  return b.targets.map((t) => ({
    target: t.key,
    benchmark: b.benchmark,
    trials: targetTrials(m, out, t.section, t.unit, paramsOf(t.key), Math.max(b.orders.length, 1)),
  }));
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

// ---- timed pulumi runs ----

interface Timed {
  wallSeconds: number;
  stdout: string;
}

function timed(s: TestStack, ...args: string[]): Timed {
  const t0 = process.hrtime.bigint();
  const r = s.run(...args);
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) {
    throw new Error(
      `pulumi ${args.slice(0, 2).join(" ")} exited ${r.status}:\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`,
    );
  }
  return { wallSeconds, stdout: r.stdout };
}

// ---- the plain script ----

const stepNumber = (i: number) => String(i + 1).padStart(2, "0");

/** The plain script, and the files it reads from its work directory (NN.env, NN.sh, NN.rounds, NN.key). */
export interface PlainScript {
  script: string;
  /** By name; secret (environments, keys): written readable by their owner alone. */
  files: Record<string, string>;
}

/**
 * The benchmark steps as a bash script, each run as the Command provider runs
 * it (command-provider.ts runStep, createRounds): its own script (after its
 * prelude) with its environment, on this machine (bare metal; containers and
 * guests through the step's own way in) or over ssh (its connection: the
 * environment as export lines, then the script, on the remote bash's stdin),
 * under `timeout` at the step's timeoutSeconds. An interleaved step runs once
 * per round it ran, each round to that timeout, with VTB_ROUND and
 * VTB_ROUND_ORDER exported after its environment, its rounds' outputs appended
 * one after another; a round that fails ends the step, as in the provider.
 * Environments and keys stay in the work directory (secret); the script holds none.
 */
export function plainScript(benchSteps: readonly Step[]): PlainScript {
  const { round, roundOrder } = envNames;
  const lines = [
    "#!/usr/bin/env bash",
    "# The default stack's benchmarks by hand: the steps `pulumi up` ran, in its",
    "# order, with the same scripts and environments, each as the provider runs it",
    "# (written by npm run bench:harness). An interleaved step runs once per round",
    `# it ran, given the round's number and order (${round}, ${roundOrder}).`,
    "# usage: bash plain.sh <dir with NN.env, NN.sh, NN.rounds and NN.key>",
    "set -u",
    'w="$1"',
    "# local_run N TIMEOUT ROUND ORDER: step N's script here, its environment exported",
    "# (and in a round, the round's number and order); stdin empty, as the provider's.",
    "local_run() {",
    `  timeout --kill-after=10 "$2" bash -c 'set -a; . "$1"; set +a; if [ -n "$3" ]; then export ${round}="$3" ${roundOrder}="$4"; fi; exec bash "$2"' \\`,
    '    _ "$w/$1.env" "$w/$1.sh" "$3" "$4" </dev/null',
    "}",
    "# ssh_run N TIMEOUT ROUND ORDER HOST PORT USER CONNECT_TIMEOUT: the same over ssh, as the",
    "# provider sends it: export lines, then the script, on the remote bash's stdin.",
    "ssh_run() {",
    "  local key=()",
    '  if [ -s "$w/$1.key" ]; then key=(-i "$w/$1.key"); fi',
    "  {",
    '    cat "$w/$1.env"',
    `    if [ -n "$3" ]; then printf "export ${round}='%s'\\nexport ${roundOrder}='%s'\\n" "$3" "$4"; fi`,
    '    cat "$w/$1.sh"',
    '  } | ssh -q ${key[@]+"${key[@]}"} -p "$6" -o BatchMode=yes -o StrictHostKeyChecking=no \\',
    '    -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout="$8" "$7@$5" \\',
    '    "exec timeout --kill-after=10 $2 bash -s"',
    "}",
    "# run N ROUND ORDER HOW TIMEOUT [HOST PORT USER CONNECT_TIMEOUT]: one run of step N,",
    "# its output appended to N.out and N.err; its start, end and exit code to times.",
    "run() {",
    '  local n="$1" round="$2" order="$3" how="$4" timeout="$5" t0 t1 rc',
    "  shift 5",
    "  t0=$(date +%s.%N)",
    '  "${how}_run" "$n" "$timeout" "$round" "$order" "$@" >>"$w/$n.out" 2>>"$w/$n.err"',
    "  rc=$?",
    "  t1=$(date +%s.%N)",
    '  echo "$n${round:+ round $round} $t0 $t1 $rc" >>"$w/times"',
    '  return "$rc"',
    "}",
    "# step N HOW TIMEOUT [...]: step N, once, or once per line of N.rounds (that",
    "# round's order), stopping at a round that fails.",
    "step() {",
    '  local n="$1" r=0 order',
    "  shift",
    '  : >"$w/$n.out"',
    '  : >"$w/$n.err"',
    '  if [ ! -e "$w/$n.rounds" ]; then',
    '    run "$n" "" "" "$@"',
    "    return",
    "  fi",
    "  while IFS= read -r order <&3; do",
    "    r=$((r + 1))",
    '    run "$n" "$r" "$order" "$@" 3<&- || break',
    '  done 3<"$w/$n.rounds"',
    "}",
    "",
  ];
  const files: Record<string, string> = {};
  benchSteps.forEach((s, i) => {
    const n = stepNumber(i);
    files[`${n}.env`] = exportLines(s.environment ?? {});
    files[`${n}.sh`] = (s.prelude ?? "") + s.create;
    // As the provider: a remote step's timeout is whole seconds, at least one.
    const timeout = Math.max(1, Math.floor(s.timeoutSeconds));
    const b = benchmarkStep(s);
    if (b.kind === "interleaved") {
      if (b.orders.length === 0) throw new Error(`${s.step}: ran no round, nothing to replay`);
      files[`${n}.rounds`] = b.orders.map((o) => `${o}\n`).join("");
    }
    lines.push(
      `# ${s.step}${b.kind === "interleaved" ? `: ${b.orders.length} rounds, as it ran` : ""}`,
    );
    const c = s.connection;
    if (!c) {
      lines.push(`step ${n} local ${timeout}`);
      return;
    }
    if (c.jump) throw new Error(`${s.step}: over a jump host, which the plain script cannot take`);
    if (c.privateKey)
      files[`${n}.key`] = c.privateKey.endsWith("\n") ? c.privateKey : `${c.privateKey}\n`;
    const connect = Math.max(1, Math.round(c.connectTimeoutSeconds ?? 30));
    lines.push(`step ${n} ssh ${timeout} ${c.host} ${c.port} ${c.user} ${connect}`);
  });
  return { script: lines.join("\n") + "\n", files };
}

/** Writes the plain script and its files to `work`; returns the script's path. */
function writePlain(benchSteps: readonly Step[], work: string): string {
  const { script, files } = plainScript(benchSteps);
  for (const [name, text] of Object.entries(files)) {
    fs.writeFileSync(path.join(work, name), text, { mode: 0o600 });
  }
  const file = path.join(work, "plain.sh");
  fs.writeFileSync(file, script);
  return file;
}

interface PlainRun {
  wallSeconds: number;
  trialSeconds: number;
  outputs: string[];
}

function runPlain(script: string, work: string, count: number): PlainRun {
  fs.rmSync(path.join(work, "times"), { force: true });
  const t0 = process.hrtime.bigint();
  const r = spawnSync("bash", [script, work], { stdio: "inherit" });
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`plain script exited ${r.status}`);
  const outputs = Array.from({ length: count }, (_, i) =>
    fs.readFileSync(path.join(work, `${stepNumber(i)}.out`), "utf8"),
  );
  const failed = fs
    .readFileSync(path.join(work, "times"), "utf8")
    .split("\n")
    .filter((l) => l && !l.endsWith(" 0"));
  if (failed.length > 0) throw new Error(`plain script: steps failed: ${failed.join("; ")}`);
  return { wallSeconds, trialSeconds: sum(outputs.map(secondsInTrials)), outputs };
}

// ---- fidelity and order ----

/** Each metric of each target and benchmark, its trials through the harness and by the plain script. */
function measuredOf(harness: readonly TargetRun[], plain: readonly TargetRun[]): Measured[] {
  const key = (r: TargetRun) => `${r.target} ${r.benchmark}`;
  const plainMetrics = new Map(plain.map((r) => [key(r), outcome(r.trials).metrics]));
  return harness.flatMap((r) => {
    const p = plainMetrics.get(key(r));
    return Object.entries(outcome(r.trials).metrics).map(([metric, h]) => ({
      target: r.target,
      benchmark: r.benchmark,
      metric,
      unit: h.unit,
      harness: h.trials,
      plain: p?.[metric]?.trials,
    }));
  });
}

/**
 * Every trial's value of its benchmark's headline metrics (mainMetrics, among
 * the metrics the side's trials of the benchmark reported), with its position
 * in its round. Trials without a position (a run alone) or a result are left out.
 */
export function placedOf(side: Placed["side"], runs: readonly TargetRun[]): Placed[] {
  const benchmarkIds = [...new Set(runs.map((r) => r.benchmark))];
  return benchmarkIds.flatMap((benchmark) => {
    const these = runs.filter((r) => r.benchmark === benchmark);
    const reported = new Map<string, Pick1>();
    for (const r of these) {
      for (const t of r.trials) {
        for (const m of t.result?.metrics ?? []) {
          const key = metricKey(m);
          reported.set(key, { key, name: m.name, labels: m.labels ?? {} });
        }
      }
    }
    const headline = new Set(mainMetrics(benchmark, [...reported.values()]));
    return these.flatMap((r) =>
      r.trials.flatMap((t) =>
        t.result && t.context
          ? t.result.metrics
              .filter((m) => headline.has(metricKey(m)))
              .map((m) => ({
                side,
                target: r.target,
                benchmark,
                metric: metricKey(m),
                unit: m.unit,
                direction: m.direction,
                position: t.context!.position,
                value: m.value,
              }))
          : [],
      ),
    );
  });
}

/** The order effect of one side, or of both, as rounds.json and figures.json hold it. */
const orderFigures = (placed: readonly Placed[]) => ({
  metrics: orderEffects(placed),
  overall: orderOverall(placed),
});

// ---- printing ----

const f1 = (x: number) => x.toFixed(1);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const num = (x: number) =>
  Number.isNaN(x) ? "-" : Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3);
const range = (xs: number[]) =>
  xs.length === 1 ? f1(xs[0]) : `${f1(Math.min(...xs))}/${f1(median(xs))}/${f1(Math.max(...xs))}`;
/** "+1.2% ±0.4 (6)": the mean relative to the targets' means, its standard error in points, n. */
export const atPosition = (a: AtPosition | undefined) =>
  a === undefined
    ? "-"
    : `${a.relative >= 0 ? "+" : ""}${(a.relative * 100).toFixed(1)}%` +
      `${Number.isNaN(a.stderr) ? "" : ` ±${(a.stderr * 100).toFixed(1)}`} (${a.n})`;
const positionsText = (ps: readonly AtPosition[]) =>
  ps.length === 0 ? "-" : ps.map((p) => `position ${p.position}: ${atPosition(p)}`).join(", ");

/** The order effect, printed: per headline metric, each target and the targets pooled, by position. */
export function orderLines(placed: readonly Placed[]): string[] {
  if (placed.length === 0) {
    return ["order effect: no interleaved trial with a headline metric, nothing to show"];
  }
  const both = orderEffects(placed);
  const side = (s: Placed["side"]) => orderEffects(placed.filter((p) => p.side === s));
  const [harness, plain] = [side("harness"), side("plain")];
  const same = (a: { benchmark: string; metric: string }) => (b: typeof a) =>
    a.benchmark === b.benchmark && a.metric === b.metric;
  const positions = [...new Set(placed.map((p) => p.position))].sort((a, b) => a - b);
  const cells = (ps: readonly AtPosition[] | undefined) =>
    positions.map((k) => atPosition(ps?.find((p) => p.position === k)));
  const rows: string[][] = [["headline metric / target", ...positions.map((k) => `position ${k}`)]];
  for (const e of both) {
    rows.push([
      `${e.benchmark} ${e.metric} (${e.unit}, ${e.direction} is better)`,
      ...positions.map(() => ""),
    ]);
    for (const t of e.targets) rows.push([`  ${t.target}`, ...cells(t.positions)]);
    rows.push(["  all targets, harness", ...cells(harness.find(same(e))?.pooled)]);
    rows.push(["  all targets, plain", ...cells(plain.find(same(e))?.pooled)]);
    rows.push(["  all targets", ...cells(e.pooled)]);
  }
  const overall = (s?: Placed["side"]) =>
    positionsText(orderOverall(s ? placed.filter((p) => p.side === s) : placed));
  return [
    "order effect: each interleaved trial's headline metric relative to its target's mean (on its side),",
    "by its unit's position in the round (0: first); ± the standard error in points, (n) trials. A target's",
    "row pools both sides; its positions come from different rounds, so a drift over the rounds shows in it",
    "too; the all-targets rows have every position once per round, so such a drift cancels there. A target",
    "whose trials all ran at one position is left out.",
    textTable(rows, "left"),
    "",
    "order effect over every headline metric, as better (+) or worse (-) than its target's mean" +
      " (n counts values, several per trial where a benchmark has several headline metrics):",
    `  both sides: ${overall()}`,
    `  harness: ${overall("harness")}`,
    `  plain: ${overall("plain")}`,
  ];
}

// ---- main ----

function options(): { rounds: number; keep: boolean } {
  const { values } = parseArgs({
    options: {
      rounds: { type: "string", default: "1" },
      keep: { type: "boolean", default: false },
    },
  });
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 10) {
    process.stderr.write("bench-harness: --rounds 1-10\n");
    process.exit(2);
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write("bench-harness: run as root (the testbed needs it)\n");
    process.exit(2);
  }
  return { rounds, keep: values.keep ?? false };
}

async function main(): Promise<void> {
  const { rounds, keep } = options();
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const outDir = path.join(root, "results", "bench-harness", stamp);
  fs.mkdirSync(outDir, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "vtb-bench-harness-"));
  const s = new TestStack(stackName, defaultStackConfig(sshPort));
  let created = false;
  try {
    s.pulumi("stack", "init");
    created = true;
    say("1/4 pulumi up: stand the default testbed up and measure (15-20 min here)");
    const cold = timed(s, ...up);
    const first = steps(s);
    const benchSteps = first
      .filter(isBenchmark)
      .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    const coldFigures = {
      wallSeconds: cold.wallSeconds,
      bootSeconds: sum(first.filter(isBoot).map((x) => x.durationSeconds)),
      benchmarkStepSeconds: sum(benchSteps.map((x) => x.durationSeconds)),
      trialSeconds: sum(benchSteps.map((x) => secondsInTrials(x.stdout))),
      allStepSeconds: sum(first.map((x) => x.durationSeconds)),
    };
    say(`   ${f1(cold.wallSeconds)} s`);
    // The parameters each target's trials ran with (a pair's client's: its
    // server's address), as the archive of its server holds them.
    const archives = JSON.parse(s.pulumi("stack", "output", "archive", "--json")) as Record<
      string,
      string
    >;
    const paramsOf = (benchmark: string) => (target: string) => {
      const archive = archives[target.split("/")[0]];
      if (!archive) throw new Error(`no archive for ${target}'s server`);
      const file = path.join(archive, "raw", target, benchmark, "parameters.json");
      return JSON.parse(fs.readFileSync(file, "utf8")) as unknown;
    };
    const runsOf = (x: Step, out: string) => {
      const b = benchmarkStep(x);
      const m = benchmarks[b.benchmark];
      if (!m) throw new Error(`${x.step}: no benchmark module ${b.benchmark}`);
      return stepTrials(b, m, out, paramsOf(b.benchmark));
    };

    say("2/4 pulumi up again, nothing changed");
    const noop = timed(s, ...up);
    const after = new Map(steps(s).map((x) => [x.urn, x.startedAt]));
    const rerun = benchSteps.filter((x) => after.get(x.urn) !== x.startedAt).map((x) => x.step);
    const noopFigures = {
      wallSeconds: noop.wallSeconds,
      changes: resourceSteps(noop.stdout),
      benchmarksRun: rerun,
    };
    say(`   ${f1(noop.wallSeconds)} s, ${rerun.length} benchmark(s) run`);

    const script = writePlain(benchSteps, work);
    fs.copyFileSync(script, path.join(outDir, "plain.sh"));
    const roundFigures: {
      order: string;
      plain: { wallSeconds: number; trialSeconds: number };
      harness: { wallSeconds: number; trialSeconds: number; stepSeconds: number };
      ratio: number;
      measured: Measured[];
      fidelity: Judged[];
      /** By position in the round, each side's own (figures.json pools the rounds and sides). */
      orderEffect: {
        harness: ReturnType<typeof orderFigures>;
        plain: ReturnType<typeof orderFigures>;
      };
      /** The values the order effect is computed from. */
      placed: Placed[];
    }[] = [];
    for (let r = 1; r <= rounds; r++) {
      // The order alternates, so that a drift of the machine over a round does
      // not always favour the same side.
      const plainFirst = r % 2 === 1;
      const runPlainRound = () => {
        say(
          `3/4 round ${r}/${rounds}: the ${benchSteps.length} benchmark steps by a plain shell script`,
        );
        const plain = runPlain(script, work, benchSteps.length);
        plain.outputs.forEach((o, i) =>
          fs.writeFileSync(path.join(outDir, `round-${r}-plain-${stepNumber(i)}.out`), o),
        );
        say(`   ${f1(plain.wallSeconds)} s`);
        return plain;
      };
      const runHarnessRound = () => {
        say(
          `3/4 round ${r}/${rounds}: the same through pulumi up --replace of every benchmark run`,
        );
        const again = timed(s, ...up, ...benchSteps.flatMap((x) => ["--replace", x.urn]));
        const rerunSteps = steps(s).filter(isBenchmark);
        const stale = benchSteps.filter(
          (x) => rerunSteps.find((y) => y.urn === x.urn)?.startedAt === x.startedAt,
        );
        if (stale.length > 0) {
          say(
            `   not run again (its figures are the first run's): ${stale.map((x) => x.step).join("; ")}`,
          );
        }
        say(`   ${f1(again.wallSeconds)} s`);
        return {
          wallSeconds: again.wallSeconds,
          trialSeconds: sum(rerunSteps.map((x) => secondsInTrials(x.stdout))),
          stepSeconds: sum(rerunSteps.map((x) => x.durationSeconds)),
          // Read from each step's own record, as the plain script's outputs are.
          runs: rerunSteps.flatMap((x) => runsOf(x, x.stdout)),
        };
      };
      let plain: PlainRun;
      let harnessRun: ReturnType<typeof runHarnessRound>;
      if (plainFirst) {
        plain = runPlainRound();
        harnessRun = runHarnessRound();
      } else {
        harnessRun = runHarnessRound();
        plain = runPlainRound();
      }
      const { runs: harnessRuns, ...harness } = harnessRun;
      const plainRuns = benchSteps.flatMap((x, i) => runsOf(x, plain.outputs[i]));
      const m = measuredOf(harnessRuns, plainRuns);
      const placed = [...placedOf("harness", harnessRuns), ...placedOf("plain", plainRuns)];
      const sideOf = (k: Placed["side"]) => orderFigures(placed.filter((p) => p.side === k));
      roundFigures.push({
        order: plainFirst ? "plain, then harness" : "harness, then plain",
        plain: { wallSeconds: plain.wallSeconds, trialSeconds: plain.trialSeconds },
        harness,
        ratio: harness.wallSeconds / plain.wallSeconds,
        measured: m,
        fidelity: m.map(judge),
        orderEffect: { harness: sideOf("harness"), plain: sideOf("plain") },
        placed,
      });
      // Each round is on disk as soon as it is measured: a later failure
      // (a round, the pooling, the printing) loses nothing measured.
      fs.writeFileSync(
        path.join(outDir, "rounds.json"),
        JSON.stringify({ cold: coldFigures, noop: noopFigures, rounds: roundFigures }, null, 2) +
          "\n",
      );
    }
    // ---- figures ----
    const w = (k: "plain" | "harness", f: "wallSeconds" | "trialSeconds") =>
      roundFigures.map((x) => x[k][f]);
    const out: string[] = [];
    out.push(
      textTable(
        [
          ["run", "wall s", "in benchmark processes s", "in guest boots s", "rest s"],
          [
            "pulumi up (cold: testbed + benchmarks)",
            f1(coldFigures.wallSeconds),
            f1(coldFigures.trialSeconds),
            f1(coldFigures.bootSeconds),
            f1(coldFigures.wallSeconds - coldFigures.trialSeconds - coldFigures.bootSeconds),
          ],
          [
            "pulumi up (nothing changed)",
            f1(noopFigures.wallSeconds),
            `${noopFigures.benchmarksRun.length} benchmarks run`,
            "-",
            "-",
          ],
          [
            "plain script (min/med/max)",
            range(w("plain", "wallSeconds")),
            range(w("plain", "trialSeconds")),
            "-",
            range(roundFigures.map((x) => x.plain.wallSeconds - x.plain.trialSeconds)),
          ],
          [
            "pulumi up --replace runs (min/med/max)",
            range(w("harness", "wallSeconds")),
            range(w("harness", "trialSeconds")),
            "-",
            range(roundFigures.map((x) => x.harness.wallSeconds - x.harness.trialSeconds)),
          ],
        ],
        "left",
      ),
    );
    const ratios = roundFigures.map((x) => x.ratio);
    out.push(
      "",
      `overhead: harness wall / plain wall = ${roundFigures.map((x, i) => `${ratios[i].toFixed(3)} (${x.order})`).join(", ")} (target <= 1.10)`,
      ...roundFigures.map((x, i) => {
        const judged = x.fidelity.filter((r) => r.withinSpread !== "one trial");
        return `fidelity, round ${i + 1}: ${judged.filter((r) => r.withinSpread === true).length}/${judged.length} metrics within their spread`;
      }),
      `no-op update: ${f1(noopFigures.wallSeconds)} s (target < 15 s), benchmarks run: ${noopFigures.benchmarksRun.length} (target 0); steps: ${JSON.stringify(noopFigures.changes)}`,
      "",
      rounds === 1
        ? "fidelity: median through the harness vs the plain script; spread = (max - min) / median, the larger of the two"
        : `fidelity, the ${rounds} rounds' trials pooled: median through the harness vs the plain script; spread = (max - min) / median, the larger of the two; harness higher = rounds in which the harness's median was the higher`,
    );
    const pooled = pool(roundFigures.map((x) => x.measured));
    out.push(
      textTable(
        [
          [
            "target / benchmark / metric",
            "unit",
            "harness",
            "plain",
            "diff",
            "spread",
            "within",
            ...(rounds > 1 ? ["harness higher"] : []),
          ],
          ...pooled.map((r) => [
            `${r.target} ${r.benchmark} ${r.metric}`,
            r.unit,
            num(r.harness),
            num(r.plain),
            Number.isNaN(r.difference) ? "-" : pct(r.difference),
            pct(r.spread),
            r.withinSpread === true ? "yes" : r.withinSpread === false ? "NO" : r.withinSpread,
            ...(rounds > 1 ? [`${r.harnessHigher}/${r.rounds}`] : []),
          ]),
        ],
        "left",
      ),
    );
    const judged = pooled.filter((r) => r.withinSpread !== "one trial");
    // The sign is counted only where both sides measured the metric in every round.
    const inAll = pooled.filter((r) => r.rounds === rounds);
    const sameSign = inAll.filter((r) => r.harnessHigher === 0 || r.harnessHigher === r.rounds);
    out.push(
      "",
      `fidelity${rounds > 1 ? ", pooled" : ""}: ${judged.filter((r) => r.withinSpread === true).length}/${judged.length} metrics within their spread` +
        ` (${pooled.length - judged.length} from one trial, not judged)`,
      ...(rounds > 1
        ? [
            `of the ${inAll.length} metrics both sides measured in every round, the harness's median higher in every round for ${inAll.filter((r) => r.harnessHigher === r.rounds).length}, lower in every round for ${inAll.filter((r) => r.harnessHigher === 0).length}, mixed for ${inAll.length - sameSign.length} (with no effect of the harness, about ${(100 * 2 ** (1 - rounds)).toFixed(0)}% of metrics keep one sign by chance)` +
              (inAll.length < pooled.length
                ? `; ${pooled.length - inAll.length} measured in fewer rounds: ${pooled
                    .filter((r) => r.rounds < rounds)
                    .map((r) => `${r.target} ${r.benchmark} ${r.metric} (${r.rounds})`)
                    .join(", ")}`
                : ""),
          ]
        : []),
    );
    // The order effect over every round, both sides.
    const placed = roundFigures.flatMap((x) => x.placed);
    out.push("", ...orderLines(placed));
    process.stdout.write(out.join("\n") + "\n");
    fs.writeFileSync(path.join(outDir, "figures.txt"), out.join("\n") + "\n");
    fs.writeFileSync(
      path.join(outDir, "figures.json"),
      JSON.stringify(
        {
          date: new Date().toISOString(),
          node: process.version,
          cpus: os.cpus().length,
          loadAverage: os.loadavg(),
          cold: coldFigures,
          noop: noopFigures,
          rounds: roundFigures.map(({ measured: _, placed: _placed, ...x }) => x),
          pooled,
          orderEffect: {
            both: orderFigures(placed),
            harness: orderFigures(placed.filter((p) => p.side === "harness")),
            plain: orderFigures(placed.filter((p) => p.side === "plain")),
          },
          steps: benchSteps.map((x) => x.step),
        },
        null,
        2,
      ) + "\n",
    );
    say(`figures: ${path.relative(root, outDir)}/figures.{txt,json}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    s.finish({ created, keep, say });
  }
}

// Run, not imported (the unit tests import its pure functions).
if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`bench-harness: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
