import * as fs from "fs";
import * as path from "path";
import {
  geometricMean,
  hepspec06,
  hepspec06Parameters,
  parseHepspec06,
  requireSpec2006Path,
} from "../../../benchmarks/hepspec06";
import { BenchmarkResult, ParseError } from "../../../benchmarks/types";
import { fuzzParser } from "../../helpers/fuzz";

const fixture = (name: string) =>
  fs.readFileSync(
    path.join(__dirname, "..", "..", "fixtures", "benchmarks", "hepspec06", name),
    "utf8",
  );

const params = (extra: Record<string, unknown> = {}) =>
  hepspec06Parameters.parse({ spec2006Path: "/opt/cpu2006", ...extra });

const value = (r: BenchmarkResult, name: string, labels: Record<string, string>) => {
  const found = r.metrics.filter(
    (m) => m.name === name && JSON.stringify(m.labels) === JSON.stringify(labels),
  );
  expect(found).toHaveLength(1);
  return found[0].value;
};

// CONSTRUCTED, not recorded: SPEC CPU2006 is licensed and not available here.
// hepspec06.sh's output for 2 copies, each a CFP2006 and a CINT2006 .txt result
// laid out as SPEC's ASCII formatter (asc.pl) writes a --noreportable all_cpp
// run: INVALID RUN box, full table of 3 iterations (median "*"), the row of '=',
// the selected results, "Est." means, footer. Copy 1 has the selected ratios of
// HEPiX's how-to example; copy 2 has ratios whose geometric mean is exactly 10.
const raw = fixture("constructed-2-copies.txt");
const copy1 = [10.9, 13.8, 5.29, 11.4, 6.06, 7.13, 7.55];
const copy2 = [10.0, 12.5, 8.0, 20.0, 5.0, 10.0, 10.0];

describe("parseHepspec06 (constructed fixture)", () => {
  it("reads every all_cpp ratio of every copy", () => {
    const r = parseHepspec06(raw, params({ copies: 2 }));
    expect(r.benchmark).toBe("hepspec06");
    expect(r.toolVersion).toBe("SPEC CPU2006 1.0");
    expect(value(r, "ratio", { benchmark: "444.namd", copy: "1" })).toBe(10.9);
    expect(value(r, "ratio", { benchmark: "450.soplex", copy: "1" })).toBe(5.29);
    expect(value(r, "ratio", { benchmark: "483.xalancbmk", copy: "1" })).toBe(7.55);
    expect(value(r, "ratio", { benchmark: "453.povray", copy: "2" })).toBe(20.0);
    expect(value(r, "ratio", { benchmark: "471.omnetpp", copy: "2" })).toBe(5.0);
    const ratios = (copy: string) =>
      r.metrics.filter((m) => m.name === "ratio" && m.labels.copy === copy).map((m) => m.value);
    expect(ratios("1")).toEqual(copy1);
    expect(ratios("2")).toEqual(copy2);
    expect(r.metrics.find((m) => m.name === "hepspec06")).toMatchObject({
      unit: "HS06",
      direction: "higher",
      labels: { copies: "2" },
    });
  });

  it("scores each copy by the geometric mean of its 7 ratios, and HS06 by their sum", () => {
    const r = parseHepspec06(raw, params());
    // (10.9 * 13.8 * 5.29 * 11.4 * 6.06 * 7.13 * 7.55)^(1/7) = 8.40337224411634
    // (HEPiX's page prints 8.33: bc with scale=2 truncates the logarithms.)
    const g1 = copy1.reduce((p, x) => p * x, 1) ** (1 / 7);
    expect(g1).toBeCloseTo(8.40337224411634, 12);
    // 10 * 12.5 * 8 * 20 * 5 * 10 * 10 = 10^7, so the geometric mean is 10.
    expect(value(r, "copy_geomean", { copy: "1" })).toBeCloseTo(g1, 12);
    expect(value(r, "copy_geomean", { copy: "2" })).toBeCloseTo(10, 12);
    expect(value(r, "hepspec06", { copies: "2" })).toBeCloseTo(18.40337224411634, 12);
    expect(geometricMean([2, 8])).toBeCloseTo(4, 14);
  });

  it("rejects a run with a different number of copies than asked for", () => {
    expect(() => parseHepspec06(raw, params({ copies: 4 }))).toThrow(/ran 2 copies, expected 4/);
  });

  it("rejects empty, truncated and foreign output", () => {
    expect(() => parseHepspec06("", params())).toThrow(ParseError);
    expect(() => parseHepspec06("runspec: command not found\n", params())).toThrow(
      /no "@@@ hepspec06" header/,
    );
    expect(() => parseHepspec06(raw.slice(0, raw.indexOf("@@@ end")), params())).toThrow(
      /no "@@@ end"/,
    );
    const oneFile = raw.slice(0, raw.indexOf("@@@ copy 2 CINT2006")) + "@@@ end\n";
    expect(() => parseHepspec06(oneFile, params())).toThrow(/3 result files for 2 copies/);
  });

  it("rejects a benchmark of the set that did not run (NR)", () => {
    const nr = raw.replace(
      /^473\.astar\s+7020\s+985\s+7\.13 \*( +)$/gm,
      "473.astar                                   NR $1",
    );
    expect(nr).not.toBe(raw);
    expect(() => parseHepspec06(nr, params())).toThrow(/copy 1 .*473\.astar: status NR/);
  });

  it("rejects a benchmark that failed (run error), or had invalid runs", () => {
    const re = raw.replace(
      /^(450\.soplex\s+8340)\s+1043\s+8\.00 \*/gm,
      "$1                        RE",
    );
    expect(() => parseHepspec06(re, params())).toThrow(/copy 2 .*450\.soplex: status RE/);
    const invalid = raw.replace(
      "# 410.bwaves base did not have enough runs!       ",
      "# 444.namd base had invalid runs!                 ",
    );
    expect(invalid).not.toBe(raw);
    expect(() => parseHepspec06(invalid, params())).toThrow(/444\.namd had invalid runs/);
  });

  // Found by the fuzzer (minimized): copy 1's selected 444.namd row swapped with the
  // starred row of copy 2's full table, each row intact and consistent in itself.
  it("rejects a selected result that is not the full table's median", () => {
    const lines = raw.split("\n");
    const namd = lines.flatMap((l, i) => (/^444\.namd .*\*/.test(l) ? [i] : []));
    // Copy 1: full table, selected; copy 2: full table, selected.
    expect(namd).toHaveLength(4);
    [lines[namd[1]], lines[namd[2]]] = [lines[namd[2]], lines[namd[1]]];
    expect(() => parseHepspec06(lines.join("\n"), params())).toThrow(
      /copy 1 \(CFP2006\.003\.ref\.txt\): 444\.namd: the selected result is not the full table's median/,
    );
  });

  it("rejects a copy whose two result files are from two runs", () => {
    const mixed = raw.replace("@@@ copy 1 CINT2006.003.ref.txt", "@@@ copy 1 CINT2006.005.ref.txt");
    expect(() => parseHepspec06(mixed, params())).toThrow(
      /copy 1: CFP2006\.003\.ref\.txt and CINT2006\.005\.ref\.txt are from two runs/,
    );
    const same = raw
      .replace(/CFP2006\.004/, "CFP2006.003")
      .replace(/CINT2006\.004/, "CINT2006.003");
    expect(() => parseHepspec06(same, params())).toThrow(/copies 1 and 2: the same run 003/);
  });

  it("rejects a missing benchmark of the set, and a non-numeric or inconsistent ratio", () => {
    const missing = raw.replace(/^447\.dealII .*\*.*\n/gm, "");
    expect(() => parseHepspec06(missing, params())).toThrow(/447\.dealII missing/);
    const nan = raw.replace(/(444\.namd\s+8020\s+739\s+)10\.9 /g, "$1 n/a ");
    expect(() => parseHepspec06(nan, params())).toThrow(/444\.namd ratio: expected a number/);
    const wrong = raw.replace(/(?<=444\.namd\s+8020\s+739\s+)10\.9 /g, "19.9 ");
    expect(() => parseHepspec06(wrong, params())).toThrow(/ratio 19\.9 is not 8020 \/ 739/);
  });
});

fuzzParser({
  benchmark: "hepspec06",
  parse: parseHepspec06,
  fixtures: [{ name: "constructed-2-copies.txt", raw, params: params() }],
  // The geometric mean of each copy and their sum: from many lines.
  derived: (m) => m.name !== "ratio",
  runs: 100,
  trusted: [
    {
      line: /^@@@ copy /,
      why:
        "a result file does not name its copy: two copies' CFP2006 (or CINT2006) headers " +
        "swapped give each copy the other's file, and the run numbers move with them",
    },
  ],
  consistent: (r) => {
    const copies = +r.metrics.find((m) => m.name === "hepspec06")!.labels.copies;
    let sum = 0;
    for (let copy = 1; copy <= copies; copy++) {
      const ratios = r.metrics.filter((m) => m.name === "ratio" && m.labels.copy === String(copy));
      expect(ratios).toHaveLength(7);
      const g = geometricMean(ratios.map((m) => m.value));
      expect(value(r, "copy_geomean", { copy: String(copy) })).toBeCloseTo(g, 12);
      sum += g;
    }
    expect(value(r, "hepspec06", { copies: String(copies) })).toBeCloseTo(sum, 12);
  },
});

describe("hepspec06 module", () => {
  it("names the parameter to set when spec2006Path is missing", () => {
    const p = hepspec06Parameters.parse({});
    expect(() => requireSpec2006Path(p)).toThrow(
      /^hepspec06: set testbed benchmark parameter spec2006Path/,
    );
    expect(() => hepspec06.environment(p)).toThrow(/spec2006Path/);
    expect(() => hepspec06Parameters.parse({ spec2006Path: "cpu2006" })).toThrow(/absolute path/);
  });

  it("passes the parameters as environment variables, with HEPiX's defaults", () => {
    expect(hepspec06.environment(params())).toEqual({
      SPEC2006_PATH: "/opt/cpu2006",
      HS06_CONFIG: "linux32-gcc_cern",
      HS06_COPIES: "",
      HS06_ITERATIONS: "3",
    });
    expect(hepspec06.environment(params({ ...hepspec06.quick, copies: 8 }))).toMatchObject({
      HS06_COPIES: "8",
      HS06_ITERATIONS: "1",
    });
    expect(() => params({ config: "../../etc/passwd" })).toThrow();
  });
});
