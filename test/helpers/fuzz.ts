import fc from "fast-check";
import * as fs from "fs";
import { BenchmarkResult, Metric, ParseError, resultSchema } from "../../benchmarks/types";

/**
 * One fuzzer for every benchmark parser (issue 6: "the parsers are fuzzed with
 * truncated, garbled and random inputs; they return an error or a correct value,
 * never a wrong number, and never crash the run").
 *
 * Inputs, made by fast-check from each recorded fixture, with a fixed seed so a
 * failure replays, and shrunk to a small counterexample when one fails:
 *   - truncation: the fixture cut at any character, or at the end of a line;
 *   - line edits: 1-4 lines deleted, duplicated or swapped with another line;
 *   - garbling: one edit inside one line: a digit changed, a minus sign, NaN or
 *     inf or a huge number instead of a number, a decimal point moved, a unit
 *     swapped for another, or any character replaced;
 *   - noise: random strings, and the fixture's lines in random order and number.
 *
 * The property (`check`), for each input: parse() throws a ParseError with a
 * message, or returns a result that passes the result schema, in which
 *   (always) values are finite and >= 0, metric keys (name + labels) are unique
 *     and each is one the intact fixture gives, with its unit and direction;
 *   (truncation, line edits) every metric equals the intact fixture's: lines that
 *     are cut, lost, repeated or moved change no number (a metric whose line the
 *     tool prints only sometimes may take its declared absent value when that
 *     line is gone);
 *   (garbling of line L) a metric that differs from the intact one had its number
 *     printed on L, and its new value is a number now printed on L (scaled as the
 *     parser scales it), unless it is declared derived from many lines;
 *   (noise) nothing more than "always".
 * Any other exception (TypeError, RangeError ...) fails the property.
 */

export interface Fixture<P> {
  name: string;
  raw: string;
  params: P;
}

export interface FuzzSpec<P> {
  benchmark: string;
  /** The parser's name in test titles and stats, when a benchmark has more than one (its own output). */
  name?: string;
  parse: (raw: string, params: P) => BenchmarkResult;
  fixtures: Fixture<P>[];
  /** value = printed number * scale, for each way the parser scales what it reads. Default [1]. */
  scales?: number[];
  /** Metrics computed from several lines (means, geometric means, sums). */
  derived?: (m: Metric) => boolean;
  /** Metrics whose line the tool prints only sometimes: without it, the value is `absent`. */
  optional?: { metric: (m: Metric) => boolean; line: RegExp; absent: number }[];
  /**
   * Lines the parser can only take at their word: moved (swapped) with one another,
   * they carry whole blocks to other labels and no check can tell. A line edit that
   * moves one is held to the "always" part only; each needs a reason.
   */
  trusted?: { line: RegExp; why: string }[];
  /**
   * Why an output cut at a line, or without its first lines, can only read as
   * a shorter run: the tool prints no total, count or end to check it by (postal's
   * own output). Such a result is held to `consistent` (its values are of lines
   * in the text), not to the intact values; each parser that needs it says why.
   */
  shorterRun?: string;
  /** Further relations every accepted result must satisfy (e.g. a sum of its parts). */
  consistent?: (r: BenchmarkResult, text: string) => void;
  /** Inputs per family per fixture; default 150 (noise: per parser). */
  runs?: number;
  seed?: number;
}

export type Family = "truncation" | "line edits" | "garbling" | "noise";

/** A generated input and what was done to the fixture to make it. */
export interface Input {
  family: Family;
  text: string;
  /** Line edits: the lines moved (swapped). */
  moved?: string[];
  /** Garbling: the index of the fixture line edited, and the line as edited. */
  line?: number;
  edited?: string;
  what: string;
}

/** Inputs tried and parsed, per parser, fixture and family: for docs/faults.md. */
export const stats: Record<string, Record<Family, { tried: number; parsed: number }>> = {};

const keyOf = (m: Metric) =>
  `${m.name} ${JSON.stringify(Object.entries(m.labels).sort(([a], [b]) => a.localeCompare(b)))}`;

// Numbers as parsers read them: 12, 3.5, .5, 1e6, 27753827241.23612.
const NUMBER = /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

/** True if `value` is one of the numbers printed in `text`, times one of the scales. */
export function printedIn(value: number, text: string, scales: number[]): boolean {
  const numbers = (text.match(NUMBER) ?? []).map(Number);
  return numbers.some((n) =>
    scales.some((s) => {
      const v = n * s;
      return v === value || Math.abs(v - value) <= 1e-9 * Math.max(Math.abs(v), Math.abs(value));
    }),
  );
}

// ---------------------------------------------------------------- generators

const splitLines = (raw: string) => raw.split("\n");

function truncation(raw: string): fc.Arbitrary<Input> {
  const lines = splitLines(raw);
  const ends = lines.map((_, i) => lines.slice(0, i + 1).join("\n").length);
  return fc.oneof(
    fc.nat({ max: Math.max(0, raw.length - 1) }).map((at) => ({
      family: "truncation" as const,
      text: raw.slice(0, at),
      what: `cut at character ${at}`,
    })),
    fc.nat({ max: Math.max(0, lines.length - 2) }).map((i) => ({
      family: "truncation" as const,
      // With the newline, as a writer stopped between two lines leaves it.
      text: raw.slice(0, ends[i] + 1),
      what: `cut after line ${i}`,
    })),
  );
}

type LineOp =
  | { op: "delete"; i: number }
  | { op: "duplicate"; i: number }
  | { op: "swap"; i: number; j: number }
  | { op: "swap alike"; i: number; j: number };

/** A line's shape: its text with every number as "#" ("[SUM] #-# sec # MBytes ..."). */
const shape = (line: string) => line.replace(NUMBER, "#");

/**
 * Line edits; `sources` are the lines a metric's number is printed on, where a
 * moved line does harm, so swaps of alike lines start from one of them.
 */
function lineEdits(raw: string, sources: number[]): fc.Arbitrary<Input> {
  const n = splitLines(raw).length;
  const index = fc.nat({ max: Math.max(0, n - 1) });
  const source =
    sources.length > 0 ? fc.nat({ max: sources.length - 1 }).map((k) => sources[k]) : index;
  const op: fc.Arbitrary<LineOp> = fc.oneof(
    fc.record({ op: fc.constant("delete" as const), i: index }),
    fc.record({ op: fc.constant("duplicate" as const), i: index }),
    fc.record({ op: fc.constant("swap" as const), i: index, j: index }),
    // Two lines of the same shape swapped, e.g. the [SUM] lines of two runs or the
    // bits_per_second of two JSON objects: each line intact, in the other's place.
    fc.record({ op: fc.constant("swap alike" as const), i: source, j: fc.nat() }),
  );
  return fc.array(op, { minLength: 1, maxLength: 4 }).map((ops) => {
    const lines = splitLines(raw);
    const done: string[] = [];
    const moved: string[] = [];
    for (const o of ops) {
      if (lines.length === 0) break;
      const i = Math.min(o.i, lines.length - 1);
      if (o.op === "delete") lines.splice(i, 1);
      else if (o.op === "duplicate") lines.splice(i, 0, lines[i]);
      else {
        let j = Math.min(o.j, lines.length - 1);
        if (o.op === "swap alike") {
          const alike = lines
            .map((l, k) => [l, k] as const)
            .filter(([l, k]) => k !== i && l !== lines[i] && shape(l) === shape(lines[i]));
          if (alike.length === 0) continue;
          j = alike[o.j % alike.length][1];
        }
        moved.push(lines[i], lines[j]);
        [lines[i], lines[j]] = [lines[j], lines[i]];
        done.push(`${o.op} ${i} ${j}`);
        continue;
      }
      done.push(`${o.op} ${i}`);
    }
    return {
      family: "line edits" as const,
      text: lines.join("\n"),
      moved,
      what: done.join(", ") || "none",
    };
  });
}

const UNITS = [
  "sec",
  "msec",
  "MBytes",
  "GBytes",
  "KBytes",
  "Mbits/sec",
  "Gbits/sec",
  "Kbits/sec",
  "bits/sec",
  "ms",
  "us",
  "s",
  "k",
  "M",
  "G",
  "bytes",
  "KByte",
  "[ms]",
  "[s]",
  "[#/sec]",
  "[Kbytes/sec]",
  "lps",
  "lpm",
  "MWIPS",
  "KBps",
  "%",
];
const NOT_NUMBERS = ["NaN", "nan", "inf", "-inf", "Infinity", "-1", "1e309", "9".repeat(400), ""];
const CHARS = [..."0123456789.-+eE ,:*#@k\t|/()[]x", "\n", "\u00a0", "\u0000", "é"];

/** One edit inside one line of the fixture; numbers on `sources` lines are edited most. */
function garbling(raw: string, sources: number[]): fc.Arbitrary<Input> {
  const lines = splitLines(raw);
  // Every number (first those on the metrics' lines) and every unit-like word, by line.
  const numbers: [number, number, string][] = [];
  const units: [number, number, string][] = [];
  const onSources = new Set(sources);
  lines.forEach((l, i) => {
    for (const m of l.matchAll(NUMBER)) {
      numbers.push([i, m.index, m[0]]);
      if (onSources.has(i)) numbers.push([i, m.index, m[0]], [i, m.index, m[0]]);
    }
    for (const m of l.matchAll(/[A-Za-z%#/[\]]+/g)) {
      if (UNITS.includes(m[0])) units.push([i, m.index, m[0]]);
    }
  });
  const edit = (i: number, at: number, length: number, by: string, what: string): Input => ({
    family: "garbling",
    text: [
      ...lines.slice(0, i),
      lines[i].slice(0, at) + by + lines[i].slice(at + length),
      ...lines.slice(i + 1),
    ].join("\n"),
    line: i,
    edited: lines[i].slice(0, at) + by + lines[i].slice(at + length),
    what: `line ${i}: ${JSON.stringify(lines[i].slice(at, at + length))} -> ${JSON.stringify(by)} (${what})`,
  });
  const pick = <T>(list: T[]) => fc.nat({ max: Math.max(0, list.length - 1) }).map((k) => list[k]);
  const arbs: fc.Arbitrary<Input>[] = [
    // Any character replaced, inserted or deleted.
    fc
      .tuple(
        fc.nat({ max: Math.max(0, lines.length - 1) }),
        fc.nat(),
        fc.constantFrom(...CHARS),
        fc.constantFrom(0, 1),
      )
      .map(([i, k, c, length]) =>
        edit(i, lines[i].length === 0 ? 0 : k % lines[i].length, length, c, "character"),
      ),
  ];
  if (numbers.length > 0) {
    arbs.push(
      // A digit changed.
      fc
        .tuple(pick(numbers), fc.nat(), fc.integer({ min: 1, max: 9 }))
        .map(([[i, at, text], k, d]) => {
          const digits = [...text].map((c, x) => [c, x] as const).filter(([c]) => /\d/.test(c));
          const [c, x] = digits[k % digits.length];
          const by = String((Number(c) + d) % 10);
          return edit(i, at + x, 1, by, "digit");
        }),
      // A number replaced by a minus sign, NaN, inf, a huge number ...
      fc
        .tuple(pick(numbers), fc.constantFrom(...NOT_NUMBERS))
        .map(([[i, at, text], by]) => edit(i, at, text.length, by, "not a number")),
      fc.tuple(pick(numbers)).map(([[i, at]]) => edit(i, at, 0, "-", "minus sign")),
      // The decimal point moved, added or dropped; an exponent added.
      fc
        .tuple(pick(numbers), fc.nat(), fc.constantFrom("point", "exponent"))
        .map(([[i, at, text], k, how]) => {
          if (how === "exponent") return edit(i, at, text.length, `${text}e3`, "exponent");
          const plain = text.replace(".", "");
          const p = k % (plain.length + 1);
          return edit(
            i,
            at,
            text.length,
            `${plain.slice(0, p)}.${plain.slice(p)}`.replace(/\.$/, ""),
            "point",
          );
        }),
    );
  }
  if (units.length > 0) {
    arbs.push(
      fc
        .tuple(pick(units), fc.constantFrom(...UNITS))
        .filter(([[, , u], by]) => u !== by)
        .map(([[i, at, u], by]) => edit(i, at, u.length, by, "unit")),
    );
  }
  return fc.oneof(...arbs);
}

function noise(raws: string[]): fc.Arbitrary<Input> {
  const lines = raws.flatMap(splitLines);
  return fc.oneof(
    fc.string({ unit: "binary", maxLength: 200 }).map((text) => ({
      family: "noise" as const,
      text,
      what: "random string",
    })),
    fc
      .string({ unit: fc.constantFrom(...CHARS, "a", "Z", "@@@ "), maxLength: 200 })
      .map((text) => ({
        family: "noise" as const,
        text,
        what: "random string of the fixtures' characters",
      })),
    fc.array(fc.constantFrom(...lines), { maxLength: 40 }).map((ls) => ({
      family: "noise" as const,
      text: ls.join("\n"),
      what: "the fixtures' lines in random order and number",
    })),
  );
}

// ---------------------------------------------------------------- the property

/** The intact fixture: its metrics by key, and its lines. */
interface Intact {
  byKey: Map<string, Metric>;
  lines: string[];
}

export function intactOf<P>(spec: FuzzSpec<P>, fixtures: Fixture<P>[]): Intact {
  const byKey = new Map<string, Metric>();
  for (const f of fixtures) {
    for (const m of spec.parse(f.raw, f.params).metrics) byKey.set(keyOf(m), m);
  }
  return { byKey, lines: splitLines(fixtures[0].raw) };
}

/** How fast-check prints an input in a failure: what was done, not the whole text. */
function described(input: Input): Input {
  return Object.assign(input, {
    [fc.toStringMethod]: () =>
      `${input.family}: ${input.what}` +
      (input.edited !== undefined ? `, the line now ${JSON.stringify(input.edited)}` : "") +
      (input.family === "noise" ? `: ${JSON.stringify(input.text.slice(0, 300))}` : ""),
  });
}

/** Throws (an assertion message) if `input`'s parse breaks the property; true if it parsed. */
export function check<P>(spec: FuzzSpec<P>, intact: Intact, input: Input, params: P): boolean {
  let r: BenchmarkResult;
  try {
    r = spec.parse(input.text, params);
  } catch (e) {
    if (!(e instanceof ParseError)) {
      throw new Error(
        `${input.what}: threw ${String((e as Error)?.name)}, not a ParseError: ${String(e)}`,
      );
    }
    if (!/\S/.test(e.message.replace(`${spec.benchmark}:`, ""))) {
      throw new Error(`${input.what}: a ParseError without a message`);
    }
    return false;
  }
  const fail = (msg: string): never => {
    throw new Error(`${input.what}: ${msg}`);
  };
  const valid = resultSchema.safeParse(r);
  if (!valid.success) fail(`result fails the schema: ${valid.error.message}`);
  if (r.benchmark !== spec.benchmark) fail(`benchmark ${r.benchmark}`);
  const scales = spec.scales ?? [1];
  const seen = new Set<string>();
  for (const m of r.metrics) {
    const key = keyOf(m);
    const label = `${key} = ${m.value}`;
    if (!Number.isFinite(m.value) || m.value < 0) fail(`${label}: not a finite number >= 0`);
    if (seen.has(key)) fail(`${key} twice`);
    seen.add(key);
    const was = intact.byKey.get(key);
    if (!was) fail(`${label}: a metric the intact output does not have`);
    if (m.unit !== was!.unit || m.direction !== was!.direction) {
      fail(`${label}: ${m.unit} (${m.direction}), intact ${was!.unit} (${was!.direction})`);
    }
    if (m.value === was!.value) continue;
    const optional = spec.optional?.find((o) => o.metric(m));
    if (optional && !optional.line.test(input.text) && m.value === optional.absent) continue;
    const trusted = spec.trusted?.find((t) => input.moved?.some((l) => t.line.test(l)));
    if (trusted) continue;
    if (input.family === "truncation" || input.family === "line edits") {
      if (spec.shorterRun !== undefined && spec.consistent) continue;
      fail(`${label}, intact ${was!.value}: a number changed by cutting or moving lines`);
    }
    if (input.family === "garbling") {
      if (spec.derived?.(m)) continue;
      const before = input.line!;
      if (!printedIn(was!.value, intact.lines[before], scales)) {
        fail(`${label}, intact ${was!.value}: changed by an edit of a line it was not read from`);
      }
      if (!printedIn(m.value, input.edited!, scales)) {
        fail(`${label}, intact ${was!.value}: not a number printed on the edited line`);
      }
    }
  }
  spec.consistent?.(r, input.text);
  return true;
}

/** Defines the fuzz tests of one parser: one per fixture and family, and one of noise. */
export function fuzzParser<P>(spec: FuzzSpec<P>): void {
  // VTB_FUZZ_RUNS and VTB_FUZZ_SEED: a longer or another run, e.g. before a release.
  const runs = Number(process.env.VTB_FUZZ_RUNS ?? spec.runs ?? 150);
  const seed = Number(process.env.VTB_FUZZ_SEED ?? spec.seed ?? 20061109);
  const scales = spec.scales ?? [1];
  const name = spec.name ?? spec.benchmark;
  describe(`${name} parser under truncated, garbled and random input`, () => {
    const count = (family: Family, parsed: boolean) => {
      const s = (stats[name] ??= {
        truncation: { tried: 0, parsed: 0 },
        "line edits": { tried: 0, parsed: 0 },
        garbling: { tried: 0, parsed: 0 },
        noise: { tried: 0, parsed: 0 },
      });
      s[family].tried++;
      if (parsed) s[family].parsed++;
    };
    for (const f of spec.fixtures) {
      const intact = intactOf(spec, [f]);
      const sources = intact.lines
        .map((l, i) => [l, i] as const)
        .filter(([l]) => [...intact.byKey.values()].some((m) => printedIn(m.value, l, scales)))
        .map(([, i]) => i);
      const families: [Family, fc.Arbitrary<Input>][] = [
        ["truncation", truncation(f.raw)],
        ["line edits", lineEdits(f.raw, sources)],
        ["garbling", garbling(f.raw, sources)],
      ];
      for (const [family, arb] of families) {
        it(`${f.name}: ${family}`, () => {
          fc.assert(
            fc.property(arb.map(described), (input) => {
              count(family, check(spec, intact, input, f.params));
            }),
            { seed, numRuns: runs },
          );
        });
      }
    }
    afterAll(() => {
      const s = stats[name];
      // VTB_FUZZ_STATS=file: the counts, one JSON line per parser, for docs/faults.md.
      if (process.env.VTB_FUZZ_STATS && s) {
        fs.appendFileSync(
          process.env.VTB_FUZZ_STATS,
          `${JSON.stringify({ benchmark: name, fixtures: spec.fixtures.length, runs, seed, ...s })}\n`,
        );
      }
    });
    // Only the "always" part of the property: any fixture's metric keys, units and directions.
    it("noise", () => {
      const intact = intactOf(spec, spec.fixtures);
      fc.assert(
        fc.property(
          noise(spec.fixtures.map((x) => x.raw)).map(described),
          fc.nat(spec.fixtures.length - 1),
          (input, k) => {
            count("noise", check(spec, intact, input, spec.fixtures[k].params));
          },
        ),
        { seed, numRuns: runs },
      );
    });
  });
}
