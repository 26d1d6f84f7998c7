import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { bootedScript } from "../../components/guests/booted";
import { domainXslt } from "../../components/platforms/kvm/domain-xslt";

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

// A throwaway key pair made when the test runs, printed the way GuestKey's step prints it.
const keygenOutput = execFileSync("bash", [
  "-c",
  'd=$(mktemp -d); ssh-keygen -q -t ed25519 -N "" -f "$d/k"; cat "$d/k"; echo "@@@"; cat "$d/k.pub"; rm -rf "$d"',
]).toString();

function stdoutFor(name: string): string {
  if (name.endsWith("-facts")) return fixture("facts-go-firecracker.txt");
  if (name.endsWith("-accel-probe")) return fixture("accel-probe-go-firecracker.txt");
  if (name.endsWith("-image-build")) {
    const d = "/var/cache/virt-testbed/images/k";
    return `image: ${d}\nrootfs: ${d}/rootfs\ndisk: ${d}/disk.qcow2\nkernel: ${d}/vmlinuz\ninitrd: ${d}/initrd.img\nbuilt: now\n`;
  }
  if (name.endsWith("-keygen")) {
    return keygenOutput;
  }
  if (name.endsWith("-container")) return "address: 10.199.0.2\nsystemd: running\n";
  if (name.endsWith("-libvirtd")) return "libvirt: 9.0.0\nqemu: QEMU 7.2.22\nstarted: \n";
  if (name.endsWith("-ssh")) return "kernel: 6.1.0-56-cloud-amd64\n";
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
    false,
  );
  pulumi.runtime.setAllConfig({
    "testbed:servers": JSON.stringify([
      {
        name: "local",
        connection: { type: "local" },
        platforms: [
          { type: "baseline" },
          { type: "lxc", guests: [{ name: "ct", memoryMiB: 512 }] },
          { type: "kvm", guests: [{ name: "vm", count: 2, network: { model: "e1000" } }] },
        ],
      },
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
    await value(pulumi.output(program.testbed));
  }, 60_000);

  const named = (n: string) => {
    const r = created.find((c) => c.name === n);
    if (!r) throw new Error(`no resource ${n}`);
    return r;
  };

  it("makes one PhysicalServer per configured server, each with facts, probe and workspace", () => {
    const servers = created.filter((c) => c.type === "testbed:index:PhysicalServer");
    expect(servers.map((s) => s.name).sort()).toEqual(["blade", "local"]);
    const blade = created.filter((c) => c.name.startsWith("blade-")).map((c) => c.name);
    expect(blade.sort()).toEqual([
      "blade-accel-probe",
      "blade-baseline",
      "blade-facts",
      "blade-workspace",
    ]);
  });

  it("gives the local server its platforms, and each platform its guests", () => {
    expect(named("local-baseline").type).toBe("testbed:platform:Baseline");
    expect(named("local-lxc").type).toBe("testbed:platform:Lxc");
    expect(named("local-kvm").type).toBe("testbed:platform:Kvm");
    expect(named("local-lxc-ct").type).toBe("testbed:guest:LxcContainer");
    // count: 2 makes two guests.
    expect(named("local-kvm-vm-0").type).toBe("testbed:guest:KvmGuest");
    expect(named("local-kvm-vm-1").type).toBe("testbed:guest:KvmGuest");
    expect(created.filter((c) => c.type === "testbed:guest:Image")).toHaveLength(1);
    // The image is built where the guests run, with tools the server may not have.
    // A VM guest is ready once its systemd has finished booting, as a container is.
    expect(String(named("local-kvm-vm-0-ssh").inputs.create)).toContain(bootedScript);
    const tools = named("local-image-tools").inputs.environment as { PACKAGES: string };
    expect(tools.PACKAGES).toMatch(/mmdebstrap/);
  });

  it("defines TCG domains (the probe found KVM hanging) reachable only on loopback", () => {
    const d0 = named("local-kvm-vm-0-domain");
    expect(d0.type).toBe("libvirt:index/domain:Domain");
    expect(d0.inputs).toMatchObject({ name: "vtb-unit-vm-0", type: "qemu", vcpu: 1, memory: 1024 });
    const xslt = (d0.inputs.xml as { xslt: string }).xslt;
    expect(xslt).toContain("hostfwd=tcp:127.0.0.1:22200-:22");
    expect(xslt).toContain("e1000,netdev=vtbnet0");
    // Under TCG virtio-net sends on a timer (QEMU's bottom half left sends
    // untaken behind slirp); under KVM it keeps QEMU's default.
    const virtio = (domainType: "kvm" | "qemu") =>
      domainXslt({
        sshPort: 22200,
        nicModel: "virtio",
        domainType,
        diskBus: "virtio",
        consoleLog: "/var/log/libvirt/qemu/x-console.log",
        mac: "52:54:00:00:00:01",
      });
    expect(virtio("qemu")).toContain('value="virtio-net-pci,tx=timer,netdev=vtbnet0,');
    expect(virtio("kvm")).toContain('value="virtio-net-pci,netdev=vtbnet0,');
    // No TIME_WAIT in the guest (slirp's reused ports), read back once booted,
    // and read again whenever the domain is made again.
    expect(d0.inputs.cmdlines).toEqual([
      expect.objectContaining({ console: "ttyS0", "sysctl.net.ipv4.tcp_max_tw_buckets": "0" }),
    ]);
    const ready = named("local-kvm-vm-0-ssh");
    expect(String(ready.inputs.create)).toContain(
      'echo "sysctl: net.ipv4.tcp_max_tw_buckets=$(cat /proc/sys/net/ipv4/tcp_max_tw_buckets)"',
    );
    expect(ready.inputs.triggers).toEqual(["local-kvm-vm-0-domain-id"]);
    expect((named("local-kvm-vm-1-domain").inputs.xml as { xslt: string }).xslt).toContain(
      "127.0.0.1:22201-:22",
    );
    expect(named("local-kvm-vm-0-disk").inputs).toMatchObject({
      name: "vtb-unit-vm-0.qcow2",
      baseVolumeName: expect.stringMatching(/^base-[0-9a-f]{16}\.qcow2$/),
      baseVolumePool: "vtb-unit",
      format: "qcow2",
    });
  });

  it("hands container settings to the script as environment only", () => {
    const ct = named("local-lxc-ct-container");
    expect(ct.inputs.environment).toMatchObject({
      NAME: "vtb-unit-ct",
      MEM_MIB: "512",
      CPU_SHARES: "1024",
      ROOTFS: "/var/cache/virt-testbed/images/k/rootfs",
    });
    expect(ct.inputs.create).not.toContain("vtb-unit-ct");
  });

  it("keeps the guest SSH key out of plain outputs", () => {
    const keygen = named("guest-key-keygen");
    expect(keygen.inputs.create).toContain("ssh-keygen");
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
    const out = await value(pulumi.output(program.testbed));
    expect(Object.keys(out).sort()).toEqual(["blade", "local"]);
    expect(out.local.facts.cpu.logicalCpus).toBe(2);
    expect(out.local.facts.memory.totalMiB).toBe(24152);
    expect(out.local.accel.accel).toBe("tcg");
    expect(out.local.accel.kvm.result).toBe("hang");
    expect(out.local.profile).toBe("auto");
    expect(out.local.platforms.kvm.info).toMatchObject({ accel: "tcg", libvirt: "9.0.0" });
    expect(out.local.platforms.lxc.guests[0]).toMatchObject({
      name: "vtb-unit-ct",
      systemd: "running",
    });
    expect(out.local.platforms.kvm.guests.map((g) => g.ssh)).toEqual([
      "root@127.0.0.1:22200",
      "root@127.0.0.1:22201",
    ]);
    // The device QEMU was given, as the guest's info records it (e1000: no timer).
    expect(out.local.platforms.kvm.guests.map((g) => g.nicDevice)).toEqual(["e1000", "e1000"]);
  });
});
