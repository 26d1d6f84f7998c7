import * as libvirt from "@pulumi/libvirt";
import * as pulumi from "@pulumi/pulumi";
import { reportFailure } from "../../failure";
import { Command } from "../../command";
import { script } from "../../bash";
import { Target } from "../../measure/target";
import { Kvm } from "./platform";
import { domainXslt, DomainXsltArgs, qemuNicDevice } from "./domain-xslt";
import { GuestImage } from "../../guests/image";
import { GuestKey } from "../../guests/key";
import { GuestBaseArgs, GuestInfo } from "../kind";
import { guestObjectName, shortId } from "../../guests/naming";
import { forwardPorts } from "../../guests/plan";
import { bootedCommand, bootedKernel, bootedSysctls, sysctlReport } from "../../guests/booted";

/**
 * Set on the guest kernel's command line (`sysctl.` boot parameters) and read
 * back once it has booted (its info's `sysctls`). No TIME_WAIT in the guest:
 * every connection to it comes through QEMU's slirp, whose SYNs carry no
 * timestamps and whose initial sequence numbers are a counter (64,000 more
 * per connection), and the guest's clock stands still while the interleaving
 * pauses it, so its TIME_WAITs outlived the ~33,500 connections after which
 * that counter looks old. SYNs reusing such a port went unanswered until
 * slirp sent them again 6 s later: ab trials stalled or failed. None with
 * this (docs/measurement.md, "Known limits").
 */
const guestSysctls = { "net.ipv4.tcp_max_tw_buckets": "0" } as const;
const sysctlParams = Object.fromEntries(
  Object.entries(guestSysctls).map(([k, v]) => [`sysctl.${k}`, v]),
);

export interface KvmGuestArgs extends GuestBaseArgs {
  platform: Kvm;
  image: GuestImage;
  /** The base disk in the stack's pool that every guest disk is a copy-on-write layer of. */
  baseVolume: { name: string; pool: pulumi.Input<string>; dependsOn: pulumi.Resource };
  key: GuestKey;
  vcpus: number;
  memoryMiB: number;
  disk: {
    sizeGiB: number;
    bus: DomainXsltArgs["diskBus"];
    backing: "file" | "partition";
    partition?: string;
  };
  nicModel: DomainXsltArgs["nicModel"];
  /** Guest port 22 is forwarded to this port on the server's 127.0.0.1. */
  sshPort: number;
  /** Guest ports forwarded besides SSH (the pair benchmarks' servers') -> offset from sshPort (kvmForwards). */
  forwards: Record<number, number>;
  /** Seconds of SSH tries, 5 s apart, before the guest counts as failed. */
  bootTimeoutSeconds: number;
}

/**
 * A full-virtualization guest under libvirt: a copy-on-write disk over the
 * image (or a whole partition), direct kernel boot, and SSH on a port that
 * only 127.0.0.1 of its server can reach. Up when SSH answers.
 */
export class KvmGuest extends pulumi.ComponentResource {
  public readonly info: pulumi.Output<GuestInfo>;
  public readonly domain: libvirt.Domain;
  public readonly ssh: Command;
  public readonly objectName: string;
  public readonly target: Target;

  constructor(name: string, args: KvmGuestArgs, opts?: pulumi.ComponentResourceOptions) {
    super("testbed:guest:KvmGuest", name, {}, opts);
    const n = guestObjectName(args.stack, args.guest, args.index, args.count);
    this.objectName = n;
    const provider = args.platform.provider;
    const id = shortId(n);
    const disks: libvirt.types.input.DomainDisk[] = [];
    if (args.disk.backing === "partition") {
      disks.push({ blockDevice: args.disk.partition });
    } else {
      const volume = new libvirt.Volume(
        `${name}-disk`,
        {
          name: `${n}.qcow2`,
          pool: args.baseVolume.pool,
          baseVolumeName: args.baseVolume.name,
          baseVolumePool: args.baseVolume.pool,
          format: "qcow2",
          size: Math.max(args.disk.sizeGiB, 4) * 2 ** 30,
        },
        { parent: this, provider, dependsOn: [args.baseVolume.dependsOn] },
      );
      disks.push({ volumeId: volume.id });
    }
    const mac = `52:54:00:${id.slice(0, 2)}:${id.slice(2, 4)}:${id.slice(4, 6)}`;
    // Its loopback ports are this stack's before QEMU listens on them.
    const forwarded = forwardPorts(args.sshPort, args.forwards);
    const ports = [args.sshPort, ...Object.values(forwarded)];
    const claim = args.server.hostCommand(
      `${name}-ports`,
      {
        step: `server ${args.server.config.name}: kvm guest ${n}: claim loopback ports ${ports.join(", ")}`,
        create: script(__dirname, "kvm-ports-claim.sh"),
        delete: script(__dirname, "kvm-ports-release.sh"),
        environment: { PORTS: ports.join(" "), DOMAIN: n },
        timeoutSeconds: 120,
      },
      { parent: this, dependsOn: [args.server.workspace] },
    );
    // Both made now, so a bad value fails the preview, not inside an apply.
    const xsltArgs = {
      sshPort: args.sshPort,
      forwards: forwarded,
      nicModel: args.nicModel,
      diskBus: args.disk.bus,
      consoleLog: `/var/log/libvirt/qemu/${n}-console.log`,
      mac,
    };
    const xslt = {
      kvm: domainXslt({ ...xsltArgs, domainType: "kvm" }),
      qemu: domainXslt({ ...xsltArgs, domainType: "qemu" }),
    };
    this.domain = new libvirt.Domain(
      `${name}-domain`,
      {
        name: n,
        type: args.platform.domainType,
        vcpu: args.vcpus,
        memory: args.memoryMiB,
        kernel: args.image.files.kernel,
        initrd: args.image.files.initrd,
        cmdlines: [
          args.key.publicKey.apply((pub) => ({
            root: "LABEL=vtbroot",
            console: "ttyS0",
            "vtb.ssh_key": Buffer.from(pub).toString("base64"),
            ...sysctlParams,
          })),
        ],
        disks,
        running: true,
        autostart: false,
        qemuAgent: false,
        xml: { xslt: args.platform.domainType.apply((t) => xslt[t]) },
      },
      { parent: this, provider, dependsOn: [claim] },
    );
    // On a remote server the forwarded port is on its loopback: go through the server.
    const connection = args.server.guestConnection("127.0.0.1", args.sshPort, args.key.privateKey);
    this.ssh = bootedCommand(
      `${name}-ssh`,
      {
        what: `server ${args.server.config.name}: kvm guest ${n}`,
        connection,
        bootTimeoutSeconds: args.bootTimeoutSeconds,
        report: `echo "cpus: $(nproc)"; echo "memory: $(grep MemTotal /proc/meminfo)"; ${sysctlReport(Object.keys(guestSysctls))}`,
        // A replaced domain is a new guest: wait for it and read it again.
        triggers: [this.domain.id],
      },
      { parent: this, dependsOn: [this.domain] },
    );
    this.info = pulumi
      .all([this.ssh.stdout, this.ssh.durationSeconds, args.platform.domainType])
      .apply(([out, seconds, type]): GuestInfo => ({
        kind: "kvm",
        name: n,
        domainType: type,
        vcpus: args.vcpus,
        memoryMiB: args.memoryMiB,
        disk: { ...args.disk },
        nic: args.nicModel,
        nicDevice: qemuNicDevice(args.nicModel, type),
        ssh: `root@127.0.0.1:${args.sshPort}`,
        kernel: bootedKernel(out),
        sysctls: bootedSysctls(out),
        bootToSshSeconds: Math.round(seconds * 10) / 10,
      }));
    this.target = {
      server: args.server.config.name,
      platform: "kvm",
      guest: n,
      connection,
      ready: [this.ssh],
      failure: this.ssh.failure.apply((f) => {
        if (f) reportFailure(f, this);
        return f ?? "";
      }),
      info: this.info,
      pause: { via: "libvirt", name: n },
      peer: {
        way: { via: "ssh", host: "127.0.0.1", port: args.sshPort, privateKey: args.key.privateKey },
        // QEMU user networking gives the guest this address; forwards lead to it.
        bind: "10.0.2.15",
        connect: (port) => {
          const at = forwarded[port];
          if (at === undefined) throw new Error(`guest ${n}: port ${port} is not forwarded`);
          return { host: "127.0.0.1", port: at };
        },
      },
      // QEMU user networking's alias for the host's loopback.
      hostLoopback: "10.0.2.2",
    };
    this.registerOutputs({ info: this.info });
  }
}
