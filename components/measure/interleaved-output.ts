/**
 * An interleaved run's output (interleave.sh), read back: per round, each
 * unit's turn (what was paused, the host just before) and each target's
 * section, and from them every target's trials, each with its context. Pure:
 * the program reads it into results, and the rounds' stop rule
 * (precision.ts) reads it in the provider's process between rounds.
 */
import type { BenchmarkModule } from "../../benchmarks/types";
import { Marker, markerLinePattern, markerPattern, markers } from "./protocol";
import { parseTrials, Trial, TrialContext } from "./trials";

/** One unit's turn in a round, as mark_turn printed it. */
export interface Turn {
  round: number;
  unit: number;
  position: number;
  paused: string[];
  host: Record<string, string | number>;
  at: string;
}

/** The fields' groups; those after the first `required` may be missing (runs archived before them). */
const fieldPattern = (fields: readonly string[], required: number) =>
  fields.map((f, i) => (i < required ? ` ${f}=(\\S*)` : `(?: ${f}=(\\S*))?`)).join("");
const lineOf = (m: Marker, required: number) =>
  new RegExp(`${markerPattern(m, "(\\d+)")}${fieldPattern(m.fields, required)}$`, "gm");
const turnLine = lineOf(markers.turn, markers.turn.fields.indexOf("busy"));
const roundLine = lineOf(markers.round, 1);
/** Target T's section: mark_guest T ... mark_guest_end T. */
const sectionOf = (t: number) =>
  new RegExp(
    `${markerLinePattern(markers.guest, String(t))}\\n([\\s\\S]*?)${markerLinePattern(markers.guestEnd, String(t))}`,
    "gm",
  );
const wayFailed = new RegExp(
  `${markerPattern(markers.guestFailed, "\\d+", "(\\d+)")}\\n([\\s\\S]*)`,
  "m",
);
const trialStart = new RegExp(`${markerPattern(markers.trial, "(\\d+)")}$`, "m");

const numberOr = (v: string) =>
  v !== "" && v !== "-" && Number.isFinite(Number(v)) ? Number(v) : v;

/** Every unit's turn, by round then unit. */
export function turns(out: string): Map<number, Map<number, Turn>> {
  const byRound = new Map<number, Map<number, Turn>>();
  for (const m of out.matchAll(turnLine)) {
    const [, round, unit, position, paused, load, governor, mhz, kernel, at, busy, waited, lock] =
      m;
    const t: Turn = {
      round: +round,
      unit: +unit,
      position: +position,
      paused: paused === "-" ? [] : paused.split(","),
      host: {
        load1: numberOr(load),
        ...(busy === undefined ? {} : { busyCpus: numberOr(busy) }),
        ...(waited === undefined ? {} : { quietWaitSeconds: numberOr(waited) }),
        ...(lock === undefined ? {} : { lockWaitSeconds: numberOr(lock) }),
        governor,
        mhz: numberOr(mhz),
        kernel,
      },
      at,
    };
    if (!byRound.has(t.round)) byRound.set(t.round, new Map());
    byRound.get(t.round)!.set(t.unit, t);
  }
  return byRound;
}

/** The rounds that started, with their units' order and the server's state (`server`, absent in older runs). */
export function roundsRun(
  out: string,
): { round: number; order: number[]; server: Record<string, string> }[] {
  return [...out.matchAll(roundLine)].map((m) => {
    const server: Record<string, string> = {};
    markers.round.fields.slice(1).forEach((f, i) => {
      if (m[i + 3] !== undefined) server[f] = m[i + 3];
    });
    return { round: +m[1], order: m[2] === "" ? [] : m[2].split(",").map(Number), server };
  });
}

/**
 * Target `t`'s trials from the whole output: its sections joined (each holds
 * one round's trial, numbered by the round), parsed by the benchmark's parser,
 * one trial per round asked for. A round whose way in failed says so; each
 * trial carries its turn's context (`unit`: the unit the target belongs to).
 */
export function targetTrials(
  m: Pick<BenchmarkModule, "id" | "parse">,
  out: string,
  t: number,
  unit: number,
  params: unknown,
  asked: number,
): Trial[] {
  const sections = [...out.matchAll(sectionOf(t))].map((s) => s[1]);
  const trials = parseTrials(m, sections.join(""), params, asked);
  // A section whose way in failed before the trial began: that round's trial says why.
  const failedWay = new Map<number, string>();
  const run = roundsRun(out);
  const rounds = run.map((r) => r.round);
  const server = new Map(run.map((r) => [r.round, r.server]));
  sections.forEach((s, i) => {
    const failed = wayFailed.exec(s);
    if (!failed) return;
    const round = Number(trialStart.exec(s)?.[1] ?? rounds[i] ?? i + 1);
    const said = failed[2].trim().split("\n").slice(-3).join(" | ");
    // A turn the server did not run (interleave.sh measure_lock) says so itself.
    failedWay.set(
      round,
      said.startsWith("not run: ")
        ? said
        : `could not enter the target (exit ${failed[1]}): ${said}`,
    );
  });
  const context = turns(out);
  return trials.map((tr) => {
    const why = failedWay.get(tr.index);
    const turn = context.get(tr.index)?.get(unit);
    const c: TrialContext | undefined = turn && {
      round: turn.round,
      position: turn.position,
      startedAt: turn.at,
      paused: turn.paused,
      host: { ...turn.host, ...server.get(turn.round) },
    };
    return {
      ...tr,
      ...(why && tr.result === undefined ? { error: why } : {}),
      ...(c ? { context: c } : {}),
    };
  });
}
