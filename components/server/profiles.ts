import { Facts } from "./facts";

/**
 * A declared hardware profile: what the server should be. Every expectation
 * is checked against the gathered facts; numbers carry a tolerance because
 * firmware reserves memory and vendors round clocks and disk sizes.
 */
export interface HardwareProfile {
  description: string;
  cpuModel: RegExp;
  sockets: number;
  coresPerSocket: number;
  threadsPerCore: number;
  mhz: number;
  /** Per-core or per-socket L2 size in KiB, as the kernel reports index2. */
  l2KiB?: number;
  memoryMiB: number;
  /** The system disk: size in bytes and whether it spins. */
  disk?: { sizeBytes: number; rotational: boolean };
  /** DMI board name, when the firmware reports one. */
  board?: RegExp;
}

export const profiles: Record<string, HardwareProfile> = {
  "piii-800-testbed": {
    description:
      "2x Pentium III 800 MHz, 256 KB L2, 1 GB PC133, Maxtor 40 GB 7200 rpm, Tyan Tiger 230T (Naples 2006)",
    cpuModel: /Pentium\(R\) III|Pentium III/i,
    sockets: 2,
    coresPerSocket: 1,
    threadsPerCore: 1,
    mhz: 800,
    l2KiB: 256,
    memoryMiB: 1024,
    disk: { sizeBytes: 40e9, rotational: true },
    board: /Tiger 230T|S2507/i,
  },
  "dual-e5420-blade": {
    description:
      "2x Xeon E5420 (4 cores, 2.5 GHz), 16 GB RAM, 10k rpm SAS disks in RAID0 behind an LSI controller (CNAF 2009)",
    cpuModel: /E5420/,
    sockets: 2,
    coresPerSocket: 4,
    threadsPerCore: 1,
    mhz: 2500,
    l2KiB: 6144,
    memoryMiB: 16384,
    disk: { sizeBytes: 0, rotational: true },
  },
};

export const profileNames = ["auto", ...Object.keys(profiles)] as const;

export interface ProfileMismatch {
  field: string;
  expected: string;
  actual: string;
}

export interface ProfileCheck {
  profile: string;
  matches: boolean;
  mismatches: ProfileMismatch[];
}

const within = (actual: number, expected: number, tolerance: number) =>
  Math.abs(actual - expected) <= expected * tolerance;

/** Compares facts with a declared profile; "auto" accepts whatever the server is. */
export function checkProfile(name: string, facts: Facts): ProfileCheck {
  if (name === "auto") return { profile: name, matches: true, mismatches: [] };
  const p = profiles[name];
  if (!p) throw new Error(`unknown hardware profile '${name}'`);
  const out: ProfileMismatch[] = [];
  const expect = (field: string, ok: boolean, expected: unknown, actual: unknown) => {
    if (!ok) out.push({ field, expected: String(expected), actual: String(actual) });
  };
  const c = facts.cpu;
  expect("cpu.model", p.cpuModel.test(c.model), p.cpuModel.source, c.model);
  expect("cpu.sockets", c.sockets === p.sockets, p.sockets, c.sockets);
  expect(
    "cpu.coresPerSocket",
    c.coresPerSocket === p.coresPerSocket,
    p.coresPerSocket,
    c.coresPerSocket,
  );
  expect(
    "cpu.threadsPerCore",
    c.threadsPerCore === p.threadsPerCore,
    p.threadsPerCore,
    c.threadsPerCore,
  );
  expect("cpu.mhz", within(c.mhz, p.mhz, 0.05), `${p.mhz} ±5%`, c.mhz);
  if (p.l2KiB !== undefined) {
    const l2 = c.caches.find((k) => k.level === 2);
    expect(
      "cpu.caches.l2",
      l2?.sizeKiB === p.l2KiB,
      `${p.l2KiB} KiB`,
      l2 ? `${l2.sizeKiB} KiB` : "none",
    );
  }
  // Firmware and the kernel keep some memory for themselves.
  expect(
    "memory.totalMiB",
    facts.memory.totalMiB <= p.memoryMiB && facts.memory.totalMiB >= p.memoryMiB * 0.9,
    `${p.memoryMiB} MiB (-10%)`,
    facts.memory.totalMiB,
  );
  if (p.disk) {
    const d = facts.disks[0];
    expect(
      "disks[0].rotational",
      d?.rotational === p.disk.rotational,
      p.disk.rotational,
      d?.rotational,
    );
    if (p.disk.sizeBytes > 0) {
      expect(
        "disks[0].sizeBytes",
        d !== undefined && within(d.sizeBytes, p.disk.sizeBytes, 0.1),
        `${p.disk.sizeBytes} ±10%`,
        d?.sizeBytes,
      );
    }
  }
  const board = facts.platform.dmi.board_name;
  if (p.board && board !== undefined) {
    expect("platform.dmi.board_name", p.board.test(board), p.board.source, board);
  }
  return { profile: name, matches: out.length === 0, mismatches: out };
}
