import * as fs from "fs";
import * as path from "path";
import { opensslSpeed } from "../../../benchmarks/openssl-speed";
import {
  aggregateConcurrent,
  assemble,
  compareToBaseline,
  metricKey,
  outcome,
} from "../../../components/measure/results";
import { parseTrials, secondsInTrials } from "../../../components/measure/trials";

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
    expect(c[k].withinNoise).toBe(false);
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
    expect(m.vsBaseline!.withinNoise).toBe(false);
  });
});
