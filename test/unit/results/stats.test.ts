import { aggregate, compare, median, summarize } from "../../../components/results/stats";

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
