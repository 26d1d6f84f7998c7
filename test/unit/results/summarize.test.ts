import * as fs from "fs";
import * as path from "path";
import { opensslSpeed } from "../../../benchmarks/openssl-speed";
import {
  aggregateConcurrent,
  assemble,
  compareToBaseline,
  metricKey,
  outcome,
} from "../../../components/results/summarize";
import { parseTrials, secondsInTrials, Trial } from "../../../components/measure/trials";
import { rerunPatternFor, runner, trialsFrom } from "../../../components/measure/run";
import { runScript } from "../../../components/command";

const raw = fs.readFileSync(
  path.join(
    __dirname,
    "..",
    "..",
    "fixtures",
    "benchmarks",
    "openssl-speed",
    "openssl-3.0-bookworm.txt",
  ),
  "utf8",
);
const params = opensslSpeed.parameters.parse({});

/** Runner output (components/measure/runner.sh) around the given trial outputs. */
function runnerOutput(trials: { out: string; rc?: number; stderr?: string }[]): string {
  return trials
    .map((t, i) => {
      const n = i + 1;
      const err = t.rc ? `@@@ stderr ${n}\n${t.stderr ?? ""}\n` : "";
      return `@@@ trial ${n}\n${t.out}${t.out.endsWith("\n") ? "" : "\n"}${err}@@@ end ${n} rc=${t.rc ?? 0} seconds=1.500`;
    })
    .join("\n");
}

/** The fixture with every throughput number scaled, as another platform would print it. */
function scaled(factor: number): string {
  return raw.replace(
    /(\s)(\d+\.\d+)k/g,
    (_m, sp: string, v: string) => `${sp}${(parseFloat(v) * factor).toFixed(2)}k`,
  );
}

describe("parseTrials", () => {
  it("splits the runner's output and parses every trial", () => {
    const trials = parseTrials(opensslSpeed, runnerOutput([{ out: raw }, { out: raw }]), params);
    expect(trials).toHaveLength(2);
    expect(trials.every((t) => t.result !== undefined && t.seconds === 1.5)).toBe(true);
  });

  it("keeps a failed trial with its reason, and parses the rest", () => {
    const out = runnerOutput([{ out: raw }, { out: "", rc: 124 }, { out: raw.slice(0, 200) }]);
    const trials = parseTrials(opensslSpeed, out, params);
    expect(trials.map((t) => t.error === undefined)).toEqual([true, false, false]);
    expect(trials[1].error).toMatch(/timed out/);
    expect(trials[2].error).toMatch(/^openssl-speed: /);
  });
});

describe("trials counted against the repeats asked for", () => {
  const three = runnerOutput([{ out: raw }, { out: raw }, { out: raw }]);
  const summary = (trials: Trial[]) => {
    const o = outcome(trials);
    return { status: o.status, message: o.message };
  };

  it("is ok with every trial there and parsed", () => {
    expect(summary(parseTrials(opensslSpeed, three, params, 3))).toEqual({
      status: "ok",
      message: undefined,
    });
  });

  it("is not ok when the output lacks a trial's markers, and says which and how many", () => {
    // Trial 2's block gone, as a run output missing a trial marker has it.
    const lacking = three.replace(/^@@@ trial 2\n[\s\S]*?^@@@ end 2 .*\n/m, "");
    expect(lacking).not.toContain("@@@ trial 2");
    const trials = parseTrials(opensslSpeed, lacking, params, 3);
    expect(trials.map((t) => [t.index, t.result !== undefined])).toEqual([
      [1, true],
      [2, false],
      [3, true],
    ]);
    expect(summary(trials)).toEqual({
      status: "partial",
      message:
        '2 of 3 asked gave a result; 1 gave none (1 missing): trial 2: missing from the run\'s output (no "@@@ trial" line for it)',
    });
    // The last trial gone: nothing in the output says it was asked for but the repeats.
    const short = runnerOutput([{ out: raw }, { out: raw }]);
    expect(summary(parseTrials(opensslSpeed, short, params, 3)).message).toMatch(
      /^2 of 3 asked gave a result; 1 gave none \(1 missing\): trial 3: missing/,
    );
    expect(summary(parseTrials(opensslSpeed, "", params, 3))).toEqual({
      status: "failed",
      message: expect.stringMatching(
        /^0 of 3 asked gave a result; 3 gave none \(3 missing\): trials 1, 2, 3: missing/,
      ),
    });
  });

  it("is not ok when the output was cut inside a trial, with or without the repeats", () => {
    const cut = three.slice(0, three.lastIndexOf("@@@ end 3"));
    for (const repeats of [3, undefined]) {
      const trials = parseTrials(opensslSpeed, cut, params, repeats);
      expect(trials).toHaveLength(3);
      expect(trials[2].error).toMatch(
        /^cut: its output stops after \d+ characters, before "@@@ end 3"$/,
      );
      expect(trials[2].raw).toBe(raw.endsWith("\n") ? raw : `${raw}\n`);
      expect(summary(trials).status).toBe("partial");
      expect(summary(trials).message).toMatch(
        /^2 of 3 asked gave a result; 1 gave none \(1 missing\): trial 3: cut/,
      );
    }
  });

  it("counts a trial twice or past the repeats as failed, never as one more result", () => {
    const twice = `${three}\n${runnerOutput([{ out: raw }])}`;
    const trials = parseTrials(opensslSpeed, twice, params, 3);
    expect(trials.map((t) => [t.index, t.error ?? "ok"])).toEqual([
      [1, "seen twice in the run's output: it is not one run's"],
      [2, "ok"],
      [3, "ok"],
    ]);
    expect(
      outcome(trials).metrics["throughput[algorithm=aes-128-cbc,blockBytes=16]"].trials,
    ).toHaveLength(2);
    expect(summary(trials).status).toBe("partial");
    expect(summary(parseTrials(opensslSpeed, three, params, 2)).message).toBe(
      "2 of 3 asked gave a result; 1 gave none (1 failed): trial 3: not asked for (trials 1 to 2)",
    );
  });

  it("makes a run that did not happen one failed trial per repeat, saying why once", () => {
    const trials = trialsFrom(
      opensslSpeed,
      "",
      "not run: the target failed",
      params,
      "s",
      {} as never,
      false,
      3,
    );
    expect(summary(trials)).toEqual({
      status: "failed",
      message:
        "0 of 3 asked gave a result; 3 gave none (3 failed): trials 1, 2, 3: not run: the target failed",
    });
  });

  it("fails a run whose output would be cut, naming the step and the size", async () => {
    // The real runner, three trials of 1000 bytes each, under a limit of 2500 bytes.
    const step = "local/baseline/host: openssl-speed (3 trials)";
    const env = {
      VTB_TRIALS: "3",
      VTB_TRIAL_TIMEOUT: "30",
      VTB_BENCH_SCRIPT: "head -c 1000 /dev/zero | tr '\\0' x; echo",
    };
    const why = await runScript(runner, env, 30, step, 2500).then(
      () => "",
      (e: Error) => e.message,
    );
    expect(why).toMatch(
      /^local\/baseline\/host: openssl-speed \(3 trials\): printed 3\d{3} bytes \(0\.0 MiB\) on stdout, more than the 2500 bytes/,
    );
    const trials = trialsFrom(opensslSpeed, "", why, params, step, {} as never, false, 3);
    expect(summary(trials).status).toBe("failed");
    expect(summary(trials).message).toMatch(
      /^0 of 3 asked gave a result; 3 gave none \(3 failed\): trials 1, 2, 3: .*printed 3\d{3} bytes/,
    );
  });
});

describe("rerunPatternFor", () => {
  // As the provider's diff reads it: over the recorded stdout, multi-line.
  const reruns = (out: string, repeats = 3) => new RegExp(rerunPatternFor(repeats), "m").test(out);

  it("leaves a whole run alone and reruns one that lost or failed trials", () => {
    const three = runnerOutput([{ out: raw }, { out: raw }, { out: raw }]);
    expect(reruns(three)).toBe(false);
    expect(reruns(runnerOutput([{ out: raw }, { out: raw }]))).toBe(true);
    expect(reruns(three.slice(0, three.lastIndexOf("@@@ end 3")))).toBe(true);
    // A trial cut in the middle, the next one whole: the cut one never ended.
    expect(reruns(three.replace(/^@@@ end 2 .*\n/m, ""))).toBe(true);
    expect(reruns(runnerOutput([{ out: raw }, { out: "", rc: 1 }, { out: raw }]))).toBe(true);
    expect(reruns("@@@ not run")).toBe(true);
    expect(reruns(three, 4)).toBe(true);
  });
});

describe("secondsInTrials", () => {
  it("sums the runner's own clock over every trial, failed ones too", () => {
    const out = runnerOutput([{ out: raw }, { out: "", rc: 124 }, { out: raw }]);
    expect(secondsInTrials(out)).toBeCloseTo(4.5, 6);
    expect(secondsInTrials("no trials here")).toBe(0);
  });
});

describe("results", () => {
  it("summarizes each metric over the trials and reports a partial run", () => {
    const o = outcome(
      parseTrials(opensslSpeed, runnerOutput([{ out: raw }, { out: "", rc: 1 }]), params),
    );
    expect(o.status).toBe("partial");
    expect(o.toolVersion).toMatch(/^OpenSSL 3\.0/);
    const k = metricKey({
      name: "throughput",
      labels: { algorithm: "aes-128-cbc", blockBytes: "16" },
    });
    expect(k).toBe("throughput[algorithm=aes-128-cbc,blockBytes=16]");
    expect(o.metrics[k].trials).toEqual([849684.43]);
  });

  it("compares each platform with the same server's bare metal", () => {
    const rec = (platform: string, guest: string, out: string) => ({
      server: "s",
      platform,
      guest,
      benchmark: "openssl-speed",
      trials: parseTrials(opensslSpeed, runnerOutput([{ out }, { out }, { out }]), params),
    });
    const results = assemble([rec("baseline", "host", raw), rec("kvm", "vm", scaled(0.5))]);
    const c = compareToBaseline(results).s.kvm.vm["openssl-speed"];
    const k = "throughput[algorithm=aes-128-cbc,blockBytes=16]";
    expect(c[k].percentOfBaseline).toBeCloseTo(50, 1);
    // Identical trials on each side: no variance, so the interval is the point, and 50% is slower.
    expect(c[k].verdict).toBe("slower");
    // One family: the headline metrics (openssl's largest block per algorithm, its
    // sign and verify rates: 4) among the 14 the VM and bare metal share.
    expect(Object.keys(c)).toHaveLength(
      Object.keys(results.s.baseline.host["openssl-speed"].metrics).length,
    );
    expect(c[k].family).toBe(4);
    expect(Object.values(c).every((x) => x.family === 4)).toBe(true);
    expect(c[k].toolVersions).toBeUndefined();
    // No schedule on either side: not one interleaved run, and the comparison says so.
    expect(c[k].interleaved).toBe(false);
  });

  it("says whether a target took turns with bare metal in one run", () => {
    const rounds = (keys: string[]) => ({ seed: "x", method: "balanced", rounds: [keys, keys] });
    const rec = (platform: string, guest: string, out: string, keys?: string[]) => ({
      server: "s",
      platform,
      guest,
      benchmark: "openssl-speed",
      trials: parseTrials(opensslSpeed, runnerOutput([{ out }, { out }]), params),
      ...(keys ? { schedule: rounds(keys) } : {}),
    });
    const results = assemble([
      // Bare metal and vm took turns; para ran in a run of its own (as a Xen
      // guest after bare metal's run before the reboot).
      rec("baseline", "host", raw, ["s/baseline/host", "s/kvm/vm"]),
      rec("kvm", "vm", scaled(0.9), ["s/kvm/vm", "s/baseline/host"]),
      rec("xen", "para", scaled(0.9), ["s/xen/para"]),
      rec("kvm", "late", scaled(0.9), ["s/kvm/late", "s/baseline/host"]),
    ]);
    const c = compareToBaseline(results).s;
    const k = "throughput[algorithm=aes-128-cbc,blockBytes=16]";
    expect(c.kvm.vm["openssl-speed"][k].interleaved).toBe(true);
    expect(c.xen.para["openssl-speed"][k].interleaved).toBe(false);
    // Only one side's schedule names the other: not one run.
    expect(c.kvm.late["openssl-speed"][k].interleaved).toBe(false);
  });

  it("aggregates guests that ran at once, and compares the sum with bare metal", () => {
    const rec = (platform: string, guest: string, out: string, n = 3) => ({
      server: "s",
      platform,
      guest,
      benchmark: "openssl-speed",
      trials: parseTrials(opensslSpeed, runnerOutput(Array(n).fill({ out })), params),
    });
    const results = assemble([
      rec("baseline", "host", raw),
      rec("kvm", "vm-0", scaled(0.25)),
      rec("kvm", "vm-1", scaled(0.5)),
      rec("kvm", "lonely", scaled(0.5)),
    ]);
    const a = aggregateConcurrent(results, [
      { server: "s", platform: "kvm", benchmark: "openssl-speed", guests: ["vm-0", "vm-1"] },
      // A group of one is no aggregate; a guest without results makes none either.
      { server: "s", platform: "kvm", benchmark: "openssl-speed", guests: ["lonely"] },
      { server: "s", platform: "kvm", benchmark: "bonnie", guests: ["vm-0", "vm-1"] },
    ]);
    expect(Object.keys(a.s.kvm)).toEqual(["openssl-speed"]);
    const k = "throughput[algorithm=aes-128-cbc,blockBytes=16]";
    const host = results.s.baseline.host["openssl-speed"].metrics[k].median;
    const m = a.s.kvm["openssl-speed"][k];
    expect(m.guests).toEqual(["vm-0", "vm-1"]);
    expect(m.direction).toBe("higher");
    // Throughput adds up: a quarter plus a half of bare metal is three quarters.
    expect(m.median).toBeCloseTo(host * 0.75, -1);
    expect(m.vsBaseline!.percentOfBaseline).toBeCloseTo(75, 0);
    expect(m.vsBaseline!.verdict).toBe("slower");
    expect(m.vsBaseline!.family).toBe(4);
    // No schedule: the guests did not take turns with bare metal in one run.
    expect(m.vsBaseline!.interleaved).toBe(false);
  });
});
