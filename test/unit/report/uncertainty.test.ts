// The report shows the uncertainty (issue 19, item 8): values in their natural
// scale, each trial as a dot and the run's confidence interval as a whisker,
// the verdict in words, comparisons across tool versions flagged, and why the
// trials stopped, their order and what was paused.
import * as fs from "fs";
import * as path from "path";
import type { Comparison, ResultsFile } from "../../../components/results/schema";
import { summarize } from "../../../components/results/stats";
import { benchmarkCharts, chartData } from "../../../report/charts";
import { reportBlocks } from "../../../report/document";
import { renderHtml } from "../../../report/html";
import { readRun } from "../../../report/load";
import { renderMarkdown } from "../../../report/markdown";
import { formatValue, metricRows } from "../../../report/tables";
import { digitsFor, formatQuantity, scaleFor } from "../../../report/units";
import { judge } from "../../../report/verdict";
import { fixtureRun, metric, outcome, syntheticRun } from "./fixture";
import { scratchDir } from "../../helpers/scratch";

describe("values in their natural scale", () => {
  it.each([
    // openssl's kB/s are 1000 bytes: 1.058e6 of them are 1.06 GB/s.
    [1.058e6, "kB/s", "1.06 GB/s"],
    [1058, "kB/s", "1.06 MB/s"],
    [999.7, "kB/s", "1.00 MB/s"],
    [0.5, "kB/s", "500 B/s"],
    [0, "kB/s", "0 kB/s"],
    // bonnie's and ab's KiB/s stay binary.
    [123456, "KiB/s", "121 MiB/s"],
    [2048, "KiB/min", "2.00 MiB/min"],
    [941.3, "Mbit/s", "941 Mbit/s"],
    [1234, "Mbit/s", "1.23 Gbit/s"],
    [5, "Mbps", "5.00 Mbit/s"],
    [36.845, "ms", "36.8 ms"],
    [0.042, "ms", "42.0 µs"],
    [1450, "us", "1.45 ms"],
    [3600, "s", "3,600 s"],
    [12345, "ops/s", "12.3 k ops/s"],
    [1.5e6, "ops/s", "1.50 M ops/s"],
    [98.2, "seeks/s", "98.2 seeks/s"],
    [250, "messages/min", "250 messages/min"],
    // Units this module does not scale: as they are, with sensible digits.
    [12.345, "%", "12.3%"],
    [5, "count", "5 count"],
    [1234567, "count", "1,234,567 count"],
    [3.14159, "widgets", "3.14 widgets"],
    [42.17, "HS06", "42.2 HS06"],
  ])("%p %s is %s", (value, unit, shown) => {
    expect(formatQuantity(value, unit)).toBe(shown);
  });

  it("shows a range and a standard deviation in the median's scale, with digits enough to tell them apart", () => {
    const s = scaleFor("kB/s", 1.0612e6);
    expect(s.unit).toBe("GB/s");
    expect(digitsFor(s, [1.0612e6, 1.0648e6])).toBe(4);
    expect(formatValue(summarize([1.04e6, 1.058e6, 1.07e6]), "kB/s")).toBe(
      "1.06 GB/s [1.04–1.07], sd 0.015 (CV 1.4%)",
    );
    expect(formatValue(summarize([36.845]), "ms")).toBe("36.8 ms (1 trial)");
  });

  it("never prints a value that is not a number", () => {
    expect(() => formatQuantity(NaN, "kB/s")).toThrow("a value came out as NaN");
    expect(() => formatQuantity(Infinity, "widgets")).toThrow("a value came out as Infinity");
  });
});

const c = (over: Partial<Comparison>): Comparison => ({
  percentOfBaseline: 100,
  lossPercent: 0,
  ci: null,
  level: 0.95,
  family: 1,
  pValue: null,
  verdict: "no uncertainty",
  method: "Welch t on log values, 95% for this metric alone",
  ...over,
});

describe("the verdict in words", () => {
  it("states a loss with its interval and trials", () => {
    const j = judge(
      c({
        percentOfBaseline: 94.9,
        lossPercent: 5.1,
        ci: { low: 94.0, high: 95.8 },
        pValue: 1e-5,
        verdict: "slower",
      }),
      { sides: { target: 8, baseline: 8 } },
    );
    expect(j.text).toBe("5.1% slower (95% CI 4.2–6.0%, 8 v 8 trials)");
    expect(j.tone).toBe("loss");
  });
  it("states a gain the same way", () => {
    const j = judge(
      c({
        percentOfBaseline: 112.5,
        lossPercent: -12.5,
        ci: { low: 104.2, high: 121.0 },
        verdict: "faster",
      }),
      { sides: { target: 5, baseline: 5 } },
    );
    expect(j.text).toBe("12.5% faster (95% CI 4.2–21.0%, 5 v 5 trials)");
    expect(j.tone).toBe("win");
  });
  it("says no difference found, with the signed interval, not “the same”", () => {
    const j = judge(
      c({
        percentOfBaseline: 99.9,
        lossPercent: 0.1,
        ci: { low: 98.8, high: 100.9 },
        verdict: "no difference found",
      }),
      { sides: { target: 3, baseline: 3 } },
    );
    expect(j.text).toBe("no difference found (95% CI −1.2 to +0.9%, 3 v 3 trials)");
    expect(j.tone).toBe("noise");
    expect(j.short).toBe("≈");
  });
  it("says one trial has no uncertainty, and never colours it", () => {
    expect(
      judge(c({ percentOfBaseline: 80, lossPercent: 20 }), { sides: { target: 1, baseline: 1 } })
        .text,
    ).toBe("one trial each: no uncertainty");
    expect(judge(c({}), { sides: { target: 3, baseline: 1 } }).text).toBe(
      "one trial on bare metal (3 here): no uncertainty",
    );
    // Even a verdict an archive claims for one trial is not coloured.
    const claimed = judge(c({ percentOfBaseline: 50, lossPercent: 50, verdict: "slower" }), {
      sides: { target: 1, baseline: 1 },
    });
    expect(claimed).toMatchObject({ kind: "no uncertainty", tone: "muted" });
  });
  it("quotes an old run's rule without making up an interval", () => {
    const old = { percentOfBaseline: 91, lossPercent: 9, withinNoise: true };
    expect(judge(old, { sides: { target: 3, baseline: 3 } })).toMatchObject({
      text: "within noise (old run: no confidence interval)",
      tone: "noise",
      old: true,
    });
    expect(judge({ ...old, withinNoise: false }, { sides: { target: 3, baseline: 3 } }).text).toBe(
      "9.0% slower (old run: no confidence interval)",
    );
    // The old rule called one trial against one trial a loss: no longer.
    expect(
      judge({ ...old, withinNoise: false }, { sides: { target: 1, baseline: 1 } }),
    ).toMatchObject({
      text: "one trial each: no uncertainty",
      tone: "muted",
    });
  });
  it("flags a comparison across tool versions first", () => {
    const j = judge(
      c({
        percentOfBaseline: 94.9,
        lossPercent: 5.1,
        ci: { low: 94.0, high: 95.8 },
        verdict: "slower",
        toolVersions: { target: "3.0.19", baseline: "3.0.22" },
      }),
      { sides: { target: 8, baseline: 8 } },
    );
    expect(j.text).toBe(
      "⚠ different tool versions: 3.0.19 vs 3.0.22; 5.1% slower (95% CI 4.2–6.0%, 8 v 8 trials)",
    );
    expect(j.flag).toBe("⚠ different tool versions: 3.0.19 vs 3.0.22");
  });
});

// A run as the program archives it now: eight trials interleaved in rounds, a
// container on an older OpenSSL, a QEMU guest with one trial.
const AES = "throughput[algorithm=aes-128-cbc,blockBytes=16384]";
const RSA = "sign_rate[algorithm=rsa2048]";
const bareAes = [1.04e6, 1.05e6, 1.055e6, 1.058e6, 1.058e6, 1.06e6, 1.065e6, 1.07e6];
const bareRsa = [12300, 12320, 12340, 12345, 12350, 12360, 12380, 12400];
const metricOf = (trials: number[], unit: string, labels: Record<string, string>) => ({
  ...summarize(trials),
  unit,
  direction: "higher" as const,
  labels,
});
const aesLabels = { algorithm: "aes-128-cbc", blockBytes: "16384" };
const rsaLabels = { algorithm: "rsa2048" };
const rounds = Array.from({ length: 8 }, (_, i) =>
  i % 2 === 0 ? ["s/baseline/host", "s/lxc/ct"] : ["s/lxc/ct", "s/baseline/host"],
);
const outcomeOf = (
  version: string,
  metrics: Record<string, ReturnType<typeof metricOf>>,
  n: number,
  position: number,
) => ({
  status: "ok" as const,
  toolVersion: version,
  asked: 20,
  stopped: "precision ±2% reached after 8 rounds",
  schedule: { seed: "42", method: "interleaved, shuffled per round", rounds },
  trials: Array.from({ length: n }, (_, i) => ({
    index: i + 1,
    exitCode: 0,
    seconds: 30,
    context: {
      round: i,
      position,
      startedAt: `2026-12-01T10:0${i}:00Z`,
      paused: ["s/kvm/vm"],
      host: { load1: 0.12 + i * 0.01, governor: "performance", mhz: 2400 },
    },
  })),
  metrics,
});
const archived: ResultsFile = {
  stack: "unit",
  server: "s",
  results: {
    s: {
      baseline: {
        host: {
          "openssl-speed": outcomeOf(
            "OpenSSL 3.0.22",
            {
              [AES]: metricOf(bareAes, "kB/s", aesLabels),
              [RSA]: metricOf(bareRsa, "ops/s", rsaLabels),
            },
            8,
            0,
          ),
        },
      },
      lxc: {
        ct: {
          "openssl-speed": outcomeOf(
            "OpenSSL 3.0.19",
            {
              [AES]: metricOf(
                bareAes.map((x) => x * 0.949),
                "kB/s",
                aesLabels,
              ),
              [RSA]: metricOf(bareRsa, "ops/s", rsaLabels),
            },
            8,
            1,
          ),
        },
      },
      kvm: {
        vm: {
          "openssl-speed": {
            status: "ok",
            toolVersion: "OpenSSL 3.0.22",
            trials: [{ index: 1, exitCode: 0, seconds: 300 }],
            metrics: { [AES]: metricOf([2.1e5], "kB/s", aesLabels) },
          },
        },
      },
    },
  },
  comparison: {
    s: {
      lxc: {
        ct: {
          "openssl-speed": {
            [AES]: c({
              percentOfBaseline: 94.9,
              lossPercent: 5.1,
              ci: { low: 94.0, high: 95.8 },
              family: 2,
              pValue: 1e-6,
              verdict: "slower",
              method: "Welch t on log values, 95% family-wise over 2 metrics (Bonferroni)",
              toolVersions: { target: "OpenSSL 3.0.19", baseline: "OpenSSL 3.0.22" },
            }),
            [RSA]: c({
              percentOfBaseline: 99.9,
              lossPercent: 0.1,
              ci: { low: 98.8, high: 100.9 },
              family: 2,
              pValue: 0.8,
              verdict: "no difference found",
              method: "Welch t on log values, 95% family-wise over 2 metrics (Bonferroni)",
              toolVersions: { target: "OpenSSL 3.0.19", baseline: "OpenSSL 3.0.22" },
            }),
          },
        },
      },
      kvm: {
        vm: {
          "openssl-speed": {
            [AES]: c({
              percentOfBaseline: 19.9,
              lossPercent: 80.1,
              method:
                "ratio of geometric means; a one-trial result says it has no uncertainty, so no interval",
            }),
          },
        },
      },
    },
  },
};

/** The archive written as results.json and read back the way npm run report reads it. */
function archivedRun() {
  const dir = path.join(scratchDir("vtb-uncertainty-"), "run-1");
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "results.json"), JSON.stringify(archived));
  return readRun(dir);
}

describe("the report of a run with intervals", () => {
  const run = archivedRun();
  const md = renderMarkdown(reportBlocks(run, []));
  const html = renderHtml(reportBlocks(run, []));
  const line = (start: string) => md.split("\n").find((l) => l.startsWith(start));

  it("reads every new field back from results.json", () => {
    const o = run.results.s.lxc.ct["openssl-speed"];
    expect(o.stopped).toBe("precision ±2% reached after 8 rounds");
    expect(o.trials[0].context?.paused).toEqual(["s/kvm/vm"]);
    expect(run.comparison.s.lxc.ct["openssl-speed"][AES].ci).toEqual({ low: 94.0, high: 95.8 });
  });

  it("shows each metric's value in its scale, sd and CV, and the verdict with its interval", () => {
    expect(line("| throughput aes-128-cbc 16384 |")).toBe(
      "| throughput aes-128-cbc 16384 | higher | 1.06 GB/s \\[1.04–1.07\\], sd 0.0091 (CV 0.87%) | " +
        "1.00 GB/s \\[0.987–1.02\\], sd 0.0087 (CV 0.87%) | " +
        "⚠ different tool versions: OpenSSL 3.0.19 vs OpenSSL 3.0.22; 94.9%: 5.1% slower (95% CI 4.2–6.0%, 8 v 8 trials) | " +
        "210 MB/s (1 trial) | 19.9%: one trial here (8 on bare metal): no uncertainty |",
    );
    expect(line("| sign rate rsa2048 |")).toContain(
      "| 12.35 k ops/s \\[12.30–12.40\\], sd 0.032 (CV 0.26%) |",
    );
    expect(line("| sign rate rsa2048 |")).toContain(
      "99.9%: no difference found (95% CI −1.2 to +0.9%, 8 v 8 trials) |",
    );
    // The method, in the run's words, where the intervals are.
    expect(md).toContain("Welch t on log values, 95% family-wise over 2 metrics (Bonferroni)");
    expect(md).not.toMatch(/within noise|old run/);
  });

  it("flags the comparison across tool versions in the document, the summary and the % loss table", () => {
    expect(md).toContain(
      "**⚠ Compared across different tool versions (the platform's vs bare metal's), so a difference may be the tool's: lxc/ct openssl-speed: OpenSSL 3.0.19 vs OpenSSL 3.0.22.**",
    );
    expect(line("| openssl-speed | throughput aes-128-cbc 16384, sign rate rsa2048 |")).toMatch(
      /\| ⚠ different tool versions: OpenSSL 3\.0\.19 vs OpenSSL 3\.0\.22; 97\.4% \(1 slower, 1 no difference found\) \| 19\.9% \(one trial: no uncertainty\) \|$/,
    );
    expect(md).toContain(
      "| openssl-speed | throughput aes-128-cbc 16384 | lxc/ct | 1.00 GB/s \\[0.987–1.02\\], sd 0.0087 (CV 0.87%) | ⚠ different tool versions: OpenSSL 3.0.19 vs OpenSSL 3.0.22; 5.1% slower (95% CI 4.2–6.0%, 8 v 8 trials) |",
    );
    expect(md).toContain(
      "- lxc/ct: ok, OpenSSL 3.0.19, ⚠ different tool versions: OpenSSL 3.0.19 vs OpenSSL 3.0.22 (here vs bare metal), 8 trial(s) of 20 asked",
    );
    expect(html).toMatch(/<td class="loss warn">⚠ different tool versions/);
    expect(html).toContain('<p class="warn">⚠ Compared across different tool versions');
  });

  it("says why the trials stopped, their order and seed, what was paused and the host's state", () => {
    expect(line("- lxc/ct:")).toBe(
      "- lxc/ct: ok, OpenSSL 3.0.19, ⚠ different tool versions: OpenSSL 3.0.19 vs OpenSSL 3.0.22 (here vs bare metal), " +
        "8 trial(s) of 20 asked, stopped: precision ±2% reached after 8 rounds, paused during the trials: kvm/vm, " +
        "host before the trials: load1 0.120–0.190, governor performance, mhz 2400",
    );
    expect(line("- kvm/vm:")).toBe("- kvm/vm: ok, OpenSSL 3.0.22, 1 trial(s)");
    // Both targets ran in one interleaved order: shown once, its first rounds.
    expect(line("- order of the trials:")).toBe(
      "- order of the trials: seed 42, interleaved, shuffled per round: round 1 bare metal, lxc/ct; " +
        "round 2 lxc/ct, bare metal; round 3 bare metal, lxc/ct; round 4 lxc/ct, bare metal; … (8 rounds)",
    );
  });

  it("draws each trial as a dot and the interval as a whisker, with bare metal's value under each metric", async () => {
    const { data, trials } = chartData(metricRows(run), "s", "openssl-speed", [AES, RSA]);
    const aes = data.filter((d) => d.metric.startsWith("throughput"));
    expect(aes.map((d) => d.target)).toEqual(["bare metal", "lxc/ct", "kvm/vm"]);
    expect(aes[0].metric).toBe("throughput\naes-128-cbc\n16384\n(1.06 GB/s)");
    expect(aes[1]).toMatchObject({
      percent: 94.9,
      low: 94.0,
      high: 95.8,
      label: "⚠95%",
      faded: false,
    });
    expect(aes[2]).toMatchObject({ percent: 19.9, label: "n=1", faded: true });
    expect(aes[2].low).toBeUndefined();
    expect(aes[0].low).toBeUndefined();
    // A dot per trial: 8 + 8 + 1 for the throughput, 8 + 8 for the sign rate.
    expect(trials).toHaveLength(33);
    const ct = trials.filter((t) => t.target === "lxc/ct" && t.metric === aes[0].metric);
    expect(ct.map((t) => t.percent).sort((a, b) => a - b)[0]).toBeCloseTo(
      (1.04e6 * 0.949 * 100) / 1.058e6,
      8,
    );
    const [chart] = await benchmarkCharts(run);
    const marks = (chart.spec as { layer: { mark: { type: string } }[] }).layer.map(
      (l) => l.mark.type,
    );
    expect(marks).toEqual(expect.arrayContaining(["bar", "point", "errorbar", "text", "rule"]));
    expect(chart.intervals).toBe(true);
    expect(chart.svg).toMatch(/class="mark-symbol role-mark/);
    expect(chart.svg).toContain("95% confidence interval");
  }, 60000);
});

describe("a trial of 0", () => {
  it("is a dot at 0% of a throughput, and none of a time; the comparison is not comparable", () => {
    const run = syntheticRun({
      s: {
        baseline: {
          host: { b: outcome({ rate: metric([5, 5, 5]), lat: metric([2, 2, 2], "lower", "ms") }) },
        },
        kvm: {
          vm: { b: outcome({ rate: metric([0, 5, 6]), lat: metric([0, 2, 3], "lower", "ms") }) },
        },
      },
    });
    const { data, trials } = chartData(metricRows(run), "s", "b", ["rate", "lat"]);
    const vm = (m: string) => trials.filter((t) => t.target === "kvm/vm" && t.metric.startsWith(m));
    expect(vm("rate").map((t) => t.percent)).toEqual([0, 100, 120]);
    expect(vm("lat").map((t) => t.percent)).toEqual([100, (2 / 3) * 100]);
    expect(data.find((d) => d.target === "kvm/vm")).toMatchObject({ label: "", faded: true });
    expect(renderMarkdown(reportBlocks(run, []))).toMatch(/: not comparable: ratio of medians/);
  });
});

describe("the report of an old run (no intervals)", () => {
  const run = fixtureRun();
  const md = renderMarkdown(reportBlocks(run, []));
  it("says so once, and marks each verdict as an old run's", () => {
    expect(md).toContain("This run was archived before confidence intervals");
    expect(md).toContain("within noise (old run: no confidence interval)");
    expect(md).not.toMatch(/95% CI/);
    // postal ran once everywhere: no verdict, old rule or not.
    const postal = md.split("\n").filter((l) => l.startsWith("| messages per minute |"));
    expect(postal).toHaveLength(1);
    expect(postal[0]).toMatch(/one trial each: no uncertainty/);
    expect(postal[0]).not.toMatch(/slower|faster/);
  });
  it("draws no whisker it does not have", () => {
    const { data } = chartData(metricRows(run), "local", "ab", ["requests_per_second"]);
    expect(data.length).toBe(3);
    expect(data.every((d) => d.low === undefined)).toBe(true);
  });
});
