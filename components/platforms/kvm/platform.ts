import * as libvirt from "@pulumi/libvirt";
import * as pulumi from "@pulumi/pulumi";
import { Command } from "../../command";
import { script } from "../../bash";
import { Platform, PlatformArgs, PlatformInfo } from "../platform";
import type { ServerConfig } from "../../config";

export const kvmPackages = [
  "qemu-system-x86",
  "qemu-utils",
  "libvirt-daemon-system",
  "libvirt-clients",
  "passt",
  "genisoimage",
];

/**
 * QEMU/KVM under libvirt. The accelerator is KVM only if a KVM guest really
 * booted on this server (the server's probe), unless the config forces one.
 */
export class Kvm extends Platform {
  public readonly info: pulumi.Output<PlatformInfo>;
  /** libvirt domain type: "kvm", or "qemu" for TCG. */
  public readonly domainType: pulumi.Output<"kvm" | "qemu">;
  public readonly provider: libvirt.Provider;
  /** Guests must be created after this. */
  public readonly ready: Command;

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("Kvm", name, opts);
    if (args.config.type !== "kvm") throw new Error("Kvm needs a kvm platform config");
    const srv = args.server;
    const packages = srv.installPackages(
      `${name}-packages`,
      { step: `server ${srv.config.name}: kvm: install packages`, packages: kvmPackages },
      { parent: this },
    );
    this.ready = srv.hostCommand(
      `${name}-libvirtd`,
      {
        step: `server ${srv.config.name}: kvm: start libvirtd`,
        create: script(__dirname, "libvirtd.sh"),
        delete: script(__dirname, "libvirtd-stop.sh"),
        // It waits for the host lock as long as a package install would.
        environment: {
          VTB_PACKAGE_LOCK_TIMEOUT: String(srv.config.packageLockTimeoutSeconds),
        },
        timeoutSeconds: srv.config.packageLockTimeoutSeconds + 120,
      },
      { parent: this, dependsOn: [packages] },
    );
    const forced = args.config.accel;
    const accel =
      forced === "auto" ? srv.probeAccel([packages]).apply((p) => p.accel) : pulumi.output(forced);
    this.domainType = accel.apply((a) => {
      if (a === "none")
        throw new Error(`server ${srv.config.name}: kvm: neither KVM nor TCG boots a guest here`);
      return a === "kvm" ? "kvm" : "qemu";
    });
    const uri = libvirtUri(srv.config.connection, srv.emulated?.dir);
    // Known only once libvirtd answered (the step has an id): until then, as in a
    // first preview, the provider is not configured and so never connects.
    this.provider = new libvirt.Provider(
      `${name}-libvirt`,
      { uri: this.ready.id.apply(() => uri) },
      { parent: this, dependsOn: [this.ready] },
    );
    const versions = this.ready.stdout.apply((out) => ({
      libvirt: /^libvirt: (.*)$/m.exec(out)?.[1] ?? "unknown",
      qemu: /^qemu: (.*)$/m.exec(out)?.[1] ?? "unknown",
    }));
    this.info = pulumi.all([accel, versions]).apply(([a, v]): PlatformInfo => ({
      type: "kvm" as const,
      managed: true,
      accel: a,
      accelChoice: forced === "auto" ? "probed" : "forced",
      ...v,
    }));
    this.registerOutputs({ info: this.info });
  }
}

/**
 * Where libvirt is reached. A remote server over SSH, authenticated by the
 * Pulumi host's ssh agent; an emulated one with the key made for it and its
 * host key pinned (the provider's own SSH client reads both files,
 * terraform-provider-libvirt libvirt/uri/ssh.go: `keyfile`, `knownhosts`).
 */
export function libvirtUri(c: ServerConfig["connection"], emulatedDir: string | undefined): string {
  if (c.type === "local") return "qemu:///system";
  if (c.type === "ssh") return `qemu+ssh://${c.user}@${c.host}:${c.port}/system`;
  if (!emulatedDir) throw new Error("an emulated server's libvirt needs its directory");
  // Config refuses it: its sshPort would be another server's (the one in front).
  if (c.jump) throw new Error("libvirt's qemu+ssh cannot go through a jump host");
  const q = new URLSearchParams({
    sshauth: "privkey",
    keyfile: `${emulatedDir}/id_ed25519`,
    knownhosts: `${emulatedDir}/known_hosts`,
  });
  return `qemu+ssh://root@127.0.0.1:${c.sshPort}/system?${q.toString()}`;
}
