import { parse } from "csv-parse/sync";
import { samples, sampleFields, toCsv, toJsonLines } from "../../../report/export";
import { fixtureRun } from "./fixture";

const run = fixtureRun();
const ss = samples(run);

describe("samples", () => {
  it("has one sample per trial value of every metric", () => {
    let n = 0;
    for (const platforms of Object.values(run.results))
      for (const guests of Object.values(platforms))
        for (const benchmarks of Object.values(guests))
          for (const o of Object.values(benchmarks))
            for (const m of Object.values(o.metrics)) n += m.trials.length;
    expect(ss).toHaveLength(n);
  });
  it("numbers a partial benchmark's values by the trials that parsed", () => {
    const o = run.results.local.kvm["vtb-testbed-vm"].iperf3;
    const failed = o.trials.filter((t) => t.error).map((t) => t.index);
    expect(failed.length).toBeGreaterThan(0);
    const got = ss.filter(
      (s) => s.platform === "kvm" && s.benchmark === "iperf3" && s.metric === "retransmits",
    );
    for (const s of got) expect(failed).not.toContain(s.trial);
  });
  it("carries the run's identity and the metric's metadata", () => {
    const s = ss.find((x) => x.benchmark === "openssl-speed" && x.labels.algorithm === "sha256")!;
    expect(s).toMatchObject({
      runId: run.runId,
      stack: "testbed",
      metric: "throughput",
      unit: "kB/s",
      direction: "higher",
    });
    expect(s.toolVersion).toMatch(/OpenSSL/);
  });
});

describe("JSON lines and CSV", () => {
  it("writes one JSON object per line, fields in order", () => {
    const lines = toJsonLines(ss).trimEnd().split("\n");
    expect(lines).toHaveLength(ss.length);
    const first = JSON.parse(lines[0]);
    expect(Object.keys(first)).toEqual(sampleFields);
    expect(first).toEqual(ss[0]);
  });
  it("writes CSV that a CSV parser reads back to the same samples", () => {
    const records = parse(toCsv(ss), { columns: true }) as Record<string, string>[];
    expect(records).toHaveLength(ss.length);
    records.forEach((r, i) => {
      expect(Number(r.value)).toBe(ss[i].value);
      expect(JSON.parse(r.labels)).toEqual(ss[i].labels);
      expect(r.metric).toBe(ss[i].metric);
      expect(Number(r.trial)).toBe(ss[i].trial);
    });
  });
});
