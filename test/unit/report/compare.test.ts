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
  it("finds no difference between a run and itself", () => {
    const changes = compareRuns(base, base);
    expect(changes.length).toBeGreaterThan(100);
    const kinds = new Set(changes.map((c) => c.judgement?.kind));
    expect(kinds.has("slower") || kinds.has("faster")).toBe(false);
    for (const c of changes.filter((x) => x.change?.ci)) {
      expect(c.change!.percentOfBaseline).toBeCloseTo(100, 10);
      expect(c.judgement!.text).toMatch(
        /^no difference found \((95% CI −[\d.]+ to \+[\d.]+%|no variance on either side), (\d) v \2 trials\)$/,
      );
    }
    const aes = changes.find(
      (c) =>
        c.platform === "baseline" && c.key === "throughput[algorithm=aes-128-cbc,blockBytes=16]",
    )!;
    expect(aes.judgement!.text).toMatch(
      /^no difference found \(95% CI −[\d.]+ to \+[\d.]+%, 3 v 3 trials\)$/,
    );
    // postal ran once: no uncertainty, said as such.
    const postal = changes.find((c) => c.benchmark === "postal" && c.change)!;
    expect(postal.judgement!.text).toBe("one trial each: no uncertainty");
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
      expect(c.judgement!.kind).toBe("slower");
      expect(c.judgement!.text).toMatch(/^50\.0% slower \(95% CI [\d.]+–[\d.]+%, 3 v 3 trials\)$/);
    }
    // The platform's % of bare metal about halves too, since bare metal did not change
    // (A's is the archived ratio of medians, B's as compared now, of geometric means).
    const [before, after] = rps.percentOfBaremetal! as [number, number];
    expect(after / before).toBeGreaterThan(0.45);
    expect(after / before).toBeLessThan(0.55);
    const md = renderMarkdown(compareBlocks(base, b));
    expect(md).toMatch(/^2 metric\(s\) changed \(2 slower, 0 faster\), \d+ no difference found, /m);
    // Changes come first.
    const firstRow = md.split("\n").find((l) => l.startsWith("| lxc/"))!;
    expect(firstRow).toMatch(/slower/);
  });
  it("flags a metric measured with another tool version in B, in the table and above it", () => {
    const r = clone(base.results);
    r.local.lxc["vtb-testbed-ct"]["openssl-speed"].toolVersion = "OpenSSL 3.0.19";
    const b = syntheticRun(r, { runId: "run-b" });
    const changes = compareRuns(base, b);
    const c = changes.find(
      (x) => x.platform === "lxc" && x.key === "throughput[algorithm=sha256,blockBytes=16384]",
    )!;
    expect(c.toolVersions).toEqual({ a: "OpenSSL 3.0.22", b: "OpenSSL 3.0.19" });
    expect(c.judgement!.text).toMatch(
      /^⚠ different tool versions: OpenSSL 3\.0\.19 vs OpenSSL 3\.0\.22; no difference found \(/,
    );
    expect(
      changes.filter((x) => x.toolVersions).every((x) => x.benchmark === "openssl-speed"),
    ).toBe(true);
    const md = renderMarkdown(compareBlocks(base, b));
    expect(md).toContain(
      "**⚠ different tool versions between the runs: lxc/vtb-testbed-ct openssl-speed: OpenSSL 3.0.22 in A, OpenSSL 3.0.19 in B.**",
    );
    expect(md).toMatch(
      /\| lxc\/vtb-testbed-ct \| openssl-speed \| throughput sha256 16384 \| .* \| ⚠ different tool versions: OpenSSL 3\.0\.19 vs OpenSSL 3\.0\.22; 100\.0%: no difference found/,
    );
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
