import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ParseError } from "../../benchmarks/types";
import { provider } from "../../components/command-provider";
import {
  atPosition,
  benchmarkStep,
  orderLines,
  placedOf,
  plainScript,
  Step,
  stepTrials,
} from "../../scripts/bench-harness";
import {
  byPosition,
  orderEffects,
  orderOverall,
  Placed,
  relativeToMean,
} from "../../scripts/fidelity";
import { startSshd, TestSshd } from "../helpers/sshd";
import { scratchDir } from "../helpers/scratch";

// npm run bench:harness's pure parts: what a benchmark step is, each target's
// trials from either side's output, the order effect; and its plain script,
// run for real against the Command provider on the same records (on this
// machine and over a loopback sshd): it must print what the provider records.

const placed = (target: string, position: number, value: number, more: Partial<Placed> = {}) =>
  ({
    side: "harness",
    target,
    benchmark: "openssl-speed",
    metric: "throughput",
    unit: "kB/s",
    direction: "higher",
    position,
    value,
    ...more,
  }) as Placed;

describe("the order effect", () => {
  it("is each trial relative to its target's mean, by position, per target and pooled", () => {
    // a: mean 100, first 102 and 104, last 94; b: mean 200, first 210, last 190.
    const values = [
      placed("a", 0, 102),
      placed("a", 0, 104),
      placed("a", 1, 94),
      placed("b", 0, 210),
      placed("b", 1, 190),
    ];
    const [e] = orderEffects(values);
    expect(e.targets.map((t) => t.target)).toEqual(["a", "b"]);
    const a = e.targets[0].positions;
    expect(a.map((p) => [p.position, p.n])).toEqual([
      [0, 2],
      [1, 1],
    ]);
    expect(a[0].relative).toBeCloseTo(0.03);
    expect(a[1].relative).toBeCloseTo(-0.06);
    expect(a[1].stderr).toBeNaN();
    // Pooled: position 0 holds 1.02, 1.04, 1.05; position 1 holds 0.94, 0.95.
    expect(e.pooled.map((p) => p.n)).toEqual([3, 2]);
    expect(e.pooled[0].relative).toBeCloseTo((0.02 + 0.04 + 0.05) / 3);
    expect(e.pooled[1].relative).toBeCloseTo(-0.055);
    const sd = Math.sqrt(
      ((0.02 - 0.11 / 3) ** 2 + (0.04 - 0.11 / 3) ** 2 + (0.05 - 0.11 / 3) ** 2) / 2,
    );
    expect(e.pooled[0].stderr).toBeCloseTo(sd / Math.sqrt(3));
  });

  it("normalizes each side apart, and leaves out a target measured at one position only", () => {
    const values = [
      // The harness measures a 10% lower than the plain script does: no order effect in that.
      placed("a", 0, 90),
      placed("a", 1, 90),
      placed("a", 0, 100, { side: "plain" }),
      placed("a", 1, 100, { side: "plain" }),
      // Always first: says nothing of position.
      placed("c", 0, 50),
      placed("c", 0, 70),
    ];
    const [e] = orderEffects(values);
    expect(e.pooled).toEqual([
      { position: 0, n: 2, relative: 0, stderr: 0 },
      { position: 1, n: 2, relative: 0, stderr: 0 },
    ]);
    expect(e.targets.find((t) => t.target === "c")!.positions).toEqual([]);
    expect(relativeToMean(values, (v) => v.target)).toHaveLength(4);
  });

  it("keeps each benchmark's metrics apart", () => {
    const e = orderEffects([
      placed("a", 0, 1),
      placed("a", 1, 3),
      placed("a", 0, 10, { metric: "sign_rate" }),
      placed("a", 1, 10, { metric: "sign_rate" }),
    ]);
    expect(e.map((x) => [x.metric, x.pooled.map((p) => p.relative)])).toEqual([
      ["throughput", [-0.5, 0.5]],
      ["sign_rate", [0, 0]],
    ]);
  });

  it("over every metric, orients lower-is-better ones so that + is better", () => {
    const overall = orderOverall([
      placed("a", 0, 110),
      placed("a", 1, 90),
      // A latency: first is faster (lower), so better too.
      placed("a", 0, 8, { metric: "latency", direction: "lower" }),
      placed("a", 1, 12, { metric: "latency", direction: "lower" }),
    ]);
    expect(overall[0].relative).toBeCloseTo((0.1 + (10 / 8 - 1)) / 2);
    expect(overall[1].relative).toBeCloseTo((-0.1 + (10 / 12 - 1)) / 2);
    expect(overall.map((p) => p.n)).toEqual([2, 2]);
  });

  it("prints a position as its mean, its standard error in points and n", () => {
    expect(atPosition({ position: 0, n: 6, relative: 0.0123, stderr: 0.004 })).toBe(
      "+1.2% ±0.4 (6)",
    );
    expect(atPosition({ position: 1, n: 1, relative: -0.008, stderr: NaN })).toBe("-0.8% (1)");
    expect(atPosition(undefined)).toBe("-");
    expect(byPosition([])).toEqual([]);
  });

  it("prints a table per headline metric, and says when there is nothing", () => {
    const lines = orderLines([placed("a", 0, 102), placed("a", 1, 98)]).join("\n");
    expect(lines).toMatch(/openssl-speed throughput \(kB\/s, higher is better\)/);
    expect(lines).toMatch(/^ {2}a +\+2\.0% \(1\) +-2\.0% \(1\)$/m);
    expect(lines).toMatch(/both sides: position 0: \+2\.0% \(1\), position 1: -2\.0% \(1\)/);
    expect(orderLines([])).toEqual([expect.stringMatching(/^order effect: no interleaved trial/)]);
  });
});

// ---- benchmark steps ----

/** A benchmark of one figure, "value N". */
const fake = {
  id: "fake",
  parse(raw: string) {
    const m = /^value (\d+)$/m.exec(raw);
    if (!m) throw new ParseError("fake", "no value");
    return {
      benchmark: "fake",
      toolVersion: "bash",
      metrics: [
        { name: "value", value: +m[1], unit: "ops/s", direction: "higher" as const, labels: {} },
      ],
    };
  },
};

/**
 * interleave.sh's output, without its pauses: per round its order, each unit's
 * turn and its targets' sections, each with its trial; a target's value is
 * 100 + 10 * its position + its section. Deterministic, so the provider and the
 * plain script print the same. It also prints what only the environment says.
 */
const interleaved = String.raw`
echo "@@@ round $VTB_ROUND order=${"$"}{VTB_ROUND_ORDER// /,}"
p=0
for u in $VTB_ROUND_ORDER; do
  echo "@@@ turn $VTB_ROUND unit=$u position=$p paused=- load=0.1 governor=- mhz=- kernel=k at=t"
  v="VTB_U${"$"}{u}_TARGETS"
  for t in ${"$"}{!v}; do
    echo "@@@ guest $t"
    echo "@@@ trial $VTB_ROUND"
    echo "value $((100 + 10 * p + t))"
    echo "@@@ end $VTB_ROUND rc=0 seconds=0.5"
    echo "@@@ guest-end $t"
  done
  p=$((p + 1))
done
echo "quoted: $QUOTED"
`;
/** A run alone: its runner's trials one after another. */
const alone = String.raw`
for i in $(seq 1 "$VTB_TRIALS"); do
  echo "@@@ trial $i"
  echo "value $((200 + i))"
  echo "@@@ end $i rc=0 seconds=0.25"
done
echo "quoted: $QUOTED"
`;

// Units 0 (section 0), 1 (sections 1 and 2, a group), 2 (section 3).
const interleavedInputs = {
  step: "local: fake on 4 targets, interleaved (3 rounds)",
  create: interleaved,
  environment: {
    VTB_U0_TARGETS: "0",
    VTB_U1_TARGETS: "1 2",
    VTB_U2_TARGETS: "3",
    QUOTED: "it's $HOME, `not run`",
  },
  rounds: {
    order: ["2 0 1", "0 1 2", "1 2 0", "0 2 1"],
    min: 3,
    targets: ["local/baseline/host", "local/lxc/a", "local/lxc/b", "local/kvm/vm"],
  },
  timeoutSeconds: 60,
};
const aloneInputs = {
  step: "local/vmware/vm: fake from local/baseline/host (2 trials)",
  create: alone,
  environment: { VTB_TRIALS: "2", QUOTED: "it's $HOME" },
  timeoutSeconds: 60,
};

describe("a benchmark step", () => {
  it("interleaved: its targets by section with their units, the orders of the rounds run", () => {
    const b = benchmarkStep({ ...interleavedInputs, roundsRun: 3 });
    expect(b).toEqual({
      kind: "interleaved",
      benchmark: "fake",
      targets: [
        { key: "local/baseline/host", section: 0, unit: 0 },
        { key: "local/lxc/a", section: 1, unit: 1 },
        { key: "local/lxc/b", section: 2, unit: 1 },
        { key: "local/kvm/vm", section: 3, unit: 2 },
      ],
      orders: ["2 0 1", "0 1 2", "1 2 0"],
    });
  });

  it("alone: its target and trials, a pair's client left out", () => {
    expect(benchmarkStep(aloneInputs)).toEqual({
      kind: "alone",
      benchmark: "fake",
      target: "local/vmware/vm",
      repeats: 2,
    });
    expect(benchmarkStep({ step: "local/lxc/ct: openssl-speed (3 trials)" })).toMatchObject({
      target: "local/lxc/ct",
      benchmark: "openssl-speed",
    });
  });

  it("refuses a step it cannot read, or a section no unit has", () => {
    expect(() => benchmarkStep({ step: "local: boot until SSH answers" })).toThrow(
      /not a benchmark step/,
    );
    expect(() =>
      benchmarkStep({ ...interleavedInputs, environment: { VTB_U0_TARGETS: "0" }, roundsRun: 1 }),
    ).toThrow(/no unit has section 1/);
  });
});

// ---- the plain script against the provider ----

let sshd: TestSshd;
const work = scratchDir("vtb-bench-harness-test-");
beforeAll(async () => {
  sshd = await startSshd();
}, 30_000);
afterAll(() => {
  sshd?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

/** The step as `up` records it: the real provider runs its inputs. */
async function recorded(inputs: Record<string, unknown>, name: string): Promise<Step> {
  const { outs } = await provider.create!(inputs);
  return {
    ...(outs as Omit<Step, "urn">),
    urn: `urn:pulumi:harness::virt-testbed::${name}-trials`,
  };
}

/** The plain script of these steps, run: each step's output. */
function replay(steps: Step[], dir: string): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const { script, files } = plainScript(steps);
  for (const [name, text] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, name), text, { mode: 0o600 });
  }
  fs.writeFileSync(path.join(dir, "plain.sh"), script);
  const r = spawnSync("bash", [path.join(dir, "plain.sh"), dir], { encoding: "utf8" });
  expect(r.status).toBe(0);
  const times = fs.readFileSync(path.join(dir, "times"), "utf8").trim().split("\n");
  expect(times.every((l) => l.endsWith(" 0"))).toBe(true);
  return steps.map((_, i) =>
    fs.readFileSync(path.join(dir, `${String(i + 1).padStart(2, "0")}.out`), "utf8"),
  );
}

describe("the plain script", () => {
  const ssh = () => ({
    host: "127.0.0.1",
    port: sshd.port,
    user: sshd.user,
    privateKey: sshd.privateKey,
    connectTimeoutSeconds: 10,
  });
  let steps: Step[];
  let outs: string[];
  beforeAll(async () => {
    // The provider runs the first 3 of 4 rounds here: a stop rule would stop it
    // there; a record with fewer orders run than listed does the same.
    const three = {
      ...interleavedInputs,
      rounds: { ...interleavedInputs.rounds, order: interleavedInputs.rounds.order.slice(0, 3) },
    };
    steps = [
      await recorded(three, "local-fake"),
      await recorded({ ...three, connection: ssh() }, "remote-fake"),
      await recorded(aloneInputs, "local-vmware-vm-fake"),
      await recorded({ ...aloneInputs, connection: ssh() }, "remote-vmware-vm-fake"),
    ];
    // A record listing more orders than it ran: only the rounds run are replayed.
    steps[0] = { ...steps[0], rounds: interleavedInputs.rounds };
    outs = replay(steps, path.join(work, "plain"));
  }, 60_000);

  it("prints what the provider recorded, round by round, here and over ssh", () => {
    expect(steps.map((s) => s.roundsRun)).toEqual([3, 3, undefined, undefined]);
    outs.forEach((o, i) => expect(o).toBe(steps[i].stdout));
    expect(outs[0]).toMatch(/^@@@ round 3 order=1,2,0$/m);
    expect(outs[0]).not.toMatch(/^@@@ round 4/m);
    expect(outs[0]).toContain("quoted: it's $HOME, `not run`");
  });

  it("keeps keys and environments out of the script itself", () => {
    const { script, files } = plainScript(steps);
    expect(script).not.toContain("PRIVATE KEY");
    expect(script).not.toContain("QUOTED");
    expect(files["02.key"]).toContain("PRIVATE KEY");
    expect(files["01.rounds"]).toBe("2 0 1\n0 1 2\n1 2 0\n");
    expect(files["03.rounds"]).toBeUndefined();
  });

  it("gives each target its trials with their positions, both sides read alike", () => {
    const b = benchmarkStep(steps[0]);
    const plain = stepTrials(b, fake, outs[0], () => ({}));
    const harness = stepTrials(b, fake, steps[0].stdout, () => ({}));
    expect(plain).toEqual(harness);
    // Unit 1 (sections 1 and 2) at positions 2, 1, 0 in the three rounds.
    const a = plain.find((r) => r.target === "local/lxc/a")!;
    expect(a.trials.map((t) => [t.index, t.context?.position, t.result?.metrics[0].value])).toEqual(
      [
        [1, 2, 121],
        [2, 1, 111],
        [3, 0, 101],
      ],
    );
    const [one] = stepTrials(benchmarkStep(steps[2]), fake, outs[2], () => ({}));
    expect(one.trials.map((t) => t.result?.metrics[0].value)).toEqual([201, 202]);
    expect(one.trials[0].context).toBeUndefined();
  });

  it("feeds the order effect: headline values with positions, none from a run alone", () => {
    const runs = [
      ...stepTrials(benchmarkStep(steps[0]), fake, outs[0], () => ({})),
      ...stepTrials(benchmarkStep(steps[2]), fake, outs[2], () => ({})),
    ];
    const values = placedOf("plain", runs);
    expect(values).toHaveLength(12);
    const [e] = orderEffects(values);
    // Each position 10 above the one before, on targets of about 100: a clear effect.
    expect(e.pooled.map((p) => p.position)).toEqual([0, 1, 2]);
    expect(e.pooled[0].relative).toBeLessThan(0);
    expect(e.pooled[2].relative).toBeGreaterThan(0);
  });
});
