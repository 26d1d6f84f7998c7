import * as fs from "fs";
import * as path from "path";
import { benchmarks } from "../../../benchmarks";
import { aggregateSummary, compare } from "../../../components/results/stats";
import type { Comparison } from "../../../components/results/schema";
import {
  aggregates,
  benchmarksOf,
  cellTone,
  formatCell,
  formatPercent,
  geomean,
  lossTables,
  mainMetrics,
  judgeRow,
  metricRows,
  outcomeOf,
  percentRange,
  summaryTables,
  targets,
  verdict,
} from "../../../report/tables";
import { fixtureDir, fixtureRun, metric, outcome, syntheticRun } from "./fixture";

const run = fixtureRun();
const R = run.results;
const bare = R.local.baseline.host;

describe("metricRows on the real run", () => {
  const rows = metricRows(run);
  it("has a row per metric of every target, bare metal first", () => {
    let n = 0;
    for (const t of targets(R)) {
      for (const o of Object.values(R[t.server][t.platform][t.guest]))
        n += Object.keys(o.metrics).length;
    }
    expect(rows).toHaveLength(n);
    expect(targets(R)[0]).toEqual({ server: "local", platform: "baseline", guest: "host" });
  });
  it("states a higher-is-better metric as platform / bare metal", () => {
    const r = rows.find(
      (x) => x.platform === "lxc" && x.benchmark === "ab" && x.key === "requests_per_second",
    )!;
    const ct = R.local.lxc["vtb-testbed-ct"].ab.metrics.requests_per_second;
    const b = bare.ab.metrics.requests_per_second;
    expect(r.comparison!.percentOfBaseline).toBeCloseTo((ct.median / b.median) * 100, 10);
  });
  it("states a lower-is-better metric as bare metal / platform, so the TCG guest is far below 100%", () => {
    const r = rows.find(
      (x) => x.platform === "kvm" && x.benchmark === "ab" && x.key === "time_per_request",
    )!;
    const vm = R.local.kvm["vtb-testbed-vm"].ab.metrics.time_per_request;
    const b = bare.ab.metrics.time_per_request;
    expect(vm.median).toBeGreaterThan(b.median);
    expect(r.comparison!.percentOfBaseline).toBeCloseTo((b.median / vm.median) * 100, 10);
    expect(r.comparison!.percentOfBaseline).toBeLessThan(100);
    // An old run (no interval): its verdict, said to be one, with no interval made up.
    expect(r.comparison!.verdict).toBeUndefined();
    expect(verdict(r.comparison!)).toBe(
      `${formatPercent(r.comparison!.lossPercent)} slower (old run: no confidence interval)`,
    );
  });
  it("does not compare bare metal with itself, nor zero medians", () => {
    expect(rows.filter((x) => x.platform === "baseline").every((x) => !x.comparison)).toBe(true);
    const zero = rows.find((x) => x.platform === "lxc" && x.key === "failed_requests")!;
    expect(zero.baseline!.median).toBe(0);
    expect(zero.comparison).toBeUndefined();
  });
  it("agrees with the comparison the run archived", () => {
    const archived = JSON.parse(fs.readFileSync(path.join(fixtureDir, "results.json"), "utf8"))
      .comparison as Record<
      string,
      Record<string, Record<string, Record<string, Record<string, unknown>>>>
    >;
    const compared = rows.filter((x) => x.comparison);
    expect(compared.length).toBeGreaterThan(50);
    for (const r of compared) {
      expect(r.comparison).toEqual(archived[r.server][r.platform][r.guest][r.benchmark][r.key]);
    }
  });
  it("shows the comparison the run archived, not one of its own", () => {
    const comparison = JSON.parse(JSON.stringify(run.comparison)) as typeof run.comparison;
    const archived = { percentOfBaseline: 50, lossPercent: 50, withinNoise: false };
    comparison.local.lxc["vtb-testbed-ct"].ab.requests_per_second = archived;
    delete comparison.local.kvm["vtb-testbed-vm"].ab.time_per_request;
    const edited = metricRows({ results: R, comparison });
    const at = (platform: string, key: string) =>
      edited.find((x) => x.platform === platform && x.benchmark === "ab" && x.key === key)!;
    expect(at("lxc", "requests_per_second").comparison).toEqual(archived);
    expect(at("kvm", "time_per_request").comparison).toBeUndefined();
    expect(at("kvm", "time_per_request").baseline).toBeDefined();
  });
});

describe("percentRange", () => {
  it("orients the worst and best trial like compare", () => {
    expect(percentRange({ min: 80, max: 120 }, 100, "higher")).toEqual([80, 120]);
    const [lo, hi] = percentRange({ min: 80, max: 125 }, 100, "lower")!;
    expect(lo).toBeCloseTo(80, 10); // the slowest latency, 125, is 80% of bare metal
    expect(hi).toBeCloseTo(125, 10);
  });
  it("gives nothing where a zero forbids a ratio", () => {
    expect(percentRange({ min: 0, max: 2 }, 1, "lower")).toBeUndefined();
    expect(percentRange({ min: 1, max: 2 }, 0, "higher")).toBeUndefined();
  });
});

describe("mainMetrics", () => {
  const m = (key: string, labels: Record<string, string> = {}) => ({
    key,
    name: key.replace(/\[.*$/, ""),
    labels,
  });
  it("takes openssl's largest block per algorithm and the sign/verify rates", () => {
    const keys = mainMetrics("openssl-speed", [
      m("throughput[algorithm=a,blockBytes=16]", { algorithm: "a", blockBytes: "16" }),
      m("throughput[algorithm=a,blockBytes=8192]", { algorithm: "a", blockBytes: "8192" }),
      m("throughput[algorithm=b,blockBytes=1024]", { algorithm: "b", blockBytes: "1024" }),
      m("sign_rate[algorithm=rsa2048]", { algorithm: "rsa2048" }),
    ]);
    expect(keys).toEqual([
      "throughput[algorithm=a,blockBytes=8192]",
      "throughput[algorithm=b,blockBytes=1024]",
      "sign_rate[algorithm=rsa2048]",
    ]);
  });
  it("takes iperf's receiver side of each direction where there is one", () => {
    const keys = mainMetrics("iperf3", [
      m("throughput[direction=forward,side=sender]", { direction: "forward", side: "sender" }),
      m("throughput[direction=forward,side=receiver]", { direction: "forward", side: "receiver" }),
      m("throughput[direction=reverse,side=sender]", { direction: "reverse", side: "sender" }),
    ]);
    expect(keys).toEqual([
      "throughput[direction=forward,side=receiver]",
      "throughput[direction=reverse,side=sender]",
    ]);
  });
  it("takes a benchmark's main metric names from its module, in the module's order", () => {
    for (const [id, module] of Object.entries(benchmarks)) {
      const names = [...(module.mainMetrics ?? [])];
      expect(names.length).toBeGreaterThan(0);
      const reported = [...names]
        .reverse()
        .concat("other_rate")
        .map((n) => m(n));
      expect(mainMetrics(id, reported)).toEqual(names);
    }
  });
  it("names only metrics the benchmarks report (the real run's)", () => {
    for (const b of benchmarksOf(R)) {
      const reported = new Set(
        targets(R).flatMap((t) =>
          Object.keys(outcomeOf(R, t, b)?.metrics ?? {}).map((k) => k.replace(/\[.*$/, "")),
        ),
      );
      expect(benchmarks[b].mainMetrics!.filter((n) => !reported.has(n))).toEqual([]);
    }
  });
  it("leaves CPU percentages and error counts out for an unknown benchmark", () => {
    expect(mainMetrics("mystery", [m("rate"), m("rate_cpu"), m("errors_per_minute")])).toEqual([
      "rate",
    ]);
  });
});

const host = {
  b: outcome({ rate: metric([100, 101, 99]), lat: metric([10, 10.1, 9.9], "lower", "ms") }),
};

/** A comparison as a run with intervals archives it. */
const judged = (
  percent: number,
  verdict: NonNullable<Comparison["verdict"]>,
  ci: [number, number] | null,
): Comparison => ({
  percentOfBaseline: percent,
  lossPercent: 100 - percent,
  ci: ci && { low: ci[0], high: ci[1] },
  level: 0.95,
  family: 2,
  pValue: ci ? 0.01 : null,
  verdict,
  method: "Welch t on log values, 95% family-wise over 2 metrics (Bonferroni)",
});

describe("summaryTables", () => {
  const results = (rate: number[], lat: number[]) => ({
    s: {
      baseline: { host },
      kvm: { vm: { b: outcome({ rate: metric(rate), lat: metric(lat, "lower", "ms") }) } },
    },
  });
  it("gives the geometric mean of the main metrics and counts their verdicts", () => {
    const r = syntheticRun(results([50, 51, 49], [10, 10.2, 9.8]));
    const t = summaryTables(r)[0];
    const cell = t.cells.b["s/kvm/vm"];
    const rate = compare(r.results.s.kvm.vm.b.metrics.rate, host.b.metrics.rate, "higher", 2);
    const lat = compare(r.results.s.kvm.vm.b.metrics.lat, host.b.metrics.lat, "lower", 2);
    expect(cell.percent).toBeCloseTo(Math.sqrt(rate.percentOfBaseline * lat.percentOfBaseline), 10);
    // As the run compared them (components/results/summarize.ts): half the rate is slower, the latency is not told apart.
    expect(cell).toMatchObject({ metrics: 2, kinds: { slower: 1, "no difference": 1 } });
    expect(formatCell(cell)).toBe(
      `${formatPercent(cell.percent)} (1 slower, 1 no difference found)`,
    );
    expect(cellTone(cell)).toBe("loss");
  });
  it("says no difference found, not a win, when every main metric is so", () => {
    const r = syntheticRun(results([100.5, 102, 98], [9.95, 10.2, 9.9]), {
      comparison: {
        s: {
          kvm: {
            vm: {
              b: {
                rate: judged(100.4, "no difference found", [97, 104]),
                lat: judged(100.1, "no difference found", [98, 102]),
              },
            },
          },
        },
      },
    });
    const cell = summaryTables(r)[0].cells.b["s/kvm/vm"];
    expect(cell.percent).toBeGreaterThan(100);
    expect(cell.percent).toBeCloseTo(Math.sqrt(100.4 * 100.1), 10);
    expect(formatCell(cell)).toBe(`no difference found (${formatPercent(cell.percent)})`);
    expect(formatCell(cell)).toMatch(/^no difference found \(100\.[23]%\)$/);
    expect(cellTone(cell)).toBe("noise");
  });
  it("never colours one trial as a loss, whatever an old run's rule said", () => {
    const one = {
      s: {
        baseline: { host: { b: outcome({ rate: metric([100]) }) } },
        kvm: { vm: { b: outcome({ rate: metric([50]) }) } },
      },
    };
    // Runs before intervals called a one-trial difference neither within noise nor anything else.
    const old = syntheticRun(one, {
      comparison: {
        s: {
          kvm: {
            vm: { b: { rate: { percentOfBaseline: 50, lossPercent: 50, withinNoise: false } } },
          },
        },
      },
    });
    const cell = summaryTables(old)[0].cells.b["s/kvm/vm"];
    expect(formatCell(cell)).toBe("50.0% (one trial: no uncertainty)");
    expect(cellTone(cell)).toBe("muted");
    expect(
      verdict(metricRows(old).find((x) => x.platform === "kvm")!.comparison!, {
        sides: { target: 1, baseline: 1 },
      }),
    ).toBe("one trial each: no uncertainty");
    // And as a run with intervals compares it.
    const now = summaryTables(syntheticRun(one))[0].cells.b["s/kvm/vm"];
    expect(formatCell(now)).toBe("50.0% (one trial: no uncertainty)");
    expect(cellTone(now)).toBe("muted");
  });
  it("puts a comparison across tool versions first, loudly", () => {
    const r = syntheticRun(results([50, 51, 49], [10, 10.2, 9.8]));
    r.results.s.kvm.vm.b.toolVersion = "3.0.19";
    r.results.s.baseline.host = { b: { ...host.b, toolVersion: "3.0.22" } };
    const cell = summaryTables(r)[0].cells.b["s/kvm/vm"];
    expect(cell.toolVersions).toEqual({ target: "3.0.19", baseline: "3.0.22" });
    expect(formatCell(cell)).toMatch(/^⚠ different tool versions: 3\.0\.19 vs 3\.0\.22; \d/);
  });
  it("flags a target whose trials did not take turns with bare metal's", () => {
    const rs = results([50, 51, 49], [10, 10.2, 9.8]);
    // Bare metal in a run of its own, as before a reboot into Xen.
    const alone = { seed: "x", method: "balanced", rounds: [["s/baseline/host"]] };
    rs.s.baseline.host = { b: { ...host.b, schedule: alone } };
    const guests = { ...alone, rounds: [["s/kvm/vm"]] };
    rs.s.kvm.vm.b.schedule = guests;
    const r = syntheticRun(rs);
    const cell = summaryTables(r)[0].cells.b["s/kvm/vm"];
    expect(formatCell(cell)).toMatch(/^⚠ not interleaved with bare metal \(separate runs/);
    const row = metricRows(r).find((x) => x.platform === "kvm" && x.key === "rate")!;
    expect(judgeRow(row)!.text).toMatch(/^⚠ not interleaved with bare metal/);
    // In one run together: no flag.
    const together = summaryTables(syntheticRun(results([50, 51, 49], [10, 10.2, 9.8])))[0];
    expect(together.cells.b["s/kvm/vm"].flag).toBeUndefined();
  });
  it("geomean is the nth root of the product", () => {
    expect(geomean([50, 200])).toBeCloseTo(100, 10);
  });
});

describe("aggregates and the % loss table", () => {
  const r = syntheticRun({
    s: {
      baseline: { host },
      kvm: {
        "vm-0": {
          b: outcome({ rate: metric([40, 41, 39]), lat: metric([20, 21, 19], "lower", "ms") }),
        },
        "vm-1": {
          b: outcome({ rate: metric([30, 31, 29]), lat: metric([30, 31, 29], "lower", "ms") }),
        },
      },
      lxc: {
        ct: {
          b: outcome({ rate: metric([90, 91, 89]), lat: metric([11, 11, 11], "lower", "ms") }),
        },
      },
    },
  });
  it("adds the guests' throughputs and averages their latencies, against the host", () => {
    const a = aggregates(r);
    expect(a.map((x) => `${x.platform}/${x.key}`)).toEqual(["kvm/rate", "kvm/lat"]);
    expect(a[0].summary.median).toBe(70);
    // The run's comparison of the aggregated trials (geometric means): about 70% and 40%.
    expect(a[0].comparison!.percentOfBaseline).toBeCloseTo(70, 1);
    expect(a[0].comparison!.verdict).toBe("slower");
    expect(a[1].summary.median).toBe(25);
    expect(a[1].comparison!.percentOfBaseline).toBeCloseTo(40, 1);
    expect(a[0].guests).toEqual(["vm-0", "vm-1"]);
  });
  it("has bare metal, each guest and the aggregate as rows, with the loss", () => {
    const t = lossTables(r)[0];
    expect(t.key).toBe("rate");
    expect(t.rows.map((x) => x.label)).toEqual([
      "bare metal",
      "kvm/vm-0",
      "kvm/vm-1",
      "lxc/ct",
      "kvm: 2 guests one after another, aggregate",
    ]);
    expect(t.rows[0].comparison).toBeUndefined();
    expect(t.rows[1].comparison!.lossPercent).toBeCloseTo(60, 1);
    expect(t.rows[4].comparison!.lossPercent).toBeCloseTo(30, 1);
    expect(t.rows[1].judgement!.text).toMatch(
      /^60\.0% slower \(95% CI [\d.]+–[\d.]+%, 3 v 3 trials\)$/,
    );
  });
  it("takes as headline the first main metric bare metal has too", () => {
    const t = lossTables(run).find((x) => x.benchmark === "bonnie")!;
    expect(Object.keys(R.local.kvm["vtb-testbed-vm"].bonnie.metrics)).toContain(
      "sequential_input_block",
    );
    expect(Object.keys(bare.bonnie.metrics)).not.toContain("sequential_input_block");
    expect(bare.bonnie.metrics[t.key]).toBeDefined();
    expect(t.rows[0].label).toBe("bare metal");
    expect(t.rows.slice(1).every((r) => r.comparison)).toBe(true);
  });
  it("uses the aggregates a run recorded for its concurrent groups instead", () => {
    const at = aggregateSummary(
      [r.results.s.kvm["vm-0"].b.metrics.rate, r.results.s.kvm["vm-1"].b.metrics.rate],
      "higher",
    );
    // Recorded: only vm-0 and vm-1 of a larger platform ran at once, and only "rate" was kept,
    // with its comparison against the host as the run made it.
    const rate = {
      ...at,
      unit: "ops/s",
      direction: "higher" as const,
      labels: {},
      guests: ["vm-0", "vm-1"],
      vsBaseline: compare(at, host.b.metrics.rate, "higher"),
    };
    const recorded = { ...r, aggregates: { s: { kvm: { b: { rate } } } } };
    const a = aggregates(recorded);
    expect(a).toHaveLength(1);
    expect(a[0]).toMatchObject({
      platform: "kvm",
      key: "rate",
      concurrent: true,
      guests: ["vm-0", "vm-1"],
    });
    expect(a[0].comparison!.percentOfBaseline).toBeCloseTo(70, 1);
    expect(a[0].baselineTrials).toBe(3);
    const t = lossTables(recorded)[0];
    expect(t.rows.at(-1)!.label).toBe("kvm: 2 guests at once, aggregate");
    expect(aggregates({ ...r, aggregates: {} })).toEqual([]);
  });
  it("has no aggregate when every platform ran one guest (the real run)", () => {
    expect(aggregates(run)).toEqual([]);
  });
});
