import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { scratchDir } from "../helpers/scratch";

// The two papers' stacks preview on any machine: without addresses and keys
// the preview names the keys to set; with them (all 127.0.0.1 here, where no
// SSH server listens) it plans every resource and connects to nothing.
const root = path.join(__dirname, "..", "..");
const backend = scratchDir("vtb-e2e-papers-");
const env = {
  ...process.env,
  PULUMI_BACKEND_URL: `file://${backend}`,
  PULUMI_CONFIG_PASSPHRASE: "",
};

function run(args: string[], input?: string): { code: number; out: string } {
  try {
    const out = execFileSync("bash", [path.join(root, "scripts", "pulumi.sh"), ...args], {
      cwd: root,
      env,
      encoding: "utf8",
      input,
      maxBuffer: 64 * 1024 * 1024,
      stdio: ["pipe", "pipe", "pipe"],
    });
    return { code: 0, out };
  } catch (e) {
    const err = e as { status: number; stdout?: string; stderr?: string };
    return { code: err.status, out: `${err.stdout ?? ""}${err.stderr ?? ""}` };
  }
}

const cases = [
  {
    paper: "naples2006",
    hosts: [
      "servers[0].connection.host",
      "servers[1].connection.host",
      "servers[2].connection.host",
      "servers[2].platforms[1].guests[0].connection.host",
    ],
    keys: ["piii-xen", "piii-openvz", "piii-vmware", "gsx"],
    source: ["benchmarks[0].parameters.source.path", "/root/byte-unixbench.tar.gz"],
    expect: {
      "testbed:guest:XenGuest": 1,
      "testbed:guest:OpenVzContainer": 1,
      "testbed:guest:VmwareGuest": 1,
      "testbed:platform:Baseline": 3,
    },
  },
  {
    paper: "cnaf2009",
    hosts: [
      "servers[0].connection.host",
      "servers[1].connection.host",
      "servers[2].connection.host",
      "servers[3].connection.host",
      "servers[4].connection.host",
      "servers[5].connection.host",
    ],
    keys: [
      "blade-xen-para",
      "blade-xen-hvm",
      "blade-kvm",
      "blade-xen-para-1vm",
      "blade-xen-hvm-1vm",
      "blade-kvm-1vm",
    ],
    source: ["benchmarks[0].parameters.spec2006Path", "/opt/spec2006"],
    // 8 VMs at once and 1 VM alone, of Xen para, Xen hvm and KVM: a blade each.
    expect: {
      "testbed:guest:XenGuest": 18,
      "testbed:guest:KvmGuest": 9,
      "libvirt:index/domain:Domain": 9,
      "testbed:platform:Baseline": 6,
    },
  },
];

afterAll(() => {
  fs.rmSync(backend, { recursive: true, force: true });
  for (const c of cases) fs.rmSync(path.join(root, `Pulumi.e2e-${c.paper}.yaml`), { force: true });
});

describe.each(cases)("the $paper stack", (c) => {
  jest.setTimeout(5 * 60 * 1000);
  const stack = `e2e-${c.paper}`;
  beforeAll(() => {
    fs.copyFileSync(
      path.join(root, `Pulumi.${c.paper}.yaml`),
      path.join(root, `Pulumi.${stack}.yaml`),
    );
    expect(run(["stack", "init", stack]).code).toBe(0);
  });

  it("fails a preview without addresses, naming each key to set", () => {
    const r = run(["preview", "--stack", stack]);
    expect(r.code).not.toBe(0);
    for (const h of c.hosts) expect(r.out).toContain(`testbed:${h}: required`);
  });

  it("names what a benchmark needs from the user once the addresses are there", () => {
    for (const h of c.hosts) {
      expect(
        run(["config", "set", "--path", `testbed:${h}`, "127.0.0.1", "--stack", stack]).code,
      ).toBe(0);
    }
    const r = run(["preview", "--stack", stack]);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain(`testbed:benchmarks[0].parameters: `);
    expect(
      run(["config", "set", "--path", `testbed:${c.source[0]}`, c.source[1], "--stack", stack])
        .code,
    ).toBe(0);
  });

  it("names the SSH keys to set", () => {
    const r = run(["preview", "--stack", stack]);
    expect(r.code).not.toBe(0);
    for (const k of c.keys) expect(r.out).toContain(`testbed:sshKeys.${k}: required`);
  });

  it("previews every resource of the paper's testbed without connecting anywhere", () => {
    for (const k of c.keys) {
      const set = run(
        ["config", "set", "--secret", "--path", `testbed:sshKeys.${k}`, "--stack", stack],
        "not-a-key",
      );
      expect(set.code).toBe(0);
    }
    const r = run(["preview", "--json", "--stack", stack]);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.out) as { steps: { op: string; urn: string }[] };
    const counts: Record<string, number> = {};
    for (const s of plan.steps) {
      const type = s.urn.split("::")[2].split("$").pop() as string;
      counts[type] = (counts[type] ?? 0) + 1;
    }
    expect(counts).toMatchObject(c.expect);
    // Every benchmark runs everywhere: ab and iperf serve inside each guest (the
    // VMware guest too, reached at an address), none is skipped.
    expect(r.out).not.toMatch(/needs a server inside the target/);
    // The keys stay secret in the stack's config.
    expect(fs.readFileSync(path.join(root, `Pulumi.${stack}.yaml`), "utf8")).not.toContain(
      "not-a-key",
    );
  });
});
