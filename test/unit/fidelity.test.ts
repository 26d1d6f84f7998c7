import { judge, Measured, pool } from "../../scripts/fidelity";

const m = (harness: number[], plain: number[] | undefined, metric = "throughput"): Measured => ({
  target: "local/lxc/ct",
  benchmark: "openssl-speed",
  metric,
  unit: "kB/s",
  harness,
  plain,
});

describe("judge", () => {
  it("is within spread when the medians differ by less than the wider side's spread", () => {
    // harness median 100, spread 0.1; plain median 95, spread 10/95
    const j = judge(m([95, 100, 105], [90, 95, 100]));
    expect(j.harness).toBe(100);
    expect(j.plain).toBe(95);
    expect(j.difference).toBeCloseTo(5 / 95);
    expect(j.spread).toBeCloseTo(10 / 95);
    expect(j.withinSpread).toBe(true);
  });

  it("is outside when the medians differ by more than either spread", () => {
    const j = judge(m([120, 121, 122], [100, 101, 102]));
    expect(j.difference).toBeCloseTo(20 / 101);
    expect(j.withinSpread).toBe(false);
  });

  it("does not judge one trial", () => {
    expect(judge(m([120], [100])).withinSpread).toBe("one trial");
  });

  it("a metric the plain script lacks is not within, and has no difference", () => {
    const j = judge(m([1, 2, 3], undefined));
    expect(j.withinSpread).toBe(false);
    expect(j.plain).toBeNaN();
    expect(j.difference).toBeNaN();
  });

  it("refuses a trial that is not a number rather than judging it", () => {
    expect(() => judge(m([1, NaN, 3], [1, 2, 3]))).toThrow(/not a finite number/);
  });
});

describe("pool", () => {
  it("pools every round's trials and counts the rounds the harness was higher", () => {
    // Round 1: the harness higher (machine drifted up); round 2: lower.
    const [p] = pool([
      [m([110, 111, 112], [100, 101, 102])],
      [m([100, 101, 102], [110, 111, 112])],
    ]);
    expect(p.rounds).toBe(2);
    expect(p.harnessHigher).toBe(1);
    expect(p.trials).toBe(6);
    // The pooled trials are the same on both sides: no difference.
    expect(p.difference).toBe(0);
    expect(p.withinSpread).toBe(true);
  });

  it("keeps a consistent effect: higher in every round, outside the spread", () => {
    const [p] = pool([
      [m([120, 121, 122], [100, 101, 102])],
      [m([121, 122, 123], [101, 102, 103])],
    ]);
    expect(p.harnessHigher).toBe(2);
    expect(p.withinSpread).toBe(false);
  });

  it("pools the plain trials of the rounds that have them; none at all is missing", () => {
    const [p] = pool([[m([1, 2, 3], [4, 5, 6])], [m([1, 2, 3], undefined)]]);
    expect(p.plain).toBe(5);
    expect(p.trials).toBe(3);
    expect(p.rounds).toBe(1);
    expect(p.harnessHigher).toBe(0);
    const [q] = pool([[m([1, 2, 3], undefined)], [m([1, 2, 3], [])]]);
    expect(q.withinSpread).toBe(false);
    expect(q.plain).toBeNaN();
    expect(q.rounds).toBe(0);
  });

  it("pools a metric over the rounds that measured it, and says how many", () => {
    const pooled = pool([
      [m([1, 2], [1, 2], "a"), m([5, 6], [5, 6], "b")],
      [m([3, 4], [3, 4], "a"), m([7, 8], [7, 8], "c")],
    ]);
    expect(pooled.map((p) => [p.metric, p.rounds, p.trials])).toEqual([
      ["a", 2, 4],
      ["b", 1, 2],
      ["c", 1, 2],
    ]);
  });

  it("refuses a metric whose unit changed between rounds, and no rounds at all", () => {
    expect(() => pool([[m([1], [1], "a")], [{ ...m([1], [1], "a"), unit: "MB/s" }]])).toThrow(
      /local\/lxc\/ct openssl-speed a in kB\/s in one round, in MB\/s in another/,
    );
    expect(() => pool([])).toThrow(/no rounds/);
  });
});
