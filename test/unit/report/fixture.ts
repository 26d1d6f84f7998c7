import * as fs from "fs";
import * as path from "path";
import { compareToBaseline } from "../../../components/results/summarize";
import type { BenchmarkOutcome, MetricResult, Results } from "../../../components/results/schema";
import { summarize } from "../../../components/results/stats";
import { readRun, Run } from "../../../report/load";
import { scratchDir } from "../../helpers/scratch";

/** The real archived run of the default stack (bare metal, an LXC container, a TCG guest). */
export const fixtureDir = path.join(
  __dirname,
  "../../fixtures/report/2026-11-22T01-09-34-979Z-bff16c54",
);

export const fixtureRun = (): Run => readRun(fixtureDir);

/** A scratch copy of a run folder under the system temp dir. */
export function scratchCopy(run: Run, extra: Record<string, unknown> = {}): string {
  const dir = path.join(scratchDir("vtb-report-"), run.runId);
  fs.mkdirSync(dir, { recursive: true });
  const json = JSON.parse(fs.readFileSync(path.join(run.dir, "results.json"), "utf8"));
  fs.writeFileSync(path.join(dir, "results.json"), JSON.stringify({ ...json, ...extra }));
  return dir;
}

export function metric(
  trials: number[],
  direction: "higher" | "lower" = "higher",
  unit = "ops/s",
  labels: Record<string, string> = {},
): MetricResult {
  return { ...summarize(trials), unit, direction, labels };
}

export function outcome(metrics: Record<string, MetricResult>): BenchmarkOutcome {
  const n = Math.max(...Object.values(metrics).map((m) => m.trials.length));
  return {
    status: "ok",
    toolVersion: "1.0",
    trials: Array.from({ length: n }, (_, i) => ({ index: i + 1, exitCode: 0, seconds: 1 })),
    metrics,
  };
}

/** A Run made in memory, for the arithmetic, compared with bare metal as the program compares a run it archives. */
export function syntheticRun(given: Results, extra: Partial<Run> = {}): Run {
  const results = interleaved(given);
  return {
    dir: "/nonexistent/run-1",
    runId: "run-1",
    stack: "synthetic",
    results,
    comparison: compareToBaseline(results),
    targets: {},
    source: "memory",
    ...extra,
  };
}

/** A copy of `given` with each server's targets in one interleaved run, where an outcome gives no schedule of its own. */
function interleaved(given: Results): Results {
  const results = structuredClone(given);
  for (const [server, platforms] of Object.entries(results)) {
    const keys = Object.entries(platforms).flatMap(([p, guests]) =>
      Object.keys(guests).map((g) => `${server}/${p}/${g}`),
    );
    for (const guests of Object.values(platforms)) {
      for (const benchmarks of Object.values(guests)) {
        for (const o of Object.values(benchmarks)) {
          o.schedule ??= { seed: "synthetic", method: "balanced", rounds: [keys] };
        }
      }
    }
  }
  return results;
}
