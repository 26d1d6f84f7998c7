import { Block, cellText, reportBlocks } from "../../../report/document";
import { paperRows, published } from "../../../report/papers";
import { lossTables } from "../../../report/tables";
import { fixtureRun, metric, outcome, syntheticRun } from "./fixture";

// The papers' published figures, and the run's comparisons found beside them.

describe("the papers' published figures", () => {
  it("keeps what the papers print, as % of bare metal, each with where it is printed", () => {
    const byKey = Object.fromEntries(
      published.map((f) => [
        `${f.paper} ${f.benchmark} ${f.platform}${f.mode ? `-${f.mode}` : ""}`,
        f.percentOfBareMetal,
      ]),
    );
    expect(byKey["cnaf2009 hepspec06 kvm"]).toBeCloseTo(96.58, 5);
    expect(byKey["cnaf2009 hepspec06 xen-hvm"]).toBeCloseTo(95.45, 5);
    expect(byKey["cnaf2009 hepspec06 xen-para"]).toBeCloseTo(97.98, 5);
    expect(byKey["naples2006 unixbench vmware"]).toBe(43);
    expect(byKey["naples2006 unixbench openvz"]).toBe(125);
    expect(byKey["naples2006 unixbench xen"]).toBe(97.5);
    expect(byKey["naples2006 ab openvz"]).toBe(112);
    expect(byKey["naples2006 ab vmware"]).toBe(30);
    expect(byKey["naples2006 ab xen"]).toBe(68);
    // Each figure's words are the paper's: its number is in them.
    for (const f of published) expect(f.quote.length).toBeGreaterThan(5);
    expect(published.find((f) => f.mode === "para")!.quote).toContain("2,02");
  });
});

describe("beside a run", () => {
  const bare = [100, 101, 99];
  const run = syntheticRun(
    {
      blade: {
        baseline: { host: { hepspec06: outcome({ hepspec06: metric(bare, "higher", "HS06") }) } },
        kvm: { vm: { hepspec06: outcome({ hepspec06: metric([96, 97, 95], "higher", "HS06") }) } },
        xen: {
          p: { hepspec06: outcome({ hepspec06: metric([98, 99, 97], "higher", "HS06") }) },
          h: { hepspec06: outcome({ hepspec06: metric([90, 91, 89], "higher", "HS06") }) },
        },
      },
    },
    {
      testbed: {
        blade: {
          platforms: {
            xen: {
              guests: [
                { name: "p", mode: "para" },
                { name: "h", mode: "hvm" },
              ],
            },
          },
        },
      },
    },
  );

  it("finds each figure's platform, and a Xen figure only beside guests of its mode", () => {
    const rows = paperRows(run, lossTables(run));
    const at = (platform: string, mode?: string) =>
      rows
        .find((r) => r.figure.platform === platform && r.figure.mode === mode)!
        .beside.map((b) => `${b.label} ${b.percent.toFixed(0)}`);
    expect(at("kvm")).toEqual(["kvm/vm 96"]);
    expect(at("xen", "para")).toEqual(["xen/p 98"]);
    expect(at("xen", "hvm")).toEqual(["xen/h 90"]);
    // Only figures of benchmarks this run measured.
    expect(new Set(rows.map((r) => r.figure.benchmark))).toEqual(new Set(["hepspec06"]));
  });

  /** The papers table's rows as text, or undefined when the report has none. */
  const papersTable = (blocks: Block[]) => {
    const t = blocks.find((b) => b.kind === "table" && b.id === "papers");
    return t?.kind === "table" ? t.rows.map((r) => r.map(cellText)) : undefined;
  };

  it("puts paper and run in one row of the report, and says what was not measured", () => {
    const blocks = reportBlocks(run, []);
    expect(blocks).toContainEqual(
      expect.objectContaining({ kind: "heading", text: "The papers' figures beside this run" }),
    );
    const para = papersTable(blocks)!.find((r) => r[2].includes("2,02"))!;
    expect(para[0]).toBe("cnaf2009");
    expect(para[2]).toBe("98.0% of bare metal: “E5420xen-para 2,02”");
    expect(para[3]).toMatch(/^xen\/p: 98\.0%: /);
    // A Xen figure when no guest has its mode: said, not left out.
    const paraOnly = syntheticRun(
      {
        s: {
          baseline: { host: { hepspec06: outcome({ hepspec06: metric(bare) }) } },
          xen: { p: { hepspec06: outcome({ hepspec06: metric(bare) }) } },
        },
      },
      { testbed: { s: { platforms: { xen: { guests: [{ name: "p", mode: "para" }] } } } } },
    );
    expect(papersTable(reportBlocks(paraOnly, []))!.map((r) => r[3])).toEqual([
      "not measured here: no xen hvm guest compared with bare metal",
      expect.stringMatching(/^xen\/p: 100\.0%/),
    ]);
  });

  it("has no such section when the run measured none of the papers' benchmarks on their platforms", () => {
    // The default stack: ab and unixbench on kvm and lxc, which the papers did not measure.
    expect(papersTable(reportBlocks(fixtureRun(), []))).toBeUndefined();
    const lxcOnly = syntheticRun({
      s: {
        baseline: { host: { hepspec06: outcome({ hepspec06: metric(bare) }) } },
        lxc: { ct: { hepspec06: outcome({ hepspec06: metric(bare) }) } },
      },
    });
    expect(papersTable(reportBlocks(lxcOnly, []))).toBeUndefined();
  });
});
