import * as fs from "fs";
import * as path from "path";
import { parseBonnie } from "../../../benchmarks/bonnie";
import { BenchmarkResult, ParseError } from "../../../benchmarks/types";
import { check, FuzzSpec, Input, intactOf, printedIn } from "../../helpers/fuzz";

// The fuzz property itself, against parsers broken on purpose: it must catch each.
const raw = fs.readFileSync(
  path.join(
    __dirname,
    "..",
    "..",
    "fixtures",
    "benchmarks",
    "bonnie",
    "bonnie-2.00a-bookworm-quick.csv",
  ),
  "utf8",
);
const spec = (parse: (raw: string) => BenchmarkResult): FuzzSpec<object> => ({
  benchmark: "bonnie",
  parse: (text) => parse(text),
  fixtures: [{ name: "quick", raw, params: {} }],
  scales: [1, 1e3, 1e6],
});
const intact = intactOf(spec(parseBonnie), spec(parseBonnie).fixtures);
const csv = raw.split("\n").findIndex((l) => l.startsWith("1.98,"));
const input = (family: Input["family"], text: string, extra: Partial<Input> = {}): Input => ({
  family,
  text,
  what: "test",
  ...extra,
});
const shifted = (by: number) => (text: string) => {
  const r = parseBonnie(raw);
  if (text === raw) return r;
  return { ...r, metrics: r.metrics.map((m, i) => (i === 0 ? { ...m, value: m.value + by } : m)) };
};

describe("the fuzz property", () => {
  it("passes the real parser on the intact fixture, and a ParseError", () => {
    expect(check(spec(parseBonnie), intact, input("truncation", raw), {})).toBe(true);
    expect(check(spec(parseBonnie), intact, input("truncation", raw.slice(0, 20)), {})).toBe(false);
  });

  it("fails any other exception, and a ParseError without a message", () => {
    const typeError = spec(() => {
      throw new TypeError("x is undefined");
    });
    expect(() => check(typeError, intact, input("noise", "x"), {})).toThrow(/threw TypeError/);
    const empty = spec(() => {
      throw new ParseError("bonnie", " ");
    });
    expect(() => check(empty, intact, input("noise", "x"), {})).toThrow(/without a message/);
  });

  it("fails a number that cutting or moving lines changed", () => {
    expect(() => check(spec(shifted(1)), intact, input("truncation", `${raw}\n`), {})).toThrow(
      /a number changed by cutting or moving lines/,
    );
    expect(() => check(spec(shifted(1)), intact, input("line edits", `${raw}\n`), {})).toThrow(
      /a number changed by cutting or moving lines/,
    );
  });

  it("fails NaN, negative values, another unit, and metrics the fixture does not have", () => {
    const edit = (f: (r: BenchmarkResult) => BenchmarkResult) =>
      spec((text) => (text === raw ? parseBonnie(raw) : f(parseBonnie(raw))));
    const first = (r: BenchmarkResult, m: object) => ({
      ...r,
      metrics: [{ ...r.metrics[0], ...m }, ...r.metrics.slice(1)],
    });
    const again = input("noise", `${raw}\n`);
    expect(() =>
      check(
        edit((r) => first(r, { value: NaN })),
        intact,
        again,
        {},
      ),
    ).toThrow(/schema/);
    expect(() =>
      check(
        edit((r) => first(r, { value: -1 })),
        intact,
        again,
        {},
      ),
    ).toThrow(/>= 0/);
    expect(() =>
      check(
        edit((r) => first(r, { unit: "MiB/s" })),
        intact,
        again,
        {},
      ),
    ).toThrow(/MiB\/s \(higher\), intact KiB\/s/);
    expect(() =>
      check(
        edit((r) => first(r, { name: "made_up" })),
        intact,
        again,
        {},
      ),
    ).toThrow(/a metric the intact output does not have/);
  });

  it("lets a garbled line change its own numbers to what it now prints, and no other", () => {
    const edited = raw.split("\n")[csv].replace(",1772,", ",1773,");
    const garbled = input("garbling", raw.replace(",1772,", ",1773,"), { line: csv, edited });
    expect(check(spec(parseBonnie), intact, garbled, {})).toBe(true);
    // The value is not one printed on the edited line: a mis-scaled read, say.
    expect(() => check(spec(shifted(0.5)), intact, garbled, {})).toThrow(
      /not a number printed on the edited line/,
    );
    // An edit of a line the number was not read from (the "#" comment line).
    const comment = raw.split("\n").findIndex((l) => l.startsWith("#"));
    const other = input("garbling", `${raw}\n`, { line: comment, edited: "# x" });
    expect(() => check(spec(shifted(1)), intact, other, {})).toThrow(
      /changed by an edit of a line it was not read from/,
    );
  });

  it("reads printed numbers with the parser's scales", () => {
    expect(printedIn(18753000, "a,18753ms,b", [1, 1e3])).toBe(true);
    expect(printedIn(18753000, "a,18753ms,b", [1])).toBe(false);
    expect(printedIn(27753.827241236118, '"bits_per_second": 27753827241.236118', [1e-6])).toBe(
      true,
    );
  });
});
