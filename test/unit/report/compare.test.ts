import type { Results } from "../../../components/results/summarize";
import { summarize } from "../../../components/results/stats";
import {
  compareBlocks,
  compareRuns,
  configDiff,
  configDiffLines,
  formatConfigChange,
} from "../../../report/compare";
import { renderMarkdown } from "../../../report/markdown";
import { fixtureRun, syntheticRun } from "./fixture";

const base = fixtureRun();
const clone = (r: Results): Results => JSON.parse(JSON.stringify(r));

describe("compareRuns", () => {
  it("calls every metric of a run against itself within noise", () => {
    const changes = compareRuns(base, base);
    expect(changes.length).toBeGreaterThan(100);
    for (const c of changes.filter((x) => x.change)) {
      expect(c.change!.percentOfBaseline).toBeCloseTo(100, 10);
      expect(c.change!.withinNoise).toBe(true);
    }
  });
  it("states a halved throughput as 50% (slower) and a doubled latency as 50% too", () => {
    const r = clone(base.results);
    const ab = r.local.lxc["vtb-testbed-ct"].ab.metrics;
    ab.requests_per_second = {
      ...ab.requests_per_second,
      ...summarize(ab.requests_per_second.trials.map((t) => t / 2)),
    };
    ab.time_per_request = {
      ...ab.time_per_request,
      ...summarize(ab.time_per_request.trials.map((t) => t * 2)),
    };
    const b = syntheticRun(r, { runId: "run-b" });
    const changes = compareRuns(base, b);
    const rps = changes.find((c) => c.platform === "lxc" && c.key === "requests_per_second")!;
    const tpr = changes.find((c) => c.platform === "lxc" && c.key === "time_per_request")!;
    for (const c of [rps, tpr]) {
      expect(c.change!.percentOfBaseline).toBeCloseTo(50, 10);
      expect(c.change!.withinNoise).toBe(false);
    }
    // The platform's % of bare metal halves too, since bare metal did not change.
    expect(rps.percentOfBaremetal![1]!).toBeCloseTo(rps.percentOfBaremetal![0]! / 2, 10);
    const md = renderMarkdown(compareBlocks(base, b));
    expect(md).toMatch(/2 metric\(s\) changed beyond the noise \(2 slower, 0 faster\)/);
    // Changes beyond the noise come first.
    const firstRow = md.split("\n").find((l) => l.startsWith("| lxc/"))!;
    expect(firstRow).toMatch(/slower/);
  });
  it("lists metrics only one run has", () => {
    const r = clone(base.results);
    delete r.local.kvm["vtb-testbed-vm"].postal;
    const changes = compareRuns(base, syntheticRun(r));
    const gone = changes.filter((c) => c.platform === "kvm" && c.benchmark === "postal");
    expect(gone.length).toBe(
      Object.keys(base.results.local.kvm["vtb-testbed-vm"].postal.metrics).length,
    );
    expect(gone.every((c) => c.a && !c.b && !c.change)).toBe(true);
  });
});

describe("configDiff", () => {
  const config = {
    servers: [
      {
        name: "local",
        platforms: [
          { type: "baseline" },
          { type: "lxc", guests: [{ name: "ct", cpuShares: 1024 }] },
          { type: "kvm", accel: "auto", guests: [{ name: "vm", memoryMiB: 1024, vcpus: 1 }] },
        ],
      },
    ],
    benchmarks: [{ id: "ab", repeats: 3 }],
  };
  it("names each changed key by its path, as pulumi preview --diff would", () => {
    const b = JSON.parse(JSON.stringify(config));
    b.servers[0].platforms[2].guests[0].memoryMiB = 2048;
    b.servers[0].platforms[2].accel = "tcg";
    expect(configDiff(config, b).map(formatConfigChange)).toEqual([
      "~ servers[0].platforms[2].accel: auto -> tcg",
      "~ servers[0].platforms[2].guests[0].memoryMiB: 1024 -> 2048",
    ]);
  });
  it("shows added and removed entries leaf by leaf", () => {
    const b = JSON.parse(JSON.stringify(config));
    b.benchmarks.push({ id: "bonnie", repeats: 5 });
    delete b.servers[0].platforms[1].guests[0].cpuShares;
    expect(configDiff(config, b).map(formatConfigChange)).toEqual([
      "- servers[0].platforms[1].guests[0].cpuShares: 1024",
      "+ benchmarks[1].id: bonnie",
      "+ benchmarks[1].repeats: 5",
    ]);
  });
  it("says so when the configs are the same, or when a run did not record one", () => {
    const a = syntheticRun({}, { config, runId: "a" });
    expect(configDiffLines(a, syntheticRun({}, { config, runId: "b" }))).toEqual([
      "The two configurations are the same.",
    ]);
    expect(configDiffLines(a, syntheticRun({}, { runId: "old-run" })).join("\n")).toMatch(
      /not recorded in run old-run/,
    );
  });
});
