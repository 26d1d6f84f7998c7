// npm run bench:harness -- [--rounds 1] [--keep]
//
// The harness's own cost on this machine, against doing it by hand. A
// benchmark of the harness, not a test: it prints figures and asserts nothing.
//
//  1. `pulumi up` of the default stack (Pulumi.testbed.yaml) as a throwaway
//     stack: stands the testbed up and runs its benchmarks. The time spent in
//     guest boots and inside benchmark processes comes from the steps' records.
//  2. A second `pulumi up` with nothing changed: how long, and whether it ran
//     any benchmark (every run's start time must stay as it was).
//  3. Per round: the same benchmarks by a plain shell script (written from the
//     steps the harness ran: the same scripts, environment, targets and
//     order, run with bash, lxc-attach and ssh), then again through
//     `pulumi up --replace` of every benchmark run. Wall time of each, time
//     inside the benchmark processes (the trials' own clocks), their ratio.
//  4. Fidelity: each metric's median through the harness against the plain
//     script's, and the trials' spread (max - min, the larger of the two);
//     over several rounds, the trials pooled and the sign of each round's
//     difference counted (scripts/fidelity.ts).
//
// Writes the figures, the plain script and its outputs, and each round as it is
// measured (rounds.json), to results/bench-harness/<timestamp>/, then destroys
// the stack (--keep leaves it).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import { benchmarks } from "../benchmarks";
import { exportLines } from "../components/command";
import { secondsInTrials } from "../components/measure/trials";
import { outcome, Results } from "../components/results/summarize";
import { parseTrials } from "../components/measure/trials";
import { median } from "../components/results/stats";
import { defaultStackConfig, root, TestStack } from "../test/helpers/stack";
import { judge, Judged, Measured, pool } from "./fidelity";
import { resourceSteps, textTable } from "./figures";

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

const stackName = "harness";
// As `npm run testbed` runs it: with its preview.
const up = ["up", "--yes", "--continue-on-error"];
const sshPort = 22700;
const say = (s: string) => process.stderr.write(`bench-harness: ${s}\n`);

// ---- the stack's state ----

interface Step {
  urn: string;
  step: string;
  create: string;
  environment: Record<string, string>;
  connection?: { host: string; port: number; user: string; privateKey: string };
  timeoutSeconds: number;
  startedAt: string;
  durationSeconds: number;
  stdout: string;
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

// A benchmark run is the Command "<server>-<platform>-<guest>-<benchmark>-trials".
const isBenchmark = (s: Step) => s.urn.endsWith("-trials");
const isBoot = (s: Step) => /boot until SSH answers$|: lxc guest [^:]+$/.test(s.step);

/** "local/lxc/ct: openssl-speed (3 trials)" -> its target and benchmark. */
function what(s: Step): { target: string; benchmark: string } {
  const m = /^(\S+): (\S+) \(\d+ trials\)$/.exec(s.step);
  if (!m) throw new Error(`not a benchmark step: ${s.step}`);
  return { target: m[1], benchmark: m[2] };
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

/**
 * The benchmark steps as a bash script: each step's own script and
 * environment, run locally (bare metal; containers through lxc-attach, as
 * the step's script does) or over ssh (the VM), in the harness's order.
 * Environments and the guest key stay in `work` (secret); the script is not.
 */
function writePlain(benchSteps: Step[], work: string): string {
  const lines = [
    "#!/usr/bin/env bash",
    "# The default stack's benchmarks by hand: the steps `pulumi up` ran, in its",
    "# order, with the same scripts and environments (written by npm run bench:harness).",
    "# usage: bash plain.sh <dir with NN.env, NN.sh and key>",
    "set -u",
    'w="$1"',
    'local_step() { timeout --kill-after=10 "$2" bash -c \'set -a; . "$1"; exec bash "$2"\' _ "$w/$1.env" "$w/$1.sh"; }',
    "ssh_step() {",
    '  cat "$w/$1.env" "$w/$1.sh" | ssh -q -i "$w/key" -p "$4" -o BatchMode=yes -o StrictHostKeyChecking=no \\',
    '    -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "$5@$3" "exec timeout --kill-after=10 $2 bash -s"',
    "}",
    "step() {",
    '  local n="$2" t0 t1 rc',
    "  t0=$(date +%s.%N)",
    '  "$@" >"$w/$n.out" 2>"$w/$n.err"',
    "  rc=$?",
    "  t1=$(date +%s.%N)",
    '  echo "$n $t0 $t1 $rc" >>"$w/times"',
    "}",
    "",
  ];
  let key: string | undefined;
  benchSteps.forEach((s, i) => {
    const n = String(i + 1).padStart(2, "0");
    fs.writeFileSync(path.join(work, `${n}.env`), exportLines(s.environment ?? {}), {
      mode: 0o600,
    });
    fs.writeFileSync(path.join(work, `${n}.sh`), s.create);
    const timeout = Math.floor(s.timeoutSeconds);
    lines.push(`# ${s.step}`);
    if (s.connection) {
      if (key !== undefined && key !== s.connection.privateKey) {
        throw new Error("bench-harness: steps over ssh with two different keys");
      }
      key = s.connection.privateKey;
      const c = s.connection;
      lines.push(`step ssh_step ${n} ${timeout} ${c.host} ${c.port} ${c.user}`);
    } else {
      lines.push(`step local_step ${n} ${timeout}`);
    }
  });
  if (key !== undefined) {
    fs.writeFileSync(path.join(work, "key"), key.endsWith("\n") ? key : `${key}\n`, {
      mode: 0o600,
    });
  }
  const file = path.join(work, "plain.sh");
  fs.writeFileSync(file, lines.join("\n") + "\n");
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
    fs.readFileSync(path.join(work, `${String(i + 1).padStart(2, "0")}.out`), "utf8"),
  );
  const failed = fs
    .readFileSync(path.join(work, "times"), "utf8")
    .split("\n")
    .filter((l) => l && !l.endsWith(" 0"));
  if (failed.length > 0) throw new Error(`plain script: steps failed: ${failed.join("; ")}`);
  return { wallSeconds, trialSeconds: sum(outputs.map(secondsInTrials)), outputs };
}

// ---- fidelity ----

/** Each metric of each benchmark step, its trials through the harness and by the plain script. */
function measured(
  benchSteps: Step[],
  plainOutputs: string[],
  results: Results,
  archive: string,
): Measured[] {
  return benchSteps.flatMap((s, i) => {
    const { target, benchmark } = what(s);
    const [server, platform, guest] = target.split("/");
    const params = JSON.parse(
      fs.readFileSync(path.join(archive, "raw", target, benchmark, "parameters.json"), "utf8"),
    ) as unknown;
    const plain = outcome(parseTrials(benchmarks[benchmark], plainOutputs[i], params));
    const harness = results[server]?.[platform]?.[guest]?.[benchmark];
    if (!harness) throw new Error(`no harness result for ${target} ${benchmark}`);
    return Object.entries(harness.metrics).map(([metric, h]) => ({
      target,
      benchmark,
      metric,
      unit: h.unit,
      harness: h.trials,
      plain: plain.metrics[metric]?.trials,
    }));
  });
}

// ---- printing ----

const f1 = (x: number) => x.toFixed(1);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const num = (x: number) =>
  Number.isNaN(x) ? "-" : Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3);
const range = (xs: number[]) =>
  xs.length === 1 ? f1(xs[0]) : `${f1(Math.min(...xs))}/${f1(median(xs))}/${f1(Math.max(...xs))}`;

// ---- main ----

async function main(): Promise<void> {
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
          fs.writeFileSync(
            path.join(outDir, `round-${r}-plain-${String(i + 1).padStart(2, "0")}.out`),
            o,
          ),
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
        say(`   ${f1(again.wallSeconds)} s`);
        return {
          wallSeconds: again.wallSeconds,
          trialSeconds: sum(rerunSteps.map((x) => secondsInTrials(x.stdout))),
          stepSeconds: sum(rerunSteps.map((x) => x.durationSeconds)),
          results: JSON.parse(s.pulumi("stack", "output", "results", "--json")) as Results,
          archive: (
            JSON.parse(s.pulumi("stack", "output", "archive", "--json")) as Record<string, string>
          ).local,
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
      const { results, archive, ...harness } = harnessRun;
      const m = measured(benchSteps, plain.outputs, results, archive);
      roundFigures.push({
        order: plainFirst ? "plain, then harness" : "harness, then plain",
        plain: { wallSeconds: plain.wallSeconds, trialSeconds: plain.trialSeconds },
        harness,
        ratio: harness.wallSeconds / plain.wallSeconds,
        measured: m,
        fidelity: m.map(judge),
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
          rounds: roundFigures.map(({ measured: _, ...x }) => x),
          pooled,
          steps: benchSteps.map((x) => x.step),
        },
        null,
        2,
      ) + "\n",
    );
    say(`figures: ${path.relative(root, outDir)}/figures.{txt,json}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    if (!created) {
      s.remove();
    } else if (values.keep) {
      say(
        `kept: stack ${stackName} in ${s.backend}; tear it down with\n` +
          `  PULUMI_BACKEND_URL=file://${s.backend} npm run pulumi -- destroy --yes -s ${stackName}`,
      );
    } else {
      say("tearing the stack down (the results archive stays)");
      const d = s.run("destroy", "--yes", "--skip-preview");
      if (d.status !== 0) {
        say(
          `destroy failed, stack kept in ${s.backend}:\n${d.stdout.slice(-2000)}${d.stderr.slice(-2000)}`,
        );
      } else s.remove();
    }
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench-harness: ${(e as Error).message}\n`);
  process.exit(1);
});
