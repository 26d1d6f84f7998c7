import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { bootedScript, bootedSysctls } from "../../../components/guests/booted";
import { scratchDir } from "../../helpers/scratch";

// The VM guests' readiness script, run here with a stand-in systemctl that
// answers what systemd would at each stage of a boot.
function booted(answer: string, exitCode = 0) {
  const bin = scratchDir("vtb-booted-");
  const fake = path.join(bin, "systemctl");
  fs.writeFileSync(
    fake,
    `#!/bin/sh\n${answer ? `echo ${answer}\n` : "sleep 30\n"}exit ${exitCode}\n`,
  );
  fs.chmodSync(fake, 0o755);
  return spawnSync("bash", ["-c", bootedScript], {
    env: { PATH: `${bin}:${process.env.PATH}` },
    encoding: "utf8",
    timeout: 20_000,
  });
}

describe("a VM guest is ready once systemd has finished booting", () => {
  it("when it runs, or runs degraded (a unit failed)", () => {
    for (const [state, code] of [
      ["running", 0],
      ["degraded", 1],
    ] as const) {
      const r = booted(state, code);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^kernel: \S+\nboot: (running|degraded)\n$/);
      expect(r.stdout).toContain(`boot: ${state}`);
    }
  });

  it("not while it is still starting, or stopping, or silent past the wait: exit 75, asked again", () => {
    for (const state of ["starting", "initializing", "stopping", "maintenance"]) {
      const r = booted(state, 1);
      expect({ state, status: r.status }).toEqual({ state, status: 75 });
      expect(r.stderr).toContain(`systemd: ${state}: still booting`);
    }
    // systemctl --wait that does not return within its 10 s.
    const t0 = Date.now();
    const r = booted("");
    expect(r.status).toBe(75);
    expect(r.stderr).toContain("systemd: starting: still booting");
    expect(Date.now() - t0).toBeLessThan(15_000);
  }, 30_000);
});

describe("a KVM guest's kernel settings, as it reports them once booted", () => {
  it("are read from its sysctl: lines, and only from those", () => {
    const out = [
      "kernel: 6.1.0-57-cloud-amd64",
      "boot: running",
      "sysctl: net.ipv4.tcp_max_tw_buckets=0",
      "memory: MemTotal: 1000 kB",
      " sysctl: net.ipv4.tcp_fin_timeout=60",
      "sysctl: net.core.somaxconn=4096",
    ].join("\n");
    expect(bootedSysctls(out)).toEqual({
      "net.ipv4.tcp_max_tw_buckets": "0",
      "net.core.somaxconn": "4096",
    });
    expect(bootedSysctls("kernel: x\nboot: running\n")).toEqual({});
  });
});
