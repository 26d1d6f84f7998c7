/**
 * The testbed as the report describes it: each server's hardware profile and
 * gathered facts, each platform's version and settings, each guest's spec.
 * From results.json's `testbed` (the stack output of that name) where the run
 * recorded it, else from its `targets`; what neither has is "not recorded in
 * this run". Renderer-neutral: a list of sections of label/value rows.
 */
import { own } from "./input";
import type { Run } from "./load";
import { BASELINE, HOST } from "./tables";

export const NOT_RECORDED = "not recorded in this run";

export interface Section {
  title: string;
  /** [label, value] rows; empty with a note when nothing was recorded. */
  rows: [string, string][];
  note?: string;
}

export interface ServerDescription {
  server: string;
  sections: Section[];
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === "object" && x !== null && !Array.isArray(x);

/** Nested values as "a.b[0].c" -> text rows; long lists of words are counted, not listed. */
export function flatten(value: unknown, prefix = ""): [string, string][] {
  if (Array.isArray(value)) {
    if (value.length > 12 && value.every((v) => typeof v === "string")) {
      return [[prefix, `${value.length} entries: ${value.slice(0, 8).join(" ")} ...`]];
    }
    if (value.length === 0) return [[prefix, "none"]];
    if (value.every((v) => !isObj(v) && !Array.isArray(v)))
      return [[prefix, value.map(String).join(", ")]];
    return value.flatMap((v, i) => flatten(v, `${prefix}[${i}]`));
  }
  if (isObj(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) return [[prefix, "none"]];
    return entries.flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k));
  }
  return [[prefix, value === null || value === undefined ? "unknown" : String(value)]];
}

const num = (x: unknown) => (typeof x === "number" ? x : undefined);
const str = (x: unknown) => (typeof x === "string" ? x : undefined);

/** The facts a reader compares hardware by, in words; anything else in the facts follows flattened. */
export function describeFacts(facts: Obj): [string, string][] {
  const rows: [string, string][] = [];
  const cpu = isObj(facts.cpu) ? facts.cpu : {};
  if (str(cpu.model)) rows.push(["CPU", `${cpu.model}${num(cpu.mhz) ? `, ${cpu.mhz} MHz` : ""}`]);
  if (num(cpu.sockets) !== undefined) {
    rows.push([
      "Topology",
      `${cpu.sockets} socket(s) × ${cpu.coresPerSocket} core(s) × ${cpu.threadsPerCore} thread(s) = ${cpu.logicalCpus} logical CPUs`,
    ]);
  }
  if (Array.isArray(cpu.caches)) {
    rows.push([
      "Caches",
      cpu.caches
        .filter(isObj)
        .map((c) => `L${c.level} ${String(c.type).toLowerCase()} ${c.sizeKiB} KiB`)
        .join(", "),
    ]);
  }
  const mem = isObj(facts.memory) ? facts.memory : undefined;
  if (mem) rows.push(["Memory", `${mem.totalMiB} MiB, swap ${mem.swapMiB} MiB`]);
  if (Array.isArray(facts.disks)) {
    rows.push([
      "Disks",
      facts.disks
        .filter(isObj)
        .map(
          (d) =>
            `${d.name} ${(Number(d.sizeBytes) / 2 ** 30).toFixed(0)} GiB ${d.rotational ? "rotational" : "solid-state"}${d.model ? ` (${d.model})` : ""}`,
        )
        .join(", ") || "none",
    ]);
  }
  const k = isObj(facts.kernel) ? facts.kernel : undefined;
  if (k) rows.push(["Kernel", `${k.release} ${k.machine}`]);
  const os = isObj(facts.os) ? facts.os : undefined;
  if (os) rows.push(["OS", String(os.prettyName ?? os.id)]);
  const p = isObj(facts.platform) ? facts.platform : undefined;
  if (p) rows.push(["Runs in", `vm: ${p.vm ?? "none"}, container: ${p.container ?? "none"}`]);
  const v = isObj(facts.virtualization) ? facts.virtualization : undefined;
  if (v)
    rows.push(["Virtualization", `CPU flag: ${v.cpuFlag}, /dev/kvm: ${v.devKvm ? "yes" : "no"}`]);
  if (str(facts.hostname)) rows.push(["Hostname", String(facts.hostname)]);
  if (Array.isArray(cpu.flags))
    rows.push(["CPU flags", `${cpu.flags.length} (${cpu.flags.slice(0, 10).join(" ")} ...)`]);
  // Facts written by hand (an imported run's manifest) are plain values: shown as given.
  for (const [k, v] of Object.entries(facts)) {
    if (k !== "hostname" && (typeof v === "string" || typeof v === "number"))
      rows.push([k, String(v)]);
  }
  return rows;
}

export function describeTestbed(run: Run): ServerDescription[] {
  const servers = [...new Set([...Object.keys(run.results), ...Object.keys(run.testbed ?? {})])];
  return servers.map((server) => {
    const tb = own(run.testbed, server);
    const sections: Section[] = [];

    const profile: [string, string][] = [];
    if (tb?.profile !== undefined) profile.push(["Declared profile", tb.profile]);
    if (tb?.emulated) {
      profile.push([
        "Emulated",
        `QEMU TCG on the Pulumi host (${tb.emulated.cpu}; ${tb.emulated.qemu}): ` +
          "the method is real, the figures are not the hardware's",
      ]);
    }
    if (tb?.profileCheck) {
      const c = tb.profileCheck;
      profile.push([
        "Check",
        c.matches
          ? `matches ${c.profile}`
          : `${c.mismatches.length} mismatch(es) with ${c.profile}`,
      ]);
      for (const m of c.mismatches)
        profile.push([m.field, `expected ${m.expected}, found ${m.actual}`]);
    }
    sections.push({
      title: "Hardware profile",
      rows: profile,
      note: profile.length ? undefined : NOT_RECORDED,
    });

    const facts =
      (tb?.facts as Obj | undefined) ?? own(run.targets, `${server}/${BASELINE}/${HOST}`);
    sections.push({
      title: "Gathered facts",
      rows: facts ? describeFacts(facts) : [],
      note: facts ? undefined : NOT_RECORDED,
    });

    const accel = tb?.accel as Obj | undefined;
    const accelRows: [string, string][] = [];
    if (accel) {
      for (const a of ["kvm", "tcg"]) {
        const t = accel[a];
        if (isObj(t)) {
          accelRows.push([
            a,
            `${t.result} after ${t.seconds} s, ${t.serialLines} serial lines${t.detail ? `: ${t.detail}` : ""}`,
          ]);
        }
      }
      accelRows.push(["Chosen", String(accel.accel)]);
    }
    sections.push({
      title: "Accelerator probe",
      rows: accelRows,
      note: accel ? undefined : NOT_RECORDED,
    });

    const platforms = [
      ...new Set([
        ...Object.keys(own(run.results, server) ?? {}),
        ...Object.keys(tb?.platforms ?? {}),
      ]),
    ];
    for (const p of platforms) {
      const info = own(tb?.platforms, p)?.info;
      sections.push({
        title: `Platform ${p}: version and settings`,
        rows: info ? flatten(info).filter(([k]) => k !== "type") : [],
        note: info ? undefined : NOT_RECORDED,
      });
      if (p === BASELINE) continue;
      const recorded = own(tb?.platforms, p)?.guests;
      const guests: Obj[] =
        recorded ??
        Object.entries(run.targets)
          .filter(([k]) => k.startsWith(`${server}/${p}/`))
          .map(([k, v]) => ({ name: k.split("/")[2], ...v }));
      const names = new Set(guests.map((g) => String(g.name)));
      for (const g of Object.keys(own(own(run.results, server), p) ?? {})) {
        if (!names.has(g)) guests.push({ name: g });
      }
      for (const g of guests) {
        const rows = flatten(g).filter(([k]) => k !== "name");
        sections.push({
          title: `Guest ${p}/${g.name}: spec`,
          rows,
          note: rows.length ? undefined : NOT_RECORDED,
        });
      }
    }
    return { server, sections };
  });
}
