import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

// The real thing: the project's Pulumi CLI runs the default stack's program
// against this machine, with its state in a throwaway backend so a user's own
// `testbed` stack is never touched.
const root = path.join(__dirname, "..", "..");
const backend = fs.mkdtempSync(path.join(os.tmpdir(), "vtb-e2e-state-"));
const env = {
  ...process.env,
  PULUMI_BACKEND_URL: `file://${backend}`,
  PULUMI_CONFIG_PASSPHRASE: "",
};

function pulumi(...args: string[]): string {
  try {
    return execFileSync("bash", [path.join(root, "scripts", "pulumi.sh"), ...args], {
      cwd: root,
      env,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`pulumi ${args.join(" ")} failed:\n${err.stdout ?? ""}\n${err.stderr ?? ""}`);
  }
}

const hasHardwareVirt = /\b(vmx|svm)\b/.test(fs.readFileSync("/proc/cpuinfo", "utf8"));

afterAll(() => {
  fs.rmSync(backend, { recursive: true, force: true });
});

describe("the default stack, for real", () => {
  jest.setTimeout(15 * 60 * 1000);

  it("up -> facts in outputs -> no changes on preview -> destroy leaves nothing", () => {
    pulumi("stack", "init", "testbed");
    pulumi("up", "--yes", "--skip-preview", "--stack", "testbed");

    const outputs = JSON.parse(pulumi("stack", "output", "--json", "--stack", "testbed"));
    const local = outputs.testbed.local;
    // Facts agree with what Node sees of this same machine.
    expect(local.facts.hostname).toBe(os.hostname());
    expect(local.facts.cpu.logicalCpus).toBe(os.cpus().length);
    expect(local.facts.kernel.release).toBe(os.release());
    expect(Math.abs(local.facts.memory.totalMiB - os.totalmem() / 2 ** 20)).toBeLessThan(64);
    expect(local.facts.cpu.caches.length).toBeGreaterThan(0);

    // The probe booted for real and kept within its time bound.
    expect(["kvm", "tcg"]).toContain(local.accel.accel);
    expect(local.accel.kvm.seconds).toBeLessThanOrEqual(20 + 6);
    if (!hasHardwareVirt) {
      // This machine: no VT-x/AMD-V, so a KVM guest cannot boot; TCG must be chosen.
      expect(local.accel.kvm.result).not.toBe("boots");
      expect(local.accel.accel).toBe("tcg");
    }
    expect(local.accel.tcg.result).toBe("boots");
    expect(local.accel.tcg.serialLines).toBeGreaterThan(10);
    // No probe VM outlives the probe.
    expect(execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })).not.toContain(
      "vtb-accel-probe",
    );

    // A second look changes nothing.
    pulumi("preview", "--expect-no-changes", "--stack", "testbed");

    pulumi("destroy", "--yes", "--skip-preview", "--stack", "testbed");
    const state = JSON.parse(pulumi("stack", "export", "--stack", "testbed"));
    expect(state.deployment.resources ?? []).toEqual([]);
    pulumi("stack", "rm", "--yes", "--preserve-config", "--stack", "testbed");
  });
});
