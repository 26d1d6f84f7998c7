// The results schema reads runs archived before intervals (withinNoise, no mean,
// cv or n) as well as what the program writes now, and refuses what was edited.
import * as fs from "fs";
import * as path from "path";
import {
  comparisonSchema,
  metricResultSchema,
  outcomeSchema,
  resultsFileSchema,
  trialRecordSchema,
} from "../../../components/results/schema";
import { compare, summarize } from "../../../components/results/stats";

const oldRun = path.join(
  __dirname,
  "..",
  "..",
  "fixtures",
  "report",
  "2026-11-22T01-09-34-979Z-bff16c54",
  "results.json",
);

const metric = (trials: number[]) => ({
  ...summarize(trials),
  unit: "ops/s",
  direction: "higher" as const,
  labels: {},
});

describe("reading archives written before intervals", () => {
  it("reads a recorded old run: withinNoise kept, no mean, cv or n", () => {
    const raw = JSON.parse(fs.readFileSync(oldRun, "utf8"));
    const read = resultsFileSchema.parse(raw);
    expect(read).toEqual(raw);
    const [server] = Object.keys(read.comparison);
    const cs = Object.values(read.comparison[server]).flatMap((g) =>
      Object.values(g).flatMap((b) => Object.values(b).flatMap((m) => Object.values(m))),
    );
    expect(cs.length).toBeGreaterThan(0);
    expect(cs.every((c) => typeof c.withinNoise === "boolean" && c.verdict === undefined)).toBe(
      true,
    );
    const host = read.results[server].baseline.host;
    const m = Object.values(Object.values(host)[0].metrics)[0];
    expect(m.mean).toBeUndefined();
  });

  it("reads an old comparison and an old summary written by hand", () => {
    const old = { percentOfBaseline: 97.5, lossPercent: 2.5, withinNoise: true };
    expect(comparisonSchema.parse(old)).toEqual(old);
    const { mean: _m, cv: _c, n: _n, ...before } = metric([10, 12, 11]);
    expect(metricResultSchema.parse(before)).toEqual(before);
    const o = {
      status: "ok",
      toolVersion: "1",
      trials: [{ index: 1, exitCode: 0, seconds: 1 }],
      metrics: {},
    };
    expect(outcomeSchema.parse(o)).toEqual(o);
  });
});

describe("reading what the program writes now", () => {
  it("reads back a summary and a comparison as written", () => {
    const m = metric([10, 12, 11]);
    expect(metricResultSchema.parse(m)).toEqual(m);
    const c = compare(summarize([8, 9, 8.5]), m, "higher", 3);
    expect(comparisonSchema.parse(c)).toEqual(c);
    const flagged = { ...c, toolVersions: { target: "2.1", baseline: "2.0" } };
    expect(comparisonSchema.parse(flagged)).toEqual(flagged);
    const none = compare(summarize([8]), m, "higher");
    expect(comparisonSchema.parse(none).ci).toBeNull();
  });

  it("refuses a mean or n that are not the trials', and an interval upside down", () => {
    expect(() => metricResultSchema.parse({ ...metric([10, 12, 11]), mean: 11.5 })).toThrow(
      /11.5 is not the mean of the trials \(11\)/,
    );
    expect(() => metricResultSchema.parse({ ...metric([10, 12, 11]), n: 4 })).toThrow(/not the n/);
    const c = compare(summarize([8, 9, 8.5]), summarize([10, 12, 11]), "higher");
    expect(() => comparisonSchema.parse({ ...c, ci: { low: 90, high: 80 } })).toThrow(
      /ci.low is above/,
    );
    expect(() => comparisonSchema.parse({ ...c, verdict: "within noise" })).toThrow();
    expect(() => comparisonSchema.parse({ ...c, pValue: 1.5 })).toThrow();
  });

  it("reads a trial's context and an outcome's schedule", () => {
    const t = {
      index: 1,
      exitCode: 0,
      seconds: 2,
      context: { round: 0, position: 3, paused: [], host: { load1: 0.1, governor: "performance" } },
    };
    expect(trialRecordSchema.parse(t)).toEqual(t);
    expect(() =>
      trialRecordSchema.parse({ ...t, context: { ...t.context, host: { mhz: true } } }),
    ).toThrow();
    const o = {
      status: "partial",
      toolVersion: "1",
      asked: 10,
      stopped: "max 10 rounds",
      schedule: {
        seed: "s",
        method: "interleaved",
        rounds: [
          ["a", "b"],
          ["b", "a"],
        ],
      },
      trials: [t],
      metrics: {},
    };
    expect(outcomeSchema.parse(o)).toEqual(o);
  });
});
