// The papers' tables in their form: one row per kind of platform (Xen by mode)
// across the servers that measured it, a guest alone, each of N at once, N as one.
// The run is real outputs run by hand (test/fixtures/import/hand-run), imported
// as a 2009-shaped testbed: a blade per configuration.
import * as fs from "fs";
import * as path from "path";
import { main as importMain } from "../../../scripts/import";
import { main as report } from "../../../scripts/report";
import { readRun } from "../../../report/load";
import { lossTables } from "../../../report/tables";
import { paperForm } from "../../../report/paper-form";
import { scratchDir } from "../../helpers/scratch";

const fixture = path.join(__dirname, "../../fixtures/import/hand-run");

// Each server's files are copies of the fixture's (a file is one trial of one run): imported with a warning.
const bare = (server: string) =>
  `[${server}/bare-1.txt, ${server}/bare-2.txt, ${server}/bare-3.txt]`;
const vm = (server: string, n: number) =>
  `[${server}/vm${n}-1.txt, ${server}/vm${n}-2.txt, ${server}/vm${n}-3.txt]`;
const manifest = `
stack: cnaf-shaped
measured: 2026-12-04
source: openssl speed run by hand, arranged as the 2009 paper's blades
runs:
  - { target: para8/baseline/host, benchmark: openssl-speed, trials: ${bare("para8")} }
  - { target: para8/xen/vm1, mode: para, benchmark: openssl-speed, trials: ${vm("para8", 1)} }
  - { target: para8/xen/vm2, mode: para, benchmark: openssl-speed, trials: ${vm("para8", 2)} }
  - { target: para1/baseline/host, benchmark: openssl-speed, trials: ${bare("para1")} }
  - { target: para1/xen/vm1, mode: para, benchmark: openssl-speed, trials: ${vm("para1", 1)} }
  - { target: hvm1/baseline/host, benchmark: openssl-speed, trials: ${bare("hvm1")} }
  - { target: hvm1/xen/vm1, mode: hvm, benchmark: openssl-speed, trials: ${vm("hvm1", 2)} }
  - { target: kvm8/baseline/host, benchmark: openssl-speed, trials: ${bare("kvm8")} }
  - { target: kvm8/kvm/vm1, benchmark: openssl-speed, trials: ${vm("kvm8", 1)} }
  - { target: kvm8/kvm/vm2, benchmark: openssl-speed, trials: ${vm("kvm8", 2)} }
concurrent:
  - { benchmark: openssl-speed, targets: [para8/xen/vm1, para8/xen/vm2] }
  - { benchmark: openssl-speed, targets: [kvm8/kvm/vm1, kvm8/kvm/vm2] }
`;

function imported(text: string): string {
  const dir = scratchDir("vtb-paper-form-");
  fs.cpSync(fixture, dir, { recursive: true });
  for (const server of ["para8", "para1", "hvm1", "kvm8"]) {
    fs.mkdirSync(path.join(dir, server));
    for (const i of [1, 2, 3]) {
      fs.copyFileSync(
        path.join(fixture, `bare/speed-${i}.txt`),
        path.join(dir, server, `bare-${i}.txt`),
      );
      for (const n of [1, 2]) {
        fs.copyFileSync(
          path.join(fixture, `vms/vm${n}-speed-${i}.txt`),
          path.join(dir, server, `vm${n}-${i}.txt`),
        );
      }
    }
  }
  fs.writeFileSync(path.join(dir, "manifest.yaml"), text);
  const root = scratchDir("vtb-paper-form-root-");
  let out = "";
  let err = "";
  const code = importMain([dir], { out: (s) => (out += s), err: (s) => (err += s) }, root);
  expect(code).toBe(0);
  // Only that a copy is a copy.
  for (const l of err.split("\n").filter(Boolean)) expect(l).toMatch(/the same bytes as/);
  return out.split("\n")[0];
}

describe("the papers' form", () => {
  it("puts each kind of platform on one row across its servers: alone, each of N at once, N as one", async () => {
    const dir = imported(manifest);
    const run = readRun(dir);
    const [t, ...more] = paperForm(run, lossTables(run));
    expect(more).toHaveLength(0);
    expect(t.benchmark).toBe("openssl-speed");
    expect(t.rows.map((r) => r.kind)).toEqual(["xen para", "xen hvm", "kvm"]);
    const [para, hvm, kvm] = t.rows;
    expect(para.alone.map((e) => e.server)).toEqual(["para1"]);
    const c = run.comparison.para1.xen.vm1["openssl-speed"][t.key];
    expect(para.alone[0].percent).toBe(c.percentOfBaseline);
    expect(para.single).toEqual([expect.objectContaining({ server: "para8", guests: 2 })]);
    const each = ["vm1", "vm2"].map(
      (g) => run.comparison.para8.xen[g]["openssl-speed"][t.key].percentOfBaseline,
    );
    expect(para.single[0].mean).toBeCloseTo((each[0] + each[1]) / 2, 10);
    expect([para.single[0].min, para.single[0].max]).toEqual([
      Math.min(...each),
      Math.max(...each),
    ]);
    expect(para.aggregate).toEqual([
      expect.objectContaining({
        server: "para8",
        guests: 2,
        percent: run.aggregates!.para8.xen["openssl-speed"][t.key].vsBaseline!.percentOfBaseline,
      }),
    ]);
    expect(hvm.alone.map((e) => e.server)).toEqual(["hvm1"]);
    expect(hvm.single).toEqual([]);
    expect(kvm.alone).toEqual([]);
    expect(kvm.aggregate.map((e) => e.server)).toEqual(["kvm8"]);

    const root = path.dirname(path.dirname(path.dirname(dir)));
    const io = { out: () => undefined, err: () => undefined };
    expect(await report(["--run", dir], io, root, () => ({}))).toBe(0);
    const md = fs.readFileSync(path.join(dir, "report.md"), "utf8");
    expect(md).toMatch(/## Guests against bare metal, in the papers' form/);
    expect(md).toMatch(
      /\| openssl-speed \| sign rate rsa2048 \| xen para \| para1: [\d.]+%.*\| para8: 2 at once: mean [\d.]+% .*\| para8: 2 at once: [\d.]+%/,
    );
  });

  it("is left out when one server's guests ran one at a time: the loss table says it all", () => {
    const dir = imported(
      manifest
        .replace(/concurrent:[\s\S]*$/, "")
        .replace(/ {2}- \{ target: (para1|hvm1|kvm8)\/.*\n/g, ""),
    );
    const run = readRun(dir);
    expect(Object.keys(run.results)).toEqual(["para8"]);
    expect(paperForm(run, lossTables(run))).toEqual([]);
  });
});
