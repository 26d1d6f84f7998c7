// outcome(), compareToBaseline() and aggregateConcurrent() on trials made here,
// not parsed from a runner's output: what is asked, how the trials ran, which
// metrics make a comparison family, and tool versions that differ.
import type { Metric } from "../../../benchmarks/types";
import type { Trial } from "../../../components/measure/trials";
import { outcomeSchema, TrialContext } from "../../../components/results/schema";
import {
  aggregateConcurrent,
  assemble,
  compareToBaseline,
  outcome,
} from "../../../components/results/summarize";

const metric = (
  name: string,
  value: number,
  direction: Metric["direction"] = "higher",
): Metric => ({
  name,
  value,
  unit: direction === "higher" ? "ops/s" : "ms",
  direction,
  labels: {},
});

/** A trial whose output parsed into the given metrics. */
function trial(index: number, values: Record<string, number>, toolVersion = "1.0"): Trial {
  return {
    index,
    exitCode: 0,
    seconds: 1,
    raw: "",
    result: {
      benchmark: "b",
      toolVersion,
      metrics: Object.entries(values).map(([k, v]) =>
        metric(k, v, k === "lat" ? "lower" : "higher"),
      ),
    },
  };
}
const failed = (index: number, error: string): Trial => ({
  index,
  exitCode: 1,
  seconds: 1,
  raw: "",
  error,
});

/** n trials of rate r and latency l, each a little off (the i-th of a fixed pattern). */
function trials(n: number, r: number, l: number, toolVersion?: string): Trial[] {
  const wobble = [1, 1.01, 0.99, 1.005, 0.995, 1.002];
  return Array.from({ length: n }, (_, i) =>
    trial(
      i + 1,
      { rate: r * wobble[i % 6], lat: l * wobble[(i + 3) % 6], ops: 7 * wobble[(i + 1) % 6] },
      toolVersion,
    ),
  );
}

describe("outcome: trials asked for", () => {
  it("is ok only with as many results as asked, and no failed trial", () => {
    expect(outcome(trials(3, 100, 10)).status).toBe("ok");
    expect(outcome(trials(3, 100, 10)).asked).toBe(3);
    expect(outcome(trials(3, 100, 10), { asked: 3 })).toMatchObject({ status: "ok", asked: 3 });
    expect(outcome(trials(3, 100, 10), { asked: 3 }).message).toBeUndefined();
    const short = outcome(trials(3, 100, 10), { asked: 5 });
    expect(short).toMatchObject({
      status: "partial",
      asked: 5,
      message: "3 of 5 asked gave a result; 2 not in the run's output",
    });
    const bad = outcome([...trials(2, 100, 10), failed(3, "exited with code 1: boom")], {
      asked: 3,
    });
    expect(bad.status).toBe("partial");
    expect(bad.message).toBe(
      "2 of 3 asked gave a result; 1 gave none (1 failed): trial 3: exited with code 1: boom",
    );
    expect(outcome([], { asked: 4 })).toMatchObject({
      status: "failed",
      message: "0 of 4 asked gave a result: no trial in the run's output",
    });
  });

  it("copies why the trials stopped and the order they ran in, and each trial's context", () => {
    const context: TrialContext = {
      round: 2,
      position: 1,
      startedAt: "2026-11-21T22:45:10.000Z",
      paused: ["s/kvm/vm-1"],
      host: { load1: 0.02, governor: "performance", mhz: 2400, kernel: "6.1.0-26-amd64" },
    };
    const ts = trials(2, 100, 10);
    const withContext = [{ ...ts[0], context } as Trial, ts[1]];
    const schedule = {
      seed: "run-7",
      method: "randomized round-robin, every target once per round",
      rounds: [
        ["s/baseline/host", "s/kvm/vm-0"],
        ["s/kvm/vm-0", "s/baseline/host"],
      ],
    };
    const o = outcome(withContext, { stopped: "precision ±2% reached after 2 rounds", schedule });
    expect(o).toMatchObject({
      stopped: "precision ±2% reached after 2 rounds",
      schedule,
      asked: 2,
    });
    expect(o.trials[0].context).toEqual(context);
    expect(o.trials[1]).not.toHaveProperty("context");
    expect(outcomeSchema.parse(o)).toEqual(o);
    // None of it given: none of it written (but asked, always).
    expect(Object.keys(outcome(ts))).toEqual([
      "status",
      "toolVersion",
      "asked",
      "trials",
      "metrics",
    ]);
  });

  it("writes each metric's mean, cv and n", () => {
    const m = outcome(trials(3, 100, 10)).metrics.rate;
    expect(m.n).toBe(3);
    expect(m.mean).toBeCloseTo((100 + 101 + 99) / 3, 10);
    expect(m.cv).toBeCloseTo(m.stdev / m.mean!, 12);
  });
});

describe("compareToBaseline: families and tool versions", () => {
  const run = (platform: string, guest: string, ts: Trial[]) => ({
    server: "s",
    platform,
    guest,
    benchmark: "b",
    trials: ts,
  });

  it("makes a target's benchmark one family: the metrics it shares with bare metal", () => {
    const results = assemble([
      run("baseline", "host", trials(5, 100, 10)),
      // The VM lacks "ops": two metrics shared.
      run(
        "kvm",
        "vm",
        trials(5, 90, 11).map((t) => ({
          ...t,
          result: { ...t.result!, metrics: t.result!.metrics.filter((m) => m.name !== "ops") },
        })),
      ),
      run("xen", "vm", trials(5, 100, 10)),
    ]);
    const c = compareToBaseline(results).s;
    expect(Object.keys(c.kvm.vm.b)).toEqual(["rate", "lat"]);
    expect(c.kvm.vm.b.rate).toMatchObject({ family: 2, verdict: "slower", level: 0.95 });
    expect(c.kvm.vm.b.lat).toMatchObject({ family: 2, verdict: "slower" });
    expect(c.kvm.vm.b.rate.method).toBe(
      "Welch t on log values, 95% family-wise over 2 metrics (Bonferroni)",
    );
    expect(c.xen.vm.b.rate).toMatchObject({
      family: 3,
      verdict: "no difference found",
      percentOfBaseline: 100,
    });
    expect(c.xen.vm.b.rate).not.toHaveProperty("toolVersions");
  });

  it("flags every comparison of a benchmark whose tool version differs from bare metal's", () => {
    const results = assemble([
      run("baseline", "host", trials(3, 100, 10, "2.0")),
      run("kvm", "vm", trials(3, 100, 10, "2.1")),
      run("kvm", "vm-1", trials(3, 100, 10, "2.0")),
    ]);
    const c = compareToBaseline(results).s.kvm;
    for (const k of ["rate", "lat", "ops"]) {
      expect(c.vm.b[k].toolVersions).toEqual({ target: "2.1", baseline: "2.0" });
      expect(c["vm-1"].b[k]).not.toHaveProperty("toolVersions");
    }
  });

  it("compares a concurrent group with bare metal as one family, flagging other versions", () => {
    const results = assemble([
      run("baseline", "host", trials(4, 100, 10, "2.0")),
      run("kvm", "vm-0", trials(4, 40, 20, "2.0")),
      run("kvm", "vm-1", trials(4, 40, 20, "2.1")),
    ]);
    const a = aggregateConcurrent(results, [
      { server: "s", platform: "kvm", benchmark: "b", guests: ["vm-0", "vm-1"] },
    ]).s.kvm.b;
    // Two guests at 40 each: 80% of bare metal's 100.
    expect(a.rate.vsBaseline).toMatchObject({ family: 3, verdict: "slower" });
    expect(a.rate.vsBaseline!.percentOfBaseline).toBeCloseTo(80, 0);
    expect(a.rate.vsBaseline!.toolVersions).toEqual({ target: "2.0, 2.1", baseline: "2.0" });
    expect(a.rate).toMatchObject({ n: 4 });
  });
});
