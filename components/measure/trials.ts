import { BenchmarkModule, BenchmarkResult } from "../../benchmarks/types";
import { markerLine, markerLinePattern, markerPattern, markers } from "./protocol";
import type { TrialContext } from "../results/schema";

export type { TrialContext };

export interface Trial {
  index: number;
  exitCode: number;
  seconds: number;
  raw: string;
  /** The tail of what the trial wrote on stderr, when it wrote anything (older runs: only a failed trial's). */
  stderr?: string;
  /** Present when the trial ran and its output parsed. */
  result?: BenchmarkResult;
  /** Why the trial counts as failed: a non-zero exit, a timeout, a parse error, or missing output. */
  error?: string;
  /** The run's output does not hold this trial whole (never started, or cut before its end). */
  missing?: true;
  /** In an interleaved run: its round and place, what was paused, the host just before. */
  context?: TrialContext;
}

/** The runner's end-of-trial lines (markers.end): N, RC, S. */
const endLine = new RegExp(markerLinePattern(markers.end, "(\\d+)", "(\\d+)", "([\\d.]+)"), "gm");
/** The runner's start-of-trial lines (markers.trial): N. */
const startLine = new RegExp(markerLinePattern(markers.trial, "(\\d+)"), "gm");
/** A whole trial: its start, its output, the tail of its stderr when it wrote any, its end. */
const wholeTrial = new RegExp(
  `${markerPattern(markers.trial, "(\\d+)")}\\n([\\s\\S]*?)` +
    `(?:${markerPattern(markers.stderr, "\\1")}\\n([\\s\\S]*?))?` +
    markerLinePattern(markers.end, "\\1", "(\\d+)", "([\\d.]+)"),
  "gm",
);
/** The next trial's start or any trial's end: where a cut trial's output stops. */
const nextMarker = new RegExp(
  `${markerPattern(markers.trial, "\\d+")}|${markerPattern(markers.end, "\\d+")}`,
  "m",
);

/** Seconds the runner's own clock counted inside the trials of a recorded output. */
export function secondsInTrials(out: string): number {
  return [...out.matchAll(endLine)].reduce((a, m) => a + Number(m[3]), 0);
}

/**
 * Splits the runner's output into trials and parses each with the benchmark's
 * parser. With `repeats`, the result has a trial for each of 1..repeats: one the
 * output lacks, or holds only the start of, is a failed trial saying so, so a
 * run that lost trials never counts as whole. (Without it, the trials the output
 * started are expected.) A trial outside 1..repeats, or seen twice, is a failed one.
 */
export function parseTrials(
  module: Pick<BenchmarkModule, "id" | "parse">,
  out: string,
  params: unknown,
  repeats?: number,
): Trial[] {
  const found = new Map<number, Trial>();
  const odd: Trial[] = [];
  for (const m of out.matchAll(wholeTrial)) {
    const [, index, raw, stderr, rc, seconds] = m;
    const t: Trial = {
      index: +index,
      exitCode: +rc,
      seconds: +seconds,
      raw,
      ...(stderr ? { stderr } : {}),
    };
    const first = found.get(t.index);
    if (first) {
      // Not one run's output: neither copy is trusted (the first is kept, as archived).
      first.error = "seen twice in the run's output: it is not one run's";
      delete first.result;
      continue;
    }
    if (t.index < 1 || (repeats !== undefined && t.index > repeats)) {
      t.error = `not asked for (trials 1 to ${repeats ?? "n"})`;
      odd.push(t);
      continue;
    }
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
    found.set(t.index, t);
  }
  // Trials started but not ended: the output was cut, or the runner stopped, inside them.
  const started = new Map<number, string>();
  for (const m of out.matchAll(startLine)) {
    const rest = out.slice(m.index + m[0].length + 1);
    const next = rest.search(nextMarker);
    started.set(+m[1], next < 0 ? rest : rest.slice(0, next));
  }
  const expected = repeats ?? Math.max(0, ...started.keys());
  for (let i = 1; i <= expected; i++) {
    if (found.has(i)) continue;
    const raw = started.get(i);
    found.set(i, {
      index: i,
      exitCode: -1,
      seconds: 0,
      raw: raw ?? "",
      missing: true,
      error:
        raw === undefined
          ? `missing from the run's output (no "${markers.trial.head}" line for it)`
          : `cut: its output stops after ${raw.length} characters, before "${markerLine(markers.end, i)}"`,
    });
  }
  return [...[...found.values()].sort((a, b) => a.index - b.index), ...odd];
}
