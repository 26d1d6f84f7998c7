import { BenchmarkModule, BenchmarkResult } from "../../benchmarks/types";

export interface Trial {
  index: number;
  exitCode: number;
  seconds: number;
  raw: string;
  /** Present when the trial ran and its output parsed. */
  result?: BenchmarkResult;
  /** Why the trial counts as failed: a non-zero exit, a timeout or a parse error. */
  error?: string;
}

/** The runner's end-of-trial lines: "@@@ end N rc=RC seconds=S". */
const endLine = /^@@@ end (\d+) rc=(\d+) seconds=([\d.]+)$/gm;

/** Seconds the runner's own clock counted inside the trials of a recorded output. */
export function secondsInTrials(out: string): number {
  return [...out.matchAll(endLine)].reduce((a, m) => a + Number(m[3]), 0);
}

/** Splits the runner's output into trials and parses each with the benchmark's parser. */
export function parseTrials(
  module: Pick<BenchmarkModule, "id" | "parse">,
  out: string,
  params: unknown,
): Trial[] {
  const trials: Trial[] = [];
  const re =
    /^@@@ trial (\d+)\n([\s\S]*?)(?:^@@@ stderr \1\n([\s\S]*?))?^@@@ end \1 rc=(\d+) seconds=([\d.]+)$/gm;
  for (const m of out.matchAll(re)) {
    const [, index, raw, stderr, rc, seconds] = m;
    const t: Trial = { index: +index, exitCode: +rc, seconds: +seconds, raw };
    if (t.exitCode !== 0) {
      t.error =
        t.exitCode === 124 || t.exitCode === 137
          ? `timed out after ${seconds}s`
          : `exited with code ${rc}: ${(stderr ?? "").trim().split("\n").slice(-3).join(" | ")}`;
    } else {
      try {
        t.result = module.parse(raw, params);
      } catch (e) {
        t.error = (e as Error).message;
      }
    }
    trials.push(t);
  }
  return trials;
}
