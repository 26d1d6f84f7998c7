import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { emulatedShape } from "../../components/server/emulated";
import { profiles } from "../../components/server/profiles";
import { bootedScript } from "../../components/guests/booted";
import { libvirtUri } from "../../components/platforms/kvm/platform";

// An emulated server in the resource graph, under Pulumi mocks: what the
// program asks of QEMU, how the server's steps reach it, and what stays secret.
// The real run is test/e2e/emulated.test.ts.

interface Created {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
const created: Created[] = [];

// The keys step's output: a throwaway client key, then the server's host key.
const keysOutput = execFileSync("bash", [
  "-c",
  'd=$(mktemp -d); ssh-keygen -q -t ed25519 -N "" -f "$d/k"; ssh-keygen -q -t ed25519 -N "" -f "$d/h"; ' +
    'cat "$d/k"; echo "@@@"; cut -d" " -f1,2 "$d/h.pub"; rm -rf "$d"',
]).toString();
const hostKey = keysOutput.split("@@@\n")[1].trim();

const fixture = (name: string) =>
  fs.readFileSync(path.join(__dirname, "..", "fixtures", name), "utf8");

function stdoutFor(name: string): string {
  if (name.endsWith("-facts")) return fixture("facts-go-firecracker.txt");
  if (name.endsWith("-accel-probe")) return fixture("accel-probe-go-firecracker.txt");
  if (name.endsWith("-emu-keys")) return keysOutput;
  if (name.endsWith("-image-build") || name.endsWith("-image-build-here")) {
    const d = "/var/cache/virt-testbed/images/0123456789abcdef";
    return `image: ${d}\nrootfs: ${d}/rootfs\ndisk: ${d}/disk.qcow2\nkernel: ${d}/vmlinuz\ninitrd: ${d}/initrd.img\nbuilt: now\n`;
  }
  if (name.endsWith("-keygen")) return keysOutput;
  if (name.endsWith("-xl-info")) return "xen_version            : 4.17.7\n";
  if (name.endsWith("-ssh")) return "kernel: 6.1.0-57-cloud-amd64\n";
  if (name.endsWith("-emu-disk")) {
    return "disk: /var/cache/virt-testbed/servers/bookworm-0123456789abcdef/disk.qcow2\nbuilt: now\n";
  }
  if (name.endsWith("-emu-machine")) {
    return "pid: 1\ndisk: /var/cache/virt-testbed/servers/k/disk.qcow2\nqemu: QEMU emulator version 7.2.22\ncpu: qemu64,+svm,+npt sockets=2 cores=1 memory=4096MiB\n";
  }
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
        name: "blade",
        connection: { type: "emulated", sshPort: 22100, memoryMiB: 3072 },
        profile: "dual-e5420-blade",
        platforms: [
          { type: "baseline" },
          { type: "xen", guests: [{ name: "para", mode: "para", memoryMiB: 512 }] },
        ],
      },
    ]),
    "testbed:benchmarks": JSON.stringify([{ id: "openssl-speed", profile: "quick" }]),
  });
});

describe("an emulated server in the program", () => {
  beforeAll(async () => {
    const program = await import("../../index");
    // Dynamic resources register asynchronously: wait until the last outputs resolve.
    await new Promise((resolve) => pulumi.output(program.testbed).apply(resolve));
    await new Promise((resolve) => pulumi.output(program.results).apply(resolve));
  }, 60_000);
  const named = (n: string) => {
    const r = created.find((c) => c.name === n);
    if (!r) throw new Error(`no resource ${n} (have ${created.map((c) => c.name).join(", ")})`);
    return r;
  };

  it("asks QEMU for the profile's two sockets, cut to fit, on the configured loopback port", () => {
    const env = named("blade-emulated-emu-machine").inputs.environment as Record<string, string>;
    expect(env).toMatchObject({
      NAME: "blade",
      DIR: "/var/lib/virt-testbed/emulated/blade",
      SSH_PORT: "22100",
      SOCKETS: "2",
      CORES: "1",
      MEM_MIB: "3072",
    });
    expect(env.BASE).toBe("/var/cache/virt-testbed/servers/bookworm-0123456789abcdef/disk.qcow2");
    const disk = named("blade-emulated-emu-disk").inputs.environment as Record<string, string>;
    expect(disk.DISK_DIR).toMatch(/^\/var\/cache\/virt-testbed\/servers\/bookworm-[0-9a-f]{16}$/);
  });

  // Pulumi's mark of a secret value in a resource's inputs.
  const secretSig = "4dabf18193072939515e22adb298388d";
  const unsecret = (v: unknown) => {
    const o = v as Record<string, unknown>;
    expect(o[secretSig]).toBeDefined();
    return o.value as Record<string, unknown>;
  };

  it("reaches the server's steps over 127.0.0.1 with the key made for it, pinning its host key", () => {
    // No key of the stack's own is needed: sshKeys is not set here at all.
    for (const step of ["blade-facts", "blade-workspace", "blade-openssl-speed-trials"]) {
      const conn = unsecret(named(step).inputs.connection);
      expect(conn).toMatchObject({ host: "127.0.0.1", port: 22100, user: "root", hostKey });
      expect(String(conn.privateKey)).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
    }
  });

  it("waits for SSH, with the same key and host key, before any step on the server", () => {
    const ready = named("blade-emulated-emu-ssh").inputs;
    expect(unsecret(ready.connection)).toMatchObject({ host: "127.0.0.1", port: 22100, hostKey });
    expect(ready.retryForSeconds).toBe(900);
  });

  it("builds the guest image on this machine and copies it into the server, which then finds it built", () => {
    const here = named("blade-image-build-here");
    expect(here.inputs.connection).toBeUndefined();
    const seed = named("blade-image-seed").inputs;
    expect(seed.connection).toBeUndefined();
    expect(seed.environment).toEqual({
      DIR: "/var/lib/virt-testbed/emulated/blade",
      SSH_PORT: "22100",
      IMAGE_DIR: "/var/cache/virt-testbed/images/0123456789abcdef",
    });
    // The server's own build step, of the same key, over SSH.
    const build = named("blade-image-build").inputs;
    expect(unsecret(build.connection)).toMatchObject({ host: "127.0.0.1", port: 22100 });
    expect(build.environment).toEqual(here.inputs.environment);
    // It finds the copy complete, so the server gets no image tools to install and purge.
    expect(created.map((c) => c.name)).not.toContain("blade-image-tools");
  });

  it("takes Xen's real flow: its packages, and a way back that waits out the reboot", () => {
    const env = named("blade-xen-packages").inputs.environment as Record<string, string>;
    expect(env.PACKAGES.split(" ")).toEqual(
      expect.arrayContaining(["xen-system-amd64", "qemu-system-xen", "qemu-utils"]),
    );
    const back = named("blade-xen-return").inputs;
    // rebootTimeoutMinutes (15), one try each 15 s, for the reboot and for the way back.
    expect([back.deleteRetryForSeconds, back.retryDelaySeconds]).toEqual([900, 15]);
    expect(named("blade-xen-xl-info").inputs.retryForSeconds).toBe(900);
    expect(String(back.delete)).toContain("reboot");
  });

  it("takes a xen guest as ready once its systemd has finished booting", () => {
    expect(named("blade-xen-para-ssh").inputs.create).toBe(bootedScript);
  });

  it("reaches a xen guest through the emulated server, its host key pinned on the way", () => {
    const conn = unsecret(named("blade-xen-para-ssh").inputs.connection);
    expect(conn).toMatchObject({ host: expect.stringMatching(/^10\.198\.0\.\d+$/), port: 22 });
    expect(conn.jump).toMatchObject({ host: "127.0.0.1", port: 22100, hostKey });
  });

  it("names the emulated machine in the testbed output, for the report", async () => {
    const program = await import("../../index");
    const tb = await new Promise<Record<string, Record<string, unknown>>>((resolve) =>
      pulumi.output(program.testbed).apply((t) => resolve(t as never)),
    );
    expect(tb.blade.emulated).toMatchObject({ cpu: expect.stringMatching(/^qemu64,\+svm,\+npt /) });
  });
});

describe("emulatedShape: the machine QEMU is asked for", () => {
  const limits = { maxVcpus: 2, memoryMiB: 4096, diskGiB: 20 };
  it("keeps a profile's sockets and cuts its cores to fit", () => {
    expect(emulatedShape(profiles["dual-e5420-blade"], limits)).toEqual({
      sockets: 2,
      cores: 1,
      memoryMiB: 4096,
      diskGiB: 20,
    });
  });
  it("cuts sockets too when there are more than vCPUs", () => {
    const p = { sockets: 4, coresPerSocket: 8, memoryMiB: 65536 };
    expect(emulatedShape(p, { ...limits, maxVcpus: 2 })).toMatchObject({ sockets: 2, cores: 1 });
    expect(emulatedShape(p, { ...limits, maxVcpus: 16 })).toMatchObject({ sockets: 4, cores: 4 });
  });
  it("takes the profile's memory when it is below the limit", () => {
    const p = { sockets: 2, coresPerSocket: 1, memoryMiB: 2048 };
    expect(emulatedShape(p, limits).memoryMiB).toBe(2048);
  });
  it("gives an 'auto' profile one socket of maxVcpus cores", () => {
    expect(emulatedShape(undefined, { ...limits, maxVcpus: 3 })).toMatchObject({
      sockets: 1,
      cores: 3,
    });
  });
  it("never asks for more vCPUs than allowed", () => {
    for (const [sockets, coresPerSocket] of [
      [1, 1],
      [2, 4],
      [3, 5],
      [8, 1],
    ]) {
      for (const maxVcpus of [1, 2, 3, 7, 64]) {
        const m = emulatedShape(
          { sockets, coresPerSocket, memoryMiB: 1024 },
          { ...limits, maxVcpus },
        );
        expect(m.sockets * m.cores).toBeLessThanOrEqual(maxVcpus);
        expect(m.sockets * m.cores).toBeGreaterThanOrEqual(1);
      }
    }
  });
});

describe("libvirtUri: where a kvm platform's libvirt is reached", () => {
  it("reaches an emulated server's libvirt with the key made for it and its host key pinned", () => {
    const dir = "/var/lib/virt-testbed/emulated/blade";
    const u = new URL(libvirtUri({ type: "emulated", sshPort: 22100 } as never, dir));
    expect([u.protocol, u.username, u.hostname, u.port, u.pathname]).toEqual([
      "qemu+ssh:",
      "root",
      "127.0.0.1",
      "22100",
      "/system",
    ]);
    // The names the provider's SSH client reads (libvirt/uri/ssh.go); no agent.
    expect(Object.fromEntries(u.searchParams)).toEqual({
      sshauth: "privkey",
      keyfile: `${dir}/id_ed25519`,
      knownhosts: `${dir}/known_hosts`,
    });
  });

  it("keeps a local server on the system socket and a remote one on its ssh agent", () => {
    expect(libvirtUri({ type: "local" } as never, undefined)).toBe("qemu:///system");
    const ssh = { type: "ssh", host: "blade1", port: 2222, user: "ops" } as never;
    expect(libvirtUri(ssh, undefined)).toBe("qemu+ssh://ops@blade1:2222/system");
  });
});
