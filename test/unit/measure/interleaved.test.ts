import { ChildProcess, spawn } from "child_process";
import { once } from "events";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { benchmarks, pairs } from "../../../benchmarks";
import { iperf3 } from "../../../benchmarks/iperf";
import { BenchmarkModule, ParseError } from "../../../benchmarks/types";
import { commandProvider } from "../../../components/command";
import { InterleavedRun, Unit } from "../../../components/measure/interleaved";
import { roundOrders } from "../../../components/measure/order";
import { BenchmarkRun } from "../../../components/measure/run";
import { Target } from "../../../components/measure/target";
import { Trial } from "../../../components/measure/trials";
import { freePort, startSshd, TestSshd } from "../../helpers/sshd";
import { scratchDir } from "../../helpers/scratch";

// An interleaved run for real: the class's Command, its inputs executed by the
// real provider (rounds, stop rule, stream) running interleave.sh on this
// machine, into bare metal and over SSH into "guests" (a loopback sshd).

/** A trial that prints when it started and ended, on this machine's clock. */
const clock: BenchmarkModule = {
  id: "clock",
  description: "start and end of a short sleep",
  packages: [],
  parameters: z.object({}),
  quick: {},
  // And how many SSH keys its environment holds: none, though the step's does.
  script:
    `echo "start $(date +%s.%N)"; sleep 0.3; echo "end $(date +%s.%N)"; ` +
    `echo "keys $(env | grep -c '^[A-Z0-9_]*_SSH_KEY=')"`,
  environment: () => ({}),
  parse(raw) {
    const m = /^start ([\d.]+)\nend ([\d.]+)$/m.exec(raw);
    if (!m) throw new ParseError("clock", "no start and end");
    return {
      benchmark: "clock",
      toolVersion: "date",
      metrics: [
        { name: "start", value: +m[1], unit: "s", direction: "lower", labels: {} },
        { name: "end", value: +m[2], unit: "s", direction: "lower", labels: {} },
      ],
    };
  },
};

/** A trial whose one figure is noise: 50 to 150, never precise to a few percent in a few trials. */
const noisy: BenchmarkModule = {
  ...clock,
  id: "noisy",
  script: "echo value $((50 + RANDOM % 101))",
  parse(raw) {
    const m = /^value (\d+)$/m.exec(raw);
    if (!m) throw new ParseError("noisy", "no value");
    const metric = { name: "value", value: +m[1], unit: "ops/s", labels: {} };
    return {
      benchmark: "noisy",
      toolVersion: "bash",
      metrics: [{ ...metric, direction: "higher" as const }],
    };
  },
};
/** One figure that is always the same: precise at once. */
const steady: BenchmarkModule = { ...noisy, id: "steady", script: "echo value 100" };

const mockReported: string[] = [];
jest.mock("../../../components/failure", () => ({
  reportFailure: (message: string) => mockReported.push(message),
}));

let sshd: TestSshd;
let closed: number;
// As the program has it: results/<stack>/trials/, each folder root's alone (measure/live.ts checks).
const stream = path.join(scratchDir("vtb-interleaved-"), "results", "unit", "trials");
const made = new Map<string, Record<string, unknown>>();

/** Inputs as the engine hands them to the provider: a secret is its value. */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (o[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return plain(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

beforeAll(async () => {
  sshd = await startSshd();
  closed = await freePort();
  // The stop rule finds a benchmark by its id, in the provider's process: here, this one.
  Object.assign(benchmarks, { noisy, steady });
  await pulumi.runtime.setMocks(
    {
      // Each Command runs for real, through the provider, as `up` would run it.
      newResource: async (args) => {
        const inputs = {
          ...(plain(args.inputs) as Record<string, unknown>),
          streamTo: { dir: stream, name: args.name },
        };
        const { outs } = await commandProvider.create(inputs);
        made.set(args.name, outs);
        return { id: `${args.name}-id`, state: outs };
      },
      call: (args) => args.inputs,
    },
    "virt-testbed",
    "unit",
    false,
  );
}, 60_000);
afterAll(() => {
  sshd?.stop();
  fs.rmSync(stream, { recursive: true, force: true });
  for (const id of ["noisy", "steady"]) delete benchmarks[id];
});

const value = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));
const host: Target = {
  server: "local",
  platform: "baseline",
  guest: "host",
  ready: [],
  info: pulumi.output({}),
};
const guest = (name: string, port: number, failure = ""): Target => ({
  server: "local",
  platform: "kvm",
  guest: name,
  ready: [],
  info: pulumi.output({}),
  failure: pulumi.output(failure),
  // Not a domain libvirt has: pausing it fails, which the run says and carries on.
  pause: { via: "libvirt", name: `vtb-unit-no-such-domain-${name}` },
  peer: {
    way: { via: "ssh", host: "127.0.0.1", port, privateKey: sshd.privateKey },
    bind: "10.0.2.15",
    connect: (p) => ({ host: "127.0.0.1", port: p }),
  },
});
const parent = new pulumi.ComponentResource("test:index:Parent", "p");
const run = (
  name: string,
  units: Unit[],
  m: BenchmarkModule,
  how: {
    repeats: number;
    precision?: { percent: number; minRepeats: number; maxRepeats: number };
    trialTimeoutSeconds?: number;
  },
) =>
  new InterleavedRun(
    name,
    {
      units,
      module: m,
      params: {},
      trialTimeoutSeconds: 30,
      ...how,
      order: { method: "random", seed: "unit-seed" },
      guests: units.flatMap((u) => (u.kind === "group" ? u.targets : [u.target])),
      background: false,
      after: [],
      stack: "unit",
    },
    { parent },
  );
const trialsOf = (r: InterleavedRun) => Promise.all(r.members.map((m) => value(m.run.trials)));
const times = (t: Trial) => t.result!.metrics.map((m) => m.value);

describe("an interleaved run, for real", () => {
  let r: InterleavedRun;
  let trials: Trial[][];
  const units = () => {
    const [a, b, c, d] = ["a", "b", "c", "d"].map((n) => guest(`vm-${n}`, sshd.port));
    return [
      { kind: "run", target: host },
      { kind: "run", target: a },
      { kind: "group", targets: [b, c] },
      { kind: "run", target: guest("vm-gone", closed) },
      { kind: "run", target: guest("vm-down", sshd.port, "boot timed out") },
      { kind: "run", target: d },
    ] as Unit[];
  };
  beforeAll(async () => {
    r = run("local-clock", units(), clock, { repeats: 3 });
    trials = await trialsOf(r);
  }, 120_000);

  it("is one Command for the server's targets, whose rounds follow the seeded orders", () => {
    expect([...made.keys()].filter((n) => n.startsWith("local-clock"))).toEqual([
      "local-clock-trials",
    ]);
    const outs = made.get("local-clock-trials")!;
    const orders = roundOrders(6, 3, "random", "unit-seed");
    expect((outs.rounds as { order: string[] }).order).toEqual(orders.map((o) => o.join(" ")));
    expect(
      [...String(outs.stdout).matchAll(/^@@@ round (\d+) order=(\S+) mitigations=/gm)].map(
        (m) => m[2],
      ),
    ).toEqual(orders.map((o) => o.join(",")));
    expect(outs.stopped).toBe("3 rounds, as asked");
    expect(outs.roundsRun).toBe(3);
  });

  it("gives every target one trial per round, numbered by the round, with its turn's place", () => {
    const orders = roundOrders(6, 3, "random", "unit-seed");
    // Targets in section order: host, a, b, c (one unit), gone, down, d.
    const unitOf = [0, 1, 2, 2, 3, 4, 5];
    for (const [i, ts] of trials.entries()) {
      if (i === 4 || i === 5) continue;
      expect(ts.map((t) => [t.index, t.context?.round])).toEqual([
        [1, 1],
        [2, 2],
        [3, 3],
      ]);
      ts.forEach((t, r) => expect(t.context?.position).toBe(orders[r].indexOf(unitOf[i])));
    }
  });

  it("runs one unit at a time in the round's order, a group's guests at once", () => {
    const orders = roundOrders(6, 3, "random", "unit-seed");
    for (let r = 0; r < 3; r++) {
      // Each unit's start in the round: its first target's; the two down ones have none.
      const starts = orders[r]
        .filter((u) => u !== 3 && u !== 4)
        .map((u) => times(trials[[0, 1, 2, 4, 5, 6][u]][r])[0]);
      expect(starts).toEqual([...starts].sort((x, y) => x - y));
      // The trial before ends before the next one starts.
      const order = orders[r].filter((u) => u !== 3 && u !== 4).map((u) => [0, 1, 2, 4, 5, 6][u]);
      for (let k = 1; k < order.length; k++) {
        expect(times(trials[order[k]][r])[0]).toBeGreaterThanOrEqual(
          times(trials[order[k - 1]][r])[1],
        );
      }
      // vm-b and vm-c, one unit, start together.
      expect(Math.abs(times(trials[2][r])[0] - times(trials[3][r])[0])).toBeLessThan(0.25);
    }
  });

  it("says why a target gave nothing: a way in that failed, a target that never came up", () => {
    expect(trials[4].map((t) => t.error)).toEqual(
      Array(3).fill(expect.stringMatching(/^could not enter the target \(exit 255\)/)),
    );
    expect(trials[5]).toHaveLength(3);
    expect(trials[5][0].error).toBe("not run: the target failed: boot timed out");
    expect(mockReported).toContainEqual(expect.stringMatching(/vm-down: clock: not run/));
  });

  it("records what it tried to pause for each turn, and the host just before", () => {
    const outs = made.get("local-clock-trials")!;
    // No such domain: said, and measured beside it rather than not at all.
    expect(String(outs.stderr)).toMatch(/could not pause local\/kvm\/vm-a \(measured beside it\)/);
    const c = trials[0][0].context!;
    expect(c.paused).toEqual([]);
    expect(Number(c.host.load1)).toBeGreaterThanOrEqual(0);
    expect(String(c.host.kernel)).toBe(os.release());
    // Other work on the host just before, in CPUs' worth, and the server's state that round.
    expect(c.host.busyCpus).toBeGreaterThanOrEqual(0);
    expect(c.host.busyCpus).toBeLessThanOrEqual(os.cpus().length);
    expect(c.host.quietWaitSeconds).toBeGreaterThanOrEqual(0);
    expect(c.host.quietWaitSeconds).toBeLessThanOrEqual(11);
    expect(c.host).toMatchObject({
      mitigations: expect.stringMatching(/^\S+$/),
      vulnerable: expect.stringMatching(/^(-|[a-z0-9_]+(,[a-z0-9_]+)*)$/),
      fs: expect.stringMatching(/^\S+:\S+$/),
      nic: expect.stringMatching(/^(-|\S+:\S+)$/),
    });
  });

  it("keeps the guests' keys out of the environment of what it runs, bare metal's benchmark included", () => {
    for (const i of [0, 1, 2, 3, 6]) {
      for (const t of trials[i]) expect(t.raw).toMatch(/^keys 0$/m);
    }
  });

  it("streams each round to its file as it ends, and keeps keys out of everything", () => {
    const [file] = fs.readdirSync(stream).filter((f) => f.startsWith("local-clock-trials."));
    const streamed = fs.readFileSync(path.join(stream, file), "utf8");
    expect(streamed).toBe(made.get("local-clock-trials")!.stdout);
    expect(streamed + String(made.get("local-clock-trials")!.stderr)).not.toContain("PRIVATE KEY");
  });

  it("is described by its schedule: the seed, and the targets in the order they ran", async () => {
    const s = await value(r.members[0].run.schedule!);
    expect(s.seed).toBe("unit-seed");
    expect(s.rounds).toHaveLength(3);
    expect([...s.rounds[0]].sort()).toEqual(
      [
        "local/baseline/host",
        "local/kvm/vm-a",
        "local/kvm/vm-b",
        "local/kvm/vm-c",
        "local/kvm/vm-gone",
        "local/kvm/vm-down",
        "local/kvm/vm-d",
      ].sort(),
    );
    expect(await value(r.members[0].run.asked!)).toBe(3);
  });
});

describe("adaptive repeats, for real", () => {
  const pair = () =>
    [
      { kind: "run", target: host },
      { kind: "run", target: guest("vm-p", sshd.port) },
    ] as Unit[];

  it("stops as soon as the precision asked for is reached, from the fewest rounds on", async () => {
    const r = run("local-steady", pair(), steady, {
      repeats: 2,
      precision: { percent: 2, minRepeats: 2, maxRepeats: 6 },
    });
    const [a, b] = await trialsOf(r);
    expect(a).toHaveLength(2);
    expect(b).toHaveLength(2);
    expect(await value(r.members[1].run.stopped!)).toMatch(
      /^precision ±2\.0% reached after 2 rounds/,
    );
  }, 60_000);

  it("judges bare metal alone (a run of its own, as before a reboot into Xen) by its own spread", async () => {
    const r = run("local-alone", [{ kind: "run", target: host }], steady, {
      repeats: 2,
      precision: { percent: 2, minRepeats: 2, maxRepeats: 6 },
    });
    const [a] = await trialsOf(r);
    expect(a).toHaveLength(2);
    expect(await value(r.members[0].run.stopped!)).toMatch(
      /^precision ±2\.0% reached after 2 rounds \(widest ±\d+\.\d%: .* on local\/baseline\/host\)/,
    );
  }, 60_000);

  it("goes on to the most rounds allowed when the trials cannot get that precise, and says so", async () => {
    const r = run("local-noisy", pair(), noisy, {
      repeats: 2,
      precision: { percent: 0.5, minRepeats: 2, maxRepeats: 4 },
    });
    const [a, b] = await trialsOf(r);
    expect(a).toHaveLength(4);
    expect(b).toHaveLength(4);
    expect(await value(r.members[0].run.stopped!)).toMatch(
      /^4 rounds, the most allowed, before ±0\.5%: widest ±\d/,
    );
  }, 60_000);
});

describe("a pair's turn, for real", () => {
  // The "guest" is this machine over SSH; its server listens on loopback.
  const served = (): Target => {
    const g = guest("vm-served", sshd.port);
    return {
      ...g,
      peer: { ...g.peer!, bind: "127.0.0.1", connect: (p) => ({ host: "127.0.0.1", port: p }) },
    };
  };
  const pairRun = (name: string, m: BenchmarkModule, port: number) =>
    new InterleavedRun(
      name,
      {
        units: [{ kind: "pair", target: served() }],
        module: m,
        pair: pairs.iperf3,
        params: iperf3.parameters.parse({ ...iperf3.quick, duration: 1, port }),
        repeats: 1,
        trialTimeoutSeconds: 30,
        order: { method: "random", seed: "unit-seed" },
        guests: [],
        background: false,
        after: [],
        stack: "unit",
      },
      { parent },
    );

  it("says when the way into the guest failed and its server was left, and stops it at the next start", async () => {
    const warned = jest.spyOn(pulumi.log, "warn");
    const port = await freePort();
    let restarted = false;
    // The way in goes down during the trial (as a stalled guest network's did).
    const cut = { ...(iperf3 as BenchmarkModule), script: `kill ${sshd.pid}\n${iperf3.script}` };
    try {
      const [[t]] = await trialsOf(pairRun("local-cut", cut, port));
      expect(t.error).toBeUndefined();
      const left = /^could not stop the pair's server \(PID (\d+) in its target\)/m.exec(
        String(made.get("local-cut-trials")!.stderr),
      );
      expect(left).not.toBeNull();
      expect(warned).toHaveBeenCalledWith(
        expect.stringMatching(/^local: iperf3: could not stop the pair's server/),
        expect.anything(),
      );
      await sshd.restart();
      restarted = true;
      const [[again]] = await trialsOf(pairRun("local-again", iperf3 as BenchmarkModule, port));
      expect(again.error).toBeUndefined();
      expect(String(made.get("local-again-trials")!.stderr)).toContain(
        `stopped the server an earlier run of this pair left running (PID ${left![1]})\n`,
      );
      expect(warned).toHaveBeenCalledWith(
        `local: iperf3: stopped the server an earlier run of this pair left running (PID ${left![1]})`,
        expect.anything(),
      );
    } finally {
      warned.mockRestore();
      // The tests after this one need it.
      if (!restarted) await sshd.restart();
    }
  }, 120_000);
});

describe("two stacks measuring on one server, for real", () => {
  const lock = "/var/lib/virt-testbed/host/measure.lock";
  const span = (t: Trial) => times(t) as [number, number];
  // Another measurement holding the server: the process holding the lock is
  // the one killed (`flock lock sleep` left its sleep holding it for seconds
  // after the test, and the next test file's pilot found the server held).
  const holdLock = (seconds: number) =>
    spawn(
      "bash",
      ["-c", 'exec 9>>"$1" && flock 9 && exec sleep "$2"', "hold", lock, `${seconds}`],
      {
        stdio: "ignore",
      },
    );
  const release = async (holder: ChildProcess) => {
    if (holder.exitCode !== null || holder.signalCode !== null) return;
    const exited = once(holder, "exit");
    holder.kill();
    await exited;
  };

  it("take turns: no trial of one overlaps a trial of the other, and a turn says how long it waited", async () => {
    // Two runs of three rounds at once, as two stacks' `up` on one machine would start them.
    const [one, two] = [
      run("one-clock", [{ kind: "run", target: host }], clock, { repeats: 3 }),
      run("two-clock", [{ kind: "run", target: host }], clock, { repeats: 3 }),
    ];
    const trials = (await Promise.all([trialsOf(one), trialsOf(two)])).flat(2);
    expect(trials).toHaveLength(6);
    const spans = trials.map(span).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i][0]).toBeGreaterThan(spans[i - 1][1]);
    const waits = trials.map((t) => t.context?.host.lockWaitSeconds);
    expect(waits.every((w) => typeof w === "number")).toBe(true);
    expect(Math.max(...(waits as number[]))).toBeGreaterThan(0);
  }, 120_000);

  it("does not run a turn past its wait for another's, and says why", async () => {
    // Another measurement holds the server for 8 s; this one waits 2 s at most.
    const holder = holdLock(8);
    try {
      await new Promise((r) => setTimeout(r, 500));
      const r = run("held-clock", [{ kind: "run", target: host }], clock, {
        repeats: 1,
        trialTimeoutSeconds: 2,
      });
      const [[t]] = await trialsOf(r);
      expect(t.result).toBeUndefined();
      expect(t.error).toMatch(
        /^not run: another virt-testbed measurement on this server held \/var\/lib\/virt-testbed\/host\/measure\.lock for 2 s/,
      );
    } finally {
      await release(holder);
    }
  }, 60_000);

  // A pilot (schedule.ts pilotRun) runs while the guests are set up, beside no one's turn.
  const pilot = (name: string) =>
    new BenchmarkRun(
      name,
      { target: host, module: clock, params: {}, repeats: 1, trialTimeoutSeconds: 30, pilot: true },
      { parent },
    );

  it("a pilot and another stack's run never overlap: it runs in the lock, or is not run", async () => {
    const other = run("other-clock", [{ kind: "run", target: host }], clock, { repeats: 3 });
    const p = pilot("local-clock");
    const [theirs, [ours]] = await Promise.all([trialsOf(other), value(p.trials)]);
    expect(made.get("local-clock-pilot")?.step).toBe(
      "local/baseline/host: clock (pilot: 1 trial, not counted)",
    );
    expect(theirs.flat().every((t) => t.error === undefined)).toBe(true);
    if (ours.error) {
      expect(ours.error).toMatch(/not run: another measurement holds this server/);
      return;
    }
    const [a0, a1] = span(ours);
    for (const t of theirs.flat()) {
      const [b0, b1] = span(t);
      expect(b1 < a0 || b0 > a1).toBe(true);
    }
  }, 120_000);

  it("a pilot does not wait for another's turn: not run, saying why, and the turn goes on", async () => {
    const holder = holdLock(8);
    try {
      await new Promise((r) => setTimeout(r, 500));
      const t0 = Date.now();
      const [t] = await value(pilot("held-clock").trials);
      expect(Date.now() - t0).toBeLessThan(6000);
      expect(t.result).toBeUndefined();
      expect(t.error).toMatch(
        /^exited with code 75: not run: another measurement holds this server; a pilot does not wait/,
      );
    } finally {
      await release(holder);
    }
  }, 60_000);
});
