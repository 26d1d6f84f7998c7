import * as fs from "fs";
import * as path from "path";
import { reportBlocks } from "../../../report/document";
import { readRun } from "../../../report/load";
import { renderMarkdown } from "../../../report/markdown";
import { describeTestbed, flatten, NOT_RECORDED } from "../../../report/testbed";
import { fixtureRun, scratchCopy } from "./fixture";

const old = fixtureRun();
const facts = old.targets["local/baseline/host"];
const ct = old.targets["local/lxc/vtb-testbed-ct"];
const vm = old.targets["local/kvm/vtb-testbed-vm"];

// What index.ts exports as `testbed` and, since issue 5, archives in results.json.
const testbed = {
  local: {
    profile: "piii-800-testbed",
    profileCheck: {
      profile: "piii-800-testbed",
      matches: false,
      mismatches: [{ field: "cpu.sockets", expected: "2", actual: "1" }],
    },
    facts,
    accel: {
      kvm: { result: "hang", seconds: 20, serialLines: 0, detail: "no serial output" },
      tcg: { result: "boots", seconds: 41.2, serialLines: 310, detail: "login prompt" },
      accel: "tcg",
    },
    platforms: {
      baseline: { info: { type: "baseline", managed: true }, guests: [] },
      lxc: { info: { type: "lxc", managed: true, lxc: "5.0.2", cgroups: "v2" }, guests: [ct] },
      kvm: {
        info: {
          type: "kvm",
          managed: true,
          accel: "tcg",
          accelChoice: "probed",
          libvirt: "9.0.0",
          qemu: "7.2.19",
        },
        guests: [vm],
      },
    },
  },
};
const config = { servers: [{ name: "local", platforms: [{ type: "baseline" }] }], benchmarks: [] };

describe("the testbed section", () => {
  it("says 'not recorded in this run' for what an older run lacks, and still shows facts and guest specs", () => {
    const d = describeTestbed(old)[0];
    const by = (t: string) => d.sections.find((s) => s.title.startsWith(t))!;
    expect(by("Hardware profile").note).toBe(NOT_RECORDED);
    expect(by("Accelerator probe").note).toBe(NOT_RECORDED);
    expect(by("Platform kvm").note).toBe(NOT_RECORDED);
    expect(by("Gathered facts").rows).toContainEqual([
      "CPU",
      expect.stringContaining(String((facts.cpu as { model: string }).model)),
    ]);
    expect(by("Guest kvm/vtb-testbed-vm").rows).toContainEqual(["memoryMiB", String(vm.memoryMiB)]);
    const md = renderMarkdown(reportBlocks(old, []));
    expect(md).toMatch(/The stack configuration was not recorded in this run/);
  });
  it("shows the profile check, the probe, each platform's versions and the config when the run recorded them", () => {
    const run = readRun(scratchCopy(old, { testbed, config }));
    const d = describeTestbed(run)[0];
    const by = (t: string) => d.sections.find((s) => s.title.startsWith(t))!;
    expect(by("Hardware profile").rows).toEqual([
      ["Declared profile", "piii-800-testbed"],
      ["Check", "1 mismatch(es) with piii-800-testbed"],
      ["cpu.sockets", "expected 2, found 1"],
    ]);
    expect(by("Accelerator probe").rows).toContainEqual(["Chosen", "tcg"]);
    expect(by("Platform kvm").rows).toContainEqual(["qemu", "7.2.19"]);
    expect(by("Platform lxc").rows).toContainEqual(["lxc", "5.0.2"]);
    const md = renderMarkdown(reportBlocks(run, []));
    expect(md).not.toMatch(/not recorded/);
    expect(md).toContain('"benchmarks": []');
    fs.rmSync(path.dirname(run.dir), { recursive: true });
  });
  it("flattens nested specs by key path and counts long word lists", () => {
    expect(flatten({ disk: { sizeGiB: 4 }, nics: [{ model: "virtio" }], tags: [] })).toEqual([
      ["disk.sizeGiB", "4"],
      ["nics[0].model", "virtio"],
      ["tags", "none"],
    ]);
    expect(flatten({ flags: Array.from({ length: 20 }, (_, i) => `f${i}`) })[0][1]).toMatch(
      /^20 entries/,
    );
  });
});

describe("a pair measured from another target", () => {
  it("says where its client ran, beside the target's status", () => {
    const run = fixtureRun();
    const o = run.results.local.kvm["vtb-testbed-vm"].iperf3;
    const before = renderMarkdown(reportBlocks(run, []));
    expect(before).not.toMatch(/from local\/kvm\/vtb-testbed-vm-0/);
    o.client = "local/kvm/vtb-testbed-vm-0";
    const md = renderMarkdown(reportBlocks(run, []));
    expect(md).toMatch(/kvm\/vtb-testbed-vm from local\/kvm\/vtb-testbed-vm-0: (ok|partial), /);
  });
});
