import { parse, stringify } from "yaml";
import { parseTestbedConfig } from "../../components/config";
import type { BenchmarkOutcome, Results } from "../../components/results/schema";
import { summarize } from "../../components/results/stats";
import {
  aaGuests,
  analyzeCalibration,
  calibrationConfig,
  checkPlan,
  outcomesOf,
  quotaGuest,
} from "../../scripts/calibrate-analysis";

// The analysis of npm run bench:calibrate on synthetic outcomes: the tool's
// own compare() judges each quota container against q100, and aa2 against aa1.

// The same small multiplicative noise around each value (five trials).
const noise = [1, 1.004, 0.997, 1.002, 0.998];
const otherNoise = [0.999, 1.003, 0.996, 1.001, 1.002];

interface M {
  value: number;
  direction?: "higher" | "lower";
  noise?: number[];
}

function outcome(metrics: Record<string, M>, status: BenchmarkOutcome["status"] = "ok") {
  return {
    status,
    toolVersion: "OpenSSL 3.0.17",
    trials: noise.map((_, i) => ({ index: i + 1, exitCode: 0, seconds: 14 })),
    metrics: Object.fromEntries(
      Object.entries(metrics).map(([k, m]) => [
        k,
        {
          ...summarize((m.noise ?? noise).map((f) => m.value * f)),
          unit: m.direction === "lower" ? "s" : "kB/s",
          direction: m.direction ?? "higher",
          labels: {},
        },
      ]),
    ),
  } as BenchmarkOutcome;
}

const base: Record<string, M> = {
  "throughput[algorithm=sha256,blockBytes=16384]": { value: 1_200_000 },
  "throughput[algorithm=aes-128-cbc,blockBytes=16]": { value: 650_000 },
  "sign_rate[algorithm=rsa2048]": { value: 1500 },
  latency: { value: 0.02, direction: "lower" },
};

/** The base metrics at q percent of the reference's CPU time: rates times q/100, times 100/q. */
const atQuota = (q: number, noiseOf = otherNoise, only?: string, factor?: number) =>
  Object.fromEntries(
    Object.entries(base).map(([k, m]) => {
      const f = only === undefined || only === k ? (factor ?? q / 100) : q / 100;
      return [
        k,
        { ...m, noise: noiseOf, value: m.direction === "lower" ? m.value / f : m.value * f },
      ];
    }),
  );

const plan = { quotas: [100, 95, 90], aa: aaGuests(2) };
const good = () => ({
  q100: outcome(base),
  q95: outcome(atQuota(95)),
  q90: outcome(atQuota(90)),
  aa1: outcome(base),
  aa2: outcome(atQuota(100)),
});

describe("bench:calibrate's analysis", () => {
  it("passes quota effects of the right size and an A/A pair that does not differ", () => {
    const c = analyzeCalibration(good(), plan);
    expect(c.problems).toEqual([]);
    expect(c.rows).toHaveLength(3 * 4);
    const q95 = c.rows.filter((r) => r.comparison === "q95 vs q100");
    expect(q95.map((r) => r.verdict)).toEqual(Array(4).fill("slower"));
    for (const r of q95) {
      expect(r.expectedPercent).toBe(95);
      // Oriented like the tool: 95% for the rates and for the time alike.
      expect(r.measuredPercent).toBeCloseTo(95, 0);
      expect(r.ci!.low).toBeLessThan(95);
      expect(r.ci!.high).toBeGreaterThan(95);
      expect(r.family).toBe(4);
      expect(r.pass).toBe(true);
    }
    expect(c.quotas).toEqual([
      { quota: 95, comparison: "q95 vs q100", total: 4, found: 4, covered: 4, passed: 4 },
      { quota: 90, comparison: "q90 vs q100", total: 4, found: 4, covered: 4, passed: 4 },
    ]);
    expect(c.criteria.quota).toMatchObject({ passed: 8, total: 8, fraction: 1, pass: true });
    expect(c.rows.filter((r) => r.kind === "aa").map((r) => r.verdict)).toEqual(
      Array(4).fill("no difference found"),
    );
    expect(c.criteria.aa).toMatchObject({ passed: 4, total: 4, fraction: 1, pass: true });
  });

  it("fails a quota effect of the wrong sign, and says so", () => {
    const o = good();
    // q95 measured 5% faster than q100 on one metric: an effect, with the wrong sign.
    o.q95 = outcome(atQuota(95, otherNoise, "sign_rate[algorithm=rsa2048]", 1.05));
    const c = analyzeCalibration(o, plan);
    const row = c.rows.find(
      (r) => r.comparison === "q95 vs q100" && r.metric === "sign_rate[algorithm=rsa2048]",
    )!;
    expect(row).toMatchObject({ verdict: "faster", found: false, covered: false, pass: false });
    expect(row.measuredPercent).toBeCloseTo(105, 0);
    expect(c.quotas[0]).toMatchObject({ quota: 95, found: 3, covered: 3, passed: 3 });
    expect(c.criteria.quota).toMatchObject({ passed: 7, total: 8, pass: false });
    expect(c.criteria.quota.fraction).toBeCloseTo(7 / 8);
    expect(c.criteria.quota.detail).toMatch(/1 found faster \(the wrong sign\)/);
  });

  it("fails an effect found with the right sign but the true value outside its interval", () => {
    const o = good();
    o.q90 = outcome(atQuota(90, otherNoise, "latency", 0.8));
    const c = analyzeCalibration(o, plan);
    const row = c.rows.find((r) => r.comparison === "q90 vs q100" && r.metric === "latency")!;
    expect(row).toMatchObject({ verdict: "slower", found: true, covered: false, pass: false });
    expect(row.ci!.high).toBeLessThan(90);
    expect(c.criteria.quota.pass).toBe(false);
    expect(c.criteria.quota.detail).toBe(
      "8/8 found slower, 7/8 with the quota in the interval, 7/8 both",
    );
  });

  it("computes the A/A pass fraction over every metric, at least 95% to pass", () => {
    // 20 metrics: one different of 20 is 95% (passes), two are 90% (fails).
    const many = Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [`m${String(i).padStart(2, "0")}`, { value: 100 + i }]),
    );
    const shifted = (n: number) =>
      Object.fromEntries(
        Object.entries(many).map(([k, m], i) => [
          k,
          { ...m, noise: otherNoise, value: i < n ? m.value * 0.8 : m.value },
        ]),
      );
    const run = (n: number) =>
      analyzeCalibration(
        {
          q100: outcome(base),
          q95: outcome(atQuota(95)),
          aa1: outcome(many),
          aa2: outcome(shifted(n)),
        },
        { quotas: [100, 95], aa: ["aa1", "aa2"] },
      );
    const one = run(1);
    expect(one.criteria.aa).toMatchObject({ passed: 19, total: 20, fraction: 0.95, pass: true });
    expect(one.rows.find((r) => r.metric === "m00")).toMatchObject({
      kind: "aa",
      verdict: "slower",
      pass: false,
      family: 20,
    });
    const two = run(2);
    expect(two.criteria.aa).toMatchObject({ passed: 18, total: 20, fraction: 0.9, pass: false });
    expect(two.criteria.aa!.detail).toBe("18/20 no difference found (others: slower)");
    // Each later A/A guest against the first.
    const three = analyzeCalibration(
      { ...good(), aa3: outcome(atQuota(100)) },
      { quotas: [100, 95, 90], aa: aaGuests(3) },
    );
    expect([
      ...new Set(three.rows.filter((r) => r.kind === "aa").map((r) => r.comparison)),
    ]).toEqual(["aa2 vs aa1", "aa3 vs aa1"]);
    expect(three.criteria.aa).toMatchObject({ passed: 8, total: 8 });
  });

  it("fails what is missing, naming the guest, and has no A/A criterion without A/A guests", () => {
    const { q95: _gone, ...rest } = good();
    const c = analyzeCalibration(
      { ...rest, q90: outcome(atQuota(90), "partial") },
      { quotas: [100, 95, 90], aa: [] },
    );
    expect(c.problems).toEqual([
      "q95: no result (the container or its run failed)",
      "q90: partial",
    ]);
    expect(c.rows.filter((r) => r.comparison === "q95 vs q100")).toHaveLength(4);
    expect(
      c.rows.filter((r) => r.comparison === "q95 vs q100").every((r) => r.verdict === "missing"),
    ).toBe(true);
    expect(c.criteria.quota).toMatchObject({ passed: 4, total: 8, pass: false });
    expect(c.criteria.aa).toBeNull();

    // A metric one side lacks: a failed row, out of the family.
    const o = good();
    delete o.q90.metrics.latency;
    const d = analyzeCalibration(o, plan);
    expect(
      d.rows.find((r) => r.comparison === "q90 vs q100" && r.metric === "latency"),
    ).toMatchObject({ verdict: "missing", pass: false, note: "not measured in q90" });
    expect(d.rows.find((r) => r.comparison === "q90 vs q100")!.family).toBe(3);
  });

  it("one trial a side: no interval, so no effect found", () => {
    const one = (m: Record<string, M>) =>
      outcome(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, { ...v, noise: [1] }])));
    const c = analyzeCalibration(
      { q100: one(base), q95: one(atQuota(95)), aa1: one(base), aa2: one(base) },
      { quotas: [100, 95], aa: ["aa1", "aa2"] },
    );
    expect(new Set(c.rows.map((r) => r.verdict))).toEqual(new Set(["no uncertainty"]));
    expect(c.criteria.quota.pass).toBe(false);
    expect(c.criteria.aa!.pass).toBe(false);
  });

  it("reads the outcomes from the stack's results by the containers' object names", () => {
    const o = good();
    const results: Results = {
      local: {
        baseline: { host: { "openssl-speed": o.q100 } },
        lxc: { "vtb-calibrate-q100": { "openssl-speed": o.q100 } },
      },
    };
    expect(
      outcomesOf(results, "local", "openssl-speed", {
        q100: "vtb-calibrate-q100",
        q95: "vtb-calibrate-q95",
      }),
    ).toEqual({ q100: o.q100, q95: undefined });
    expect(quotaGuest(95)).toBe("q95");
  });

  it.each([
    [{ quotas: [95, 90], aa: [] }, /no reference quota 100/],
    [{ quotas: [100], aa: [] }, /no quota below 100/],
    [{ quotas: [100, 101], aa: [] }, /quota 101: a whole percent of one CPU from 1 to 100/],
    [{ quotas: [100, 0], aa: [] }, /quota 0/],
    [{ quotas: [100, 95.5], aa: [] }, /quota 95.5/],
    [{ quotas: [100, 95, 95], aa: [] }, /a quota twice/],
    [{ quotas: [100, 95], aa: ["aa1"] }, /needs two/],
  ])("refuses the plan %j", (p, message) => {
    expect(() => checkPlan(p)).toThrow(message);
  });

  it("stands up pinned containers with their quotas, the tool's default repeats unless asked", () => {
    const setup = {
      server: "local",
      plan: { quotas: [90, 100, 95], aa: aaGuests(2) },
      cpu: 1,
      benchmark: "openssl-speed",
      profile: "quick" as const,
    };
    // As the stack file has it, read back by the stack's own config parser.
    const read = (repeats?: number) => {
      const file = parse(stringify(calibrationConfig({ ...setup, repeats }))) as {
        config: Record<string, unknown>;
      };
      return parseTestbedConfig(
        Object.fromEntries(
          Object.entries(file.config).map(([k, v]) => [k.replace(/^testbed:/, ""), v]),
        ),
      );
    };
    const c = read();
    const [srv] = c.servers;
    expect(srv.connection).toEqual({ type: "local" });
    expect(srv.platforms.map((p) => p.type)).toEqual(["baseline", "lxc"]);
    const lxc = srv.platforms[1] as { guests: Record<string, unknown>[] };
    expect(lxc.guests.map((g) => [g.name, g.cpus, g.cpuQuotaPercent])).toEqual([
      ["q100", "1", 100],
      ["q95", "1", 95],
      ["q90", "1", 90],
      ["aa1", "1", undefined],
      ["aa2", "1", undefined],
    ]);
    const defaults = parseTestbedConfig({
      servers: [{ name: "x", connection: { type: "local" } }],
      benchmarks: [{ id: "openssl-speed" }],
    });
    expect(c.benchmarks).toHaveLength(1);
    expect(c.benchmarks[0]).toMatchObject({ id: "openssl-speed", profile: "quick" });
    expect(c.benchmarks[0].repeats).toEqual(defaults.benchmarks[0].repeats);
    expect(read(7).benchmarks[0].repeats).toBe(7);
  });
});
