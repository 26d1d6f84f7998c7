import {
  aggregate,
  aggregateSummary,
  compare,
  median,
  percentOf,
  summarize,
} from "../../../components/results/stats";

describe("summarize", () => {
  it("gives median, range, sample stdev and relative spread", () => {
    const s = summarize([10, 12, 11]);
    expect(s).toMatchObject({ median: 11, min: 10, max: 12 });
    expect(s.stdev).toBeCloseTo(1, 10);
    expect(s.spread).toBeCloseTo(2 / 11, 10);
  });
  it("takes the mean of the middle two for an even count", () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
  it("refuses no trials and non-finite trials", () => {
    expect(() => summarize([])).toThrow(/no trials/);
    expect(() => summarize([1, NaN])).toThrow(/finite/);
  });
});

describe("compare", () => {
  const bare = summarize([100, 101, 99]);
  it("states a slower higher-is-better platform as a loss", () => {
    const c = compare(summarize([80, 81, 79]), bare, "higher");
    expect(c.percentOfBaseline).toBeCloseTo(80, 10);
    expect(c.lossPercent).toBeCloseTo(20, 10);
    expect(c.withinNoise).toBe(false);
  });
  it("orients lower-is-better metrics so that below 100 is still slower", () => {
    // Latency doubled: half as good.
    const c = compare(summarize([2, 2, 2]), summarize([1, 1, 1]), "lower");
    expect(c.percentOfBaseline).toBeCloseTo(50, 10);
    expect(c.lossPercent).toBeCloseTo(50, 10);
  });
  it("calls overlapping trials noise, not a win", () => {
    const c = compare(summarize([100.5, 102, 98]), bare, "higher");
    expect(c.percentOfBaseline).toBeGreaterThan(100);
    expect(c.withinNoise).toBe(true);
  });
  it("calls a difference smaller than the spread noise even without overlap", () => {
    const noisy = summarize([50, 150, 100]);
    const c = compare(summarize([160, 161, 162]), noisy, "higher");
    expect(c.withinNoise).toBe(true);
  });
  it("refuses a zero median", () => {
    expect(() => compare(summarize([0]), bare, "higher")).toThrow(/zero median/);
  });
});

describe("aggregate", () => {
  it("adds throughputs of guests run at once and averages their latencies", () => {
    const g = [summarize([10]), summarize([20]), summarize([30])];
    expect(aggregate(g, "higher")).toBe(60);
    expect(aggregate(g, "lower")).toBe(20);
  });
});

describe("percentOf", () => {
  it("states a single value as a percentage of bare metal's median, oriented like compare", () => {
    expect(percentOf(90, 120, "higher")).toBeCloseTo(75, 10);
    // A latency of 120 against bare metal's 90: 75% as good.
    expect(percentOf(120, 90, "lower")).toBeCloseTo(75, 10);
  });
  it("agrees with compare on the medians", () => {
    const p = summarize([3, 4, 5]);
    const b = summarize([6, 8, 9]);
    for (const d of ["higher", "lower"] as const) {
      expect(percentOf(p.median, b.median, d)).toBeCloseTo(compare(p, b, d).percentOfBaseline, 10);
    }
  });
  it("refuses zeros", () => {
    expect(() => percentOf(0, 10, "higher")).toThrow(/zero/);
    expect(() => percentOf(10, 0, "lower")).toThrow(/zero/);
  });
});

describe("aggregateSummary", () => {
  const a = summarize([10, 12, 11]);
  const b = summarize([20, 19, 24]);
  it("adds throughputs: median, range and trial by trial", () => {
    const s = aggregateSummary([a, b], "higher");
    expect(s.median).toBe(aggregate([a, b], "higher"));
    expect(s.median).toBe(11 + 20);
    expect(s.min).toBe(10 + 19);
    expect(s.max).toBe(12 + 24);
    expect(s.trials).toEqual([30, 31, 35]);
    expect(s.spread).toBeCloseTo((36 - 29) / 31, 10);
  });
  it("averages latencies", () => {
    const s = aggregateSummary([a, b], "lower");
    expect(s.median).toBeCloseTo(15.5, 10);
    expect(s.min).toBeCloseTo(14.5, 10);
    expect(s.max).toBeCloseTo(18, 10);
    expect(s.trials).toEqual([15, 15.5, 17.5]);
  });
  it("uses only as many trials as every guest has", () => {
    expect(aggregateSummary([a, summarize([5, 6])], "higher").trials).toEqual([15, 18]);
  });
  it("compares N guests against the host: 8 guests at an eighth each is parity, within noise", () => {
    const host = summarize([80, 82, 78]);
    const guest = summarize([10, 10.25, 9.75]);
    const c = compare(aggregateSummary(Array(8).fill(guest), "higher"), host, "higher");
    expect(c.percentOfBaseline).toBeCloseTo(100, 10);
    expect(c.withinNoise).toBe(true);
    const slow = compare(aggregateSummary(Array(8).fill(summarize([5, 5, 5])), "higher"), host, "higher");
    expect(slow.percentOfBaseline).toBeCloseTo(50, 10);
    expect(slow.withinNoise).toBe(false);
  });
  it("refuses no guests", () => {
    expect(() => aggregateSummary([], "higher")).toThrow(/no guests/);
  });
});
