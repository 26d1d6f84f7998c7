import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

// The resource graph of index.ts under Pulumi mocks: no CLI, nothing runs.
// Command resources get the recorded outputs of the real scripts as stdout.
const fixture = (name: string) =>
  fs.readFileSync(path.join(__dirname, "..", "fixtures", name), "utf8");

interface Created {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
const created: Created[] = [];

function stdoutFor(name: string): string {
  if (name.endsWith("-facts")) return fixture("facts-go-firecracker.txt");
  if (name.endsWith("-accel-probe")) return fixture("accel-probe-go-firecracker.txt");
  return "";
}

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        created.push({ type: args.type, name: args.name, inputs: args.inputs });
        return {
          id: `${args.name}-id`,
          state: { ...args.inputs, stdout: stdoutFor(args.name), stderr: "", exitCode: 0 },
        };
      },
      call: (args) => args.inputs,
    },
    "virt-testbed",
    "unit",
    true,
  );
  pulumi.runtime.setAllConfig({
    "testbed:servers": JSON.stringify([
      { name: "local", connection: { type: "local" } },
      { name: "blade", connection: { type: "local" }, probe: { kvmTimeoutSeconds: 5 } },
    ]),
  });
});

function value<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply(resolve));
}

describe("the testbed program", () => {
  let program: typeof import("../../index");
  beforeAll(async () => {
    program = await import("../../index");
    // Dynamic resources register asynchronously: wait until the outputs resolve.
    await value(program.testbed);
  });

  it("makes one PhysicalServer per configured server, each with a facts and a probe step", () => {
    const servers = created.filter((c) => c.type === "testbed:index:PhysicalServer");
    expect(servers.map((s) => s.name).sort()).toEqual(["blade", "local"]);
    const commands = created.filter((c) => c.type.endsWith("testbed:Command")).map((c) => c.name);
    expect(commands.sort()).toEqual([
      "blade-accel-probe",
      "blade-facts",
      "local-accel-probe",
      "local-facts",
    ]);
  });

  it("passes probe settings to the script as environment", () => {
    const probe = created.find((c) => c.name === "blade-accel-probe");
    expect(probe?.inputs.environment).toMatchObject({
      PROBE_KVM_TIMEOUT: "5",
      PROBE_TCG_TIMEOUT: "120",
    });
    // The script text is the same for every server: config never reaches it.
    const local = created.find((c) => c.name === "local-accel-probe");
    expect(probe?.inputs.create).toBe(local?.inputs.create);
  });

  it("exports parsed facts and the accelerator choice per server", async () => {
    const out = await value(program.testbed);
    expect(Object.keys(out).sort()).toEqual(["blade", "local"]);
    expect(out.local.facts.cpu.logicalCpus).toBe(2);
    expect(out.local.facts.memory.totalMiB).toBe(24152);
    expect(out.local.accel.accel).toBe("tcg");
    expect(out.local.accel.kvm.result).toBe("hang");
    expect(out.local.profile).toBe("auto");
  });
});
