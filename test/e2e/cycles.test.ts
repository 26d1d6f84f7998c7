import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { defaultStackConfig, root, TestStack } from "../helpers/stack";

// Two up -> destroy cycles of the default stack's testbed (bare metal, an LXC
// container, a QEMU guest) in a row, with one short benchmark so each cycle
// archives a run: the machine is as it was after each, and every archive stays.
// Two show that an up after a destroy finds nothing in its way; a third
// repeated the second (3.5 minutes of the suite's time).
const name = "e2ecycles";
const config = defaultStackConfig(22600).replace(
  / {2}testbed:benchmarks:\n(?: {4}.*\n)+/,
  "  testbed:benchmarks:\n    - id: openssl-speed\n      profile: quick\n      repeats: 1\n",
);

const sh = (cmd: string) => execFileSync("bash", ["-c", cmd], { encoding: "utf8" });

/** What of ours is on the machine: packages, libvirt objects, containers, namespaces, processes, files. */
function machine() {
  return {
    packages: sh("dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\\n' | sort"),
    libvirt: sh(
      "for w in list pool-list net-list; do virsh -q -c qemu:///system $w --all --name 2>/dev/null; done | grep vtb- || true",
    ),
    volumes: sh("ls /var/lib/virt-testbed/pools 2>/dev/null || true"),
    containers: sh("ls /var/lib/virt-testbed/lxc 2>/dev/null || true"),
    namespaces: sh("ip netns list | grep '^vtb-' || true"),
    // Live ones: this machine's init does not reap orphans, so a zombie can linger a while.
    processes: sh(
      `ps -eo stat=,args= | grep -v '^Z' | grep -E 'vtb-${name}' | grep -v grep || true`,
    ),
  };
}

const stack = new TestStack(name, config);
let up = false;

afterAll(() => {
  if (up) stack.run("destroy", "--yes", "--skip-preview");
  stack.remove();
  fs.rmSync(path.join(root, "results", name), { recursive: true, force: true });
});

describe("the default testbed, two cycles", () => {
  jest.setTimeout(45 * 60 * 1000);

  it("up -> destroy twice leaves the machine as it was, and every run's archive", () => {
    expect(config).toMatch(
      /- id: openssl-speed\n {6}profile: quick\n {6}repeats: 1\n {2}testbed:servers:/,
    );
    stack.pulumi("stack", "init");
    const before = machine();
    const archives: string[] = [];
    for (let cycle = 1; cycle <= 2; cycle++) {
      const t0 = Date.now();
      up = true;
      stack.pulumi("up", "--yes", "--skip-preview");
      const outputs = JSON.parse(stack.pulumi("stack", "output", "--json"));
      archives.push(outputs.archive.local);
      expect(outputs.results.local.kvm[`vtb-${name}-vm`]["openssl-speed"].status).toBe("ok");
      stack.pulumi("destroy", "--yes", "--skip-preview");
      up = false;
      console.log(`cycle ${cycle}: ${((Date.now() - t0) / 1000).toFixed(1)}s`);
      expect(stack.resources()).toEqual([]);
      expect({ cycle, ...machine() }).toEqual({ cycle, ...before });
    }
    expect(new Set(archives).size).toBe(2);
    for (const a of archives) {
      const saved = JSON.parse(fs.readFileSync(path.join(a, "results.json"), "utf8"));
      expect(saved.results.local.baseline.host["openssl-speed"].status).toBe("ok");
    }
  });
});
