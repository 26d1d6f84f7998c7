import { Block, cellText, reportBlocks } from "../../../report/document";
import { paperRows, published } from "../../../report/papers";
import { lossTables } from "../../../report/tables";
import { aggregateSummary, compare } from "../../../components/results/stats";
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
    expect(byKey["naples2006 unixbench xen-para"]).toBe(97.5);
    expect(byKey["naples2006 ab openvz"]).toBe(112);
    expect(byKey["naples2006 ab vmware"]).toBe(30);
    expect(byKey["naples2006 ab xen-para"]).toBe(68);
    // Each figure's words are the paper's: its number is in them.
    for (const f of published) expect(f.quote.length).toBeGreaterThan(5);
    expect(published.find((f) => f.mode === "para")!.quote).toContain("2,02");
  });
});

describe("beside a run", () => {
  const bare = [100, 101, 99];
  const hs06 = (trials: number[]) => outcome({ hepspec06: metric(trials, "higher", "HS06") });
  // 8 kvm guests at once (one copy each) against the 8-core host (8 copies);
  // Xen guests of both modes, one at a time.
  const kvmGuests = Object.fromEntries(
    Array.from({ length: 8 }, (_, i) => [`vm-${i}`, { hepspec06: hs06([12, 12.1, 11.9]) }]),
  );
  const given = {
    blade: {
      baseline: { host: { hepspec06: hs06(bare) } },
      kvm: kvmGuests,
      xen: { p: { hepspec06: hs06([98, 99, 97]) }, h: { hepspec06: hs06([90, 91, 89]) } },
    },
  };
  const plain = syntheticRun(given);
  const at8 = aggregateSummary(
    Object.values(plain.results.blade.kvm).map((g) => g.hepspec06.metrics.hepspec06),
    "higher",
  );
  const recorded = {
    ...at8,
    unit: "HS06",
    direction: "higher" as const,
    labels: {},
    guests: Object.keys(kvmGuests),
    vsBaseline: compare(
      at8,
      plain.results.blade.baseline.host.hepspec06.metrics.hepspec06,
      "higher",
    ),
  };
  const run = syntheticRun(given, {
    aggregates: { blade: { kvm: { hepspec06: { hepspec06: recorded } } } },
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
  });
  const at = (r: ReturnType<typeof paperRows>, platform: string, mode?: string) =>
    r
      .find((x) => x.figure.platform === platform && x.figure.mode === mode)!
      .beside.map((b) => `${b.label} ${b.percent.toFixed(0)}`);

  it("puts the 8-VM figure beside the 8 guests at once as one, never beside one guest", () => {
    const rows = paperRows(run, lossTables(run));
    expect(at(rows, "kvm")).toEqual(["kvm: 8 guests at once, aggregate 96"]);
    // The Xen figures are of 8 VMs too: one guest at a time is not beside them.
    expect(at(rows, "xen", "para")).toEqual([]);
    expect(new Set(rows.map((r) => r.figure.benchmark))).toEqual(new Set(["hepspec06"]));
    // Without the recorded concurrent group, the guests ran one after another: not the figure's.
    expect(at(paperRows(plain, lossTables(plain)), "kvm")).toEqual([]);
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
    const table = papersTable(blocks)!;
    const kvm = table.find((r) => r[2].includes("3,42"))!;
    expect(kvm[0]).toBe("cnaf2009");
    expect(kvm[2]).toBe("96.6% of bare metal: “E5420kvm 3,42”");
    expect(kvm[3]).toMatch(/^kvm: 8 guests at once, aggregate: 96\.0%: /);
    expect(table.find((r) => r[2].includes("2,02"))![3]).toBe(
      "not measured here: no 8 xen para guests at once compared with bare metal",
    );
  });

  it("gives a bound as a bound, and says when a run did not record a Xen guest's mode", () => {
    const rps = (trials: number[]) =>
      outcome({ requests_per_second: metric(trials, "higher", "requests/s") });
    const naples = syntheticRun({
      piii: {
        baseline: { host: { ab: rps(bare) } },
        openvz: { vz: { ab: rps([113, 114, 112]) } },
        xen: { x: { ab: rps([68, 69, 67]) } },
      },
    });
    const table = papersTable(reportBlocks(naples, []))!;
    const vz = table.find((r) => r[1].startsWith("ab on openvz"))!;
    expect(vz[2]).toMatch(/^over 112\.0% of bare metal: “the OpenVZ guest is over 12% faster/);
    expect(vz[3]).toMatch(/^openvz\/vz: 113\.0%/);
    const xen = table.find((r) => r[1].startsWith("ab on xen para"))!;
    expect(xen[3]).toMatch(/^xen\/x \(its mode not recorded in this run\): 68\.0%/);
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
