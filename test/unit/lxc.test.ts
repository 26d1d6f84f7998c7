import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { provider } from "../../components/command-provider";
import type { Command } from "../../components/command";
import type { GuestImage } from "../../components/guests/image";
import { LxcGuest } from "../../components/platforms/lxc/guest";
import type { Lxc } from "../../components/platforms/lxc/platform";
import { lxcSchema } from "../../components/platforms/lxc/schema";
import type { PhysicalServer } from "../../components/server";

// A container's CPU quota (cpuQuotaPercent), from the config to the lines of
// the container's LXC config. That the kernel holds it is lxc-create.sh's own
// check after start (it reads the container's cgroup back), run for real only.

const dir = path.join(__dirname, "..", "..", "components", "platforms", "lxc");
const createScript = fs.readFileSync(path.join(dir, "lxc-create.sh"), "utf8");

describe("cpuQuotaPercent in the config", () => {
  const parse = (g: object) => lxcSchema.safeParse({ type: "lxc", guests: [{ name: "ct", ...g }] });
  const messages = (g: object) => {
    const r = parse(g);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };

  it("is optional: none means no quota", () => {
    const r = parse({});
    expect(r.success && r.data.guests[0].cpuQuotaPercent).toBeUndefined();
  });

  it.each([1, 95, 100, 250, 6400])("takes %d percent of one CPU", (q) => {
    const r = parse({ cpuQuotaPercent: q });
    expect(r.success && r.data.guests[0].cpuQuotaPercent).toBe(q);
  });

  it.each([
    [0, /too small: a whole percent of one CPU from 1 to 6400/],
    [-5, /too small/],
    [6401, /too big: a whole percent of one CPU from 1 to 6400/],
    [95.5, /not a whole number: a whole percent of one CPU/],
    ["95", /expected a number: a whole percent of one CPU/],
    [null, /expected a number/],
  ])("refuses %p, naming the key and the range", (q, message) => {
    const m = messages({ cpuQuotaPercent: q });
    expect(m).toHaveLength(1);
    expect(m[0]).toMatch(/^guests\.0\.cpuQuotaPercent: /);
    expect(m[0]).toMatch(message);
  });
});

/**
 * lxc-create.sh's cgroup_limits run by itself, with the script's own quota
 * arithmetic before it: the limit lines it writes into the container's config.
 */
function limits(version: "v1" | "v2", env: Record<string, string>) {
  const block = /^cpu_period_us=[\s\S]*?^cgroup_limits\(\) \{\n[\s\S]*?^\}$/m.exec(createScript);
  if (!block) throw new Error("lxc-create.sh: no cpu_period_us ... cgroup_limits() { ... } block");
  const r = spawnSync(
    "bash",
    ["-c", `set -euo pipefail\n${block[0]}\ncgroup_limits "$1"`, "limits", version],
    { env: { PATH: process.env.PATH, CPU_SHARES: "1024", ...env }, encoding: "utf8" },
  );
  return { status: r.status, lines: r.stdout.trim().split("\n"), stderr: r.stderr };
}

describe("the container's config lines (lxc-create.sh cgroup_limits)", () => {
  it("cgroup v2: cpu.max of the quota in a 100 ms period", () => {
    const r = limits("v2", { CPU_QUOTA_PERCENT: "95", CPUSET: "0", MEM_MIB: "512" });
    expect(r.status).toBe(0);
    expect(r.lines).toEqual([
      "lxc.cgroup2.cpu.weight = 100",
      "lxc.cgroup2.cpuset.cpus = 0",
      "lxc.cgroup2.cpu.max = 95000 100000",
      "lxc.cgroup2.memory.max = 512M",
    ]);
  });

  it("cgroup v1: the CFS period, then the quota", () => {
    const r = limits("v1", { CPU_QUOTA_PERCENT: "95", CPUSET: "0" });
    expect(r.status).toBe(0);
    expect(r.lines).toEqual([
      "lxc.cgroup.cpu.shares = 1024",
      "lxc.cgroup.cpuset.cpus = 0",
      "lxc.cgroup.cpu.cfs_period_us = 100000",
      "lxc.cgroup.cpu.cfs_quota_us = 95000",
    ]);
  });

  it.each([
    ["1", "1000 100000"],
    ["100", "100000 100000"],
    ["250", "250000 100000"],
    ["6400", "6400000 100000"],
  ])("%s percent is a quota of %s us", (q, max) => {
    expect(limits("v2", { CPU_QUOTA_PERCENT: q }).lines).toContain(`lxc.cgroup2.cpu.max = ${max}`);
  });

  it("no quota: no cpu.max or cfs lines (unlimited, as before)", () => {
    for (const v of ["v1", "v2"] as const) {
      const r = limits(v, { CPU_QUOTA_PERCENT: "" });
      expect(r.status).toBe(0);
      expect(r.lines.filter((l) => /cpu\.max|cfs_/.test(l))).toEqual([]);
    }
    expect(limits("v2", {}).lines).toEqual(["lxc.cgroup2.cpu.weight = 100"]);
  });

  it.each(["0", "95.5", "9;5", "95\nlxc.apparmor.profile = unconfined", "12345"])(
    "refuses CPU_QUOTA_PERCENT %p before writing anything",
    (q) => {
      const r = limits("v2", { CPU_QUOTA_PERCENT: q });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/bad CPU_QUOTA_PERCENT/);
      expect(r.lines).toEqual([""]);
    },
  );

  it("checks the quota the kernel holds after start, and stops a container without it", () => {
    // The check reads the container's cgroup (lxc-cgroup) and compares it with what was asked.
    const check = createScript.slice(createScript.indexOf('want="$cpu_quota_us $cpu_period_us"'));
    expect(check).toMatch(/lx lxc-cgroup cpu\.max/);
    expect(check).toMatch(/lx lxc-cgroup cpu\.cfs_quota_us/);
    expect(check).toMatch(/if \[ "\$got" != "\$want" \]; then[\s\S]*?lxc-stop -k[\s\S]*?exit 1/);
  });
});

describe("LxcGuest and its quota", () => {
  const made: { name: string; environment: Record<string, string>; create: string }[] = [];
  const stdout = (quota?: string) =>
    `address: 10.199.0.2\nsystemd: running\n${quota ? `cpu.max: ${quota}\n` : ""}`;

  beforeAll(async () => {
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
        call: (args) => args.inputs,
      },
      "virt-testbed",
      "unit",
      false,
    );
  });

  // Only what LxcGuest uses of its server, platform and image.
  const guest = (name: string, cpuQuotaPercent?: number) => {
    const server = {
      config: { name: "local" },
      connection: undefined,
      hostCommand: (n: string, a: { environment: Record<string, string>; create: string }) => {
        made.push({ name: n, environment: a.environment, create: a.create });
        const q = a.environment.CPU_QUOTA_PERCENT;
        return { stdout: pulumi.output(stdout(q && `${Number(q) * 1000} 100000`)) } as Command;
      },
    } as unknown as PhysicalServer;
    return new LxcGuest(name, {
      server,
      platform: { ready: undefined } as unknown as Lxc,
      image: { files: { rootfs: "/images/k/rootfs" }, build: undefined } as unknown as GuestImage,
      stack: "unit",
      guest: name,
      index: 0,
      count: 1,
      cpuShares: 1024,
      cpus: "0",
      cpuQuotaPercent,
    });
  };
  const info = (g: LxcGuest) =>
    new Promise<Record<string, unknown>>((resolve) => g.info.apply(resolve));

  it("hands the quota to the script as environment only, and records it", async () => {
    const g = guest("q95", 95);
    const step = made.find((m) => m.name === "q95-container")!;
    expect(step.environment).toMatchObject({ CPU_QUOTA_PERCENT: "95", CPUSET: "0" });
    // The script is the file as it is: no value of the config is spliced into it.
    expect(step.create).toBe(createScript);
    expect(await info(g)).toMatchObject({
      cpuQuotaPercent: 95,
      cpuMax: "95000 100000",
      cpus: "0",
      cpuShares: 1024,
    });
  });

  it("without a quota: an empty CPU_QUOTA_PERCENT, recorded as unlimited", async () => {
    const g = guest("aa1");
    const step = made.find((m) => m.name === "aa1-container")!;
    expect(step.environment.CPU_QUOTA_PERCENT).toBe("");
    const i = await info(g);
    expect(i.cpuQuotaPercent).toBe("unlimited");
    expect(i).not.toHaveProperty("cpuMax");
  });

  it("a changed quota replaces the container, as the other limits do", async () => {
    guest("a", 95);
    const a = made.find((m) => m.name === "a-container")!;
    const quota = (q: string) => ({
      ...a,
      environment: { ...a.environment, CPU_QUOTA_PERCENT: q },
    });
    for (const q of ["90", ""]) {
      const d = await provider.diff!("id", a, quota(q));
      expect(d.replaces).toEqual(["environment"]);
      expect(d.deleteBeforeReplace).toBe(true);
    }
    const d = await provider.diff!("id", a, quota("95"));
    expect(d).toMatchObject({ changes: false, replaces: [] });
  });
});
