import * as fs from "fs";
import * as path from "path";
import { z } from "zod";

/** The script that prints a machine's facts; parsed by parseFacts. */
export const factsScript = fs.readFileSync(path.join(__dirname, "facts.sh"), "utf8");

export const cacheSchema = z.object({
  level: z.number().int().min(1),
  type: z.enum(["Data", "Instruction", "Unified"]),
  sizeKiB: z.number().int().positive(),
});

export const factsSchema = z.object({
  hostname: z.string().min(1),
  cpu: z.object({
    model: z.string().min(1),
    vendor: z.string().min(1),
    architecture: z.string().min(1),
    sockets: z.number().int().positive(),
    coresPerSocket: z.number().int().positive(),
    threadsPerCore: z.number().int().positive(),
    logicalCpus: z.number().int().positive(),
    mhz: z.number().positive(),
    caches: z.array(cacheSchema),
    flags: z.array(z.string()),
  }),
  memory: z.object({ totalMiB: z.number().int().positive(), swapMiB: z.number().int().min(0) }),
  disks: z.array(
    z.object({
      name: z.string().min(1),
      sizeBytes: z.number().int().min(0),
      rotational: z.boolean(),
      model: z.string().nullable(),
    }),
  ),
  kernel: z.object({ release: z.string().min(1), version: z.string(), machine: z.string().min(1) }),
  os: z.object({ id: z.string().min(1), versionId: z.string(), prettyName: z.string() }),
  platform: z.object({
    /** The hypervisor this machine itself runs under ("none" on bare metal). */
    vm: z.string().min(1),
    /** The container this machine itself runs in ("none" if none). */
    container: z.string().min(1),
    dmi: z.record(z.string(), z.string()),
  }),
  virtualization: z.object({
    /** Hardware virtualization as the CPU flags advertise it: vmx (Intel VT-x), svm (AMD-V) or none. */
    cpuFlag: z.enum(["vmx", "svm", "none"]),
    devKvm: z.boolean(),
  }),
});
export type Facts = z.infer<typeof factsSchema>;

/** Splits "@@@ name" blocks; every expected section must be present. */
export function sections(raw: string, expected: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  let current: string | undefined;
  for (const line of raw.split("\n")) {
    const m = /^@@@ ([a-z-]+)$/.exec(line);
    if (m) {
      current = m[1];
      out[current] = "";
    } else if (current !== undefined) {
      out[current] += line + "\n";
    }
  }
  const missing = expected.filter((s) => !(s in out));
  if (missing.length > 0) {
    throw new Error(
      `missing section(s) ${missing.join(", ")}: output truncated or not from facts.sh`,
    );
  }
  return out;
}

interface LscpuEntry {
  field: string;
  data: string | null;
  children?: LscpuEntry[];
}

function lscpuFields(json: string): Map<string, string> {
  const fields = new Map<string, string>();
  const walk = (entries: LscpuEntry[]) => {
    for (const e of entries) {
      if (e.data !== null) fields.set(e.field.replace(/:$/, ""), e.data);
      if (e.children) walk(e.children);
    }
  };
  let doc: { lscpu?: LscpuEntry[] };
  try {
    doc = JSON.parse(json) as { lscpu?: LscpuEntry[] };
  } catch (e) {
    throw new Error(`lscpu: not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(doc.lscpu)) throw new Error("lscpu: no 'lscpu' array");
  walk(doc.lscpu);
  return fields;
}

function int(value: string | undefined, what: string): number {
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) {
    throw new Error(`${what}: expected an integer, got ${JSON.stringify(value)}`);
  }
  return parseInt(value, 10);
}

const units: Record<string, number> = { K: 1, M: 1024, G: 1024 * 1024 };

/** Parses facts.sh output into validated facts; throws naming the section that is wrong. */
export function parseFacts(raw: string): Facts {
  const s = sections(raw, [
    "lscpu",
    "cpuinfo",
    "cache",
    "meminfo",
    "disks",
    "uname",
    "os-release",
    "hostname",
    "dmi",
    "virt",
    "devkvm",
    "end",
  ]);
  const cpu = lscpuFields(s.lscpu);
  const mhzLine = /^cpu MHz\s*:\s*([\d.]+)/m.exec(s.cpuinfo);
  const maxMhz = cpu.get("CPU max MHz");
  const mhz = maxMhz ? parseFloat(maxMhz) : mhzLine ? parseFloat(mhzLine[1]) : NaN;
  const flags = (cpu.get("Flags") ?? /^flags\s*:\s*(.*)$/m.exec(s.cpuinfo)?.[1] ?? "")
    .split(/\s+/)
    .filter(Boolean);

  const caches = s.cache
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const m = /^(\d+) (\w+) (\d+)([KMG])$/.exec(line.trim());
      if (!m) throw new Error(`cache: cannot read line ${JSON.stringify(line)}`);
      return { level: +m[1], type: m[2], sizeKiB: +m[3] * units[m[4]] };
    });

  const mem = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, "m").exec(s.meminfo);
    if (!m) throw new Error(`meminfo: no ${key}`);
    return Math.round(+m[1] / 1024);
  };

  let disks: unknown;
  try {
    const doc = JSON.parse(s.disks) as { blockdevices?: Record<string, unknown>[] };
    if (!Array.isArray(doc.blockdevices)) throw new Error("no 'blockdevices' array");
    disks = doc.blockdevices
      .filter((d) => d.type === "disk" && Number(d.size) > 0)
      .map((d) => ({
        name: d.name,
        sizeBytes: Number(d.size),
        // lsblk prints rota as a boolean (util-linux >= 2.33) or as "0"/"1".
        rotational: d.rota === true || d.rota === "1" || d.rota === 1,
        model: typeof d.model === "string" ? d.model.trim() : null,
      }));
  } catch (e) {
    throw new Error(`disks: ${(e as Error).message}`);
  }

  const [release, version, machine] = s.uname.trimEnd().split("\n");
  const osr = new Map(
    s["os-release"]
      .split("\n")
      .map((l) => /^([A-Z_]+)=(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], m[2].replace(/^"(.*)"$/, "$1")]),
  );
  const dmi = Object.fromEntries(
    s.dmi
      .split("\n")
      .map((l) => /^(\w+)=(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], m[2]]),
  );
  const virt = new Map(
    s.virt
      .split("\n")
      .map((l) => /^(vm|container)=(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], m[2].trim()]),
  );
  // systemd-detect-virt may be absent: fall back to what the CPU reports.
  const hypervisorVendor = cpu.get("Hypervisor vendor");
  const vm =
    virt.get("vm") ||
    (hypervisorVendor
      ? hypervisorVendor.toLowerCase()
      : flags.includes("hypervisor")
        ? "unknown"
        : "none");
  const container = virt.get("container") || "none";

  const facts = {
    hostname: s.hostname.trim(),
    cpu: {
      model: cpu.get("Model name"),
      vendor: cpu.get("Vendor ID"),
      architecture: cpu.get("Architecture"),
      sockets: int(cpu.get("Socket(s)"), "lscpu Socket(s)"),
      coresPerSocket: int(cpu.get("Core(s) per socket"), "lscpu Core(s) per socket"),
      threadsPerCore: int(cpu.get("Thread(s) per core"), "lscpu Thread(s) per core"),
      logicalCpus: int(cpu.get("CPU(s)"), "lscpu CPU(s)"),
      mhz,
      caches,
      flags,
    },
    memory: { totalMiB: mem("MemTotal"), swapMiB: mem("SwapTotal") },
    disks,
    kernel: { release, version: version ?? "", machine },
    os: {
      id: osr.get("ID"),
      versionId: osr.get("VERSION_ID") ?? "",
      prettyName: osr.get("PRETTY_NAME") ?? "",
    },
    platform: { vm, container, dmi },
    virtualization: {
      cpuFlag: flags.includes("vmx") ? "vmx" : flags.includes("svm") ? "svm" : "none",
      devKvm: s.devkvm.trim() === "present",
    },
  };
  const parsed = factsSchema.safeParse(facts);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new Error(`facts.${first.path.join(".")}: ${first.message}`);
  }
  return parsed.data;
}
