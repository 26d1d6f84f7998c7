import * as pulumi from "@pulumi/pulumi";
import { reportFailure } from "../../failure";
import { Target } from "../../measure/target";
import { Xen } from "./platform";
import { script } from "../../bash";
import { GuestImage } from "../../guests/image";
import { GuestKey } from "../../guests/key";
import { GuestBaseArgs, GuestInfo } from "../kind";
import { guestObjectName, shortId } from "../../guests/naming";
import { bootedCommand, bootedKernel } from "../../guests/booted";

export interface XenGuestArgs extends GuestBaseArgs {
  platform: Xen;
  image: GuestImage;
  key: GuestKey;
  mode: "para" | "hvm";
  vcpus: number;
  memoryMiB: number;
  disk: { sizeGiB: number; bus: string; backing: "file" | "partition"; partition?: string };
  nicModel: "netfront" | "e1000" | "rtl8139";
  /** Static address on the server's guest bridge (10.198.0.0/24). */
  address: string;
  /** Seconds of SSH tries, 5 s apart, before the guest counts as failed. */
  bootTimeoutSeconds: number;
}

/**
 * A Xen guest, para- or fully virtualized, driven by xl on the server (the
 * toolstack the 2006 and 2009 papers used, as xm), on the server's guest
 * bridge, reached through the server.
 */
export class XenGuest extends pulumi.ComponentResource {
  public readonly info: pulumi.Output<GuestInfo>;
  public readonly objectName: string;
  public readonly target: Target;

  constructor(name: string, args: XenGuestArgs, opts?: pulumi.ComponentResourceOptions) {
    super("testbed:guest:XenGuest", name, {}, opts);
    const n = guestObjectName(args.stack, args.guest, args.index, args.count);
    this.objectName = n;
    const id = shortId(n);
    const domain = args.server.hostCommand(
      `${name}-domain`,
      {
        step: `server ${args.server.config.name}: xen guest ${n}`,
        create: script(__dirname, "xen-create.sh"),
        delete: script(__dirname, "xen-destroy.sh"),
        environment: {
          NAME: n,
          MODE: args.mode === "para" ? "pv" : "hvm",
          VCPUS: String(args.vcpus),
          MEM_MIB: String(args.memoryMiB),
          DISK_BACKING: args.disk.backing,
          PARTITION: args.disk.partition ?? "",
          SIZE_GIB: String(Math.max(args.disk.sizeGiB, 4)),
          DISK_BUS: args.disk.bus,
          BASE: args.image.files.disk,
          KERNEL: args.image.files.kernel,
          INITRD: args.image.files.initrd,
          NIC_MODEL: args.nicModel,
          MAC: `00:16:3e:${id.slice(0, 2)}:${id.slice(2, 4)}:${id.slice(4, 6)}`,
          GUEST_IP: args.address,
          SSH_KEY_B64: args.key.publicKey.apply((k) => Buffer.from(k).toString("base64")),
          // It waits for the host lock as long as a package install would.
          VTB_PACKAGE_LOCK_TIMEOUT: String(args.server.config.packageLockTimeoutSeconds),
        },
        timeoutSeconds: args.server.config.packageLockTimeoutSeconds + 600,
      },
      { parent: this, dependsOn: [args.platform.ready, args.image.build] },
    );
    const connection = args.server.guestConnection(args.address, 22, args.key.privateKey);
    const ssh = bootedCommand(
      `${name}-ssh`,
      {
        what: `server ${args.server.config.name}: xen guest ${n}`,
        connection,
        bootTimeoutSeconds: args.bootTimeoutSeconds,
      },
      { parent: this, dependsOn: [domain] },
    );
    this.info = pulumi
      .all([ssh.stdout, ssh.durationSeconds])
      .apply(([out, seconds]): GuestInfo => ({
        kind: "xen",
        name: n,
        mode: args.mode,
        vcpus: args.vcpus,
        memoryMiB: args.memoryMiB,
        disk: { ...args.disk },
        nic: args.nicModel,
        address: args.address,
        kernel: bootedKernel(out),
        bootToSshSeconds: Math.round(seconds * 10) / 10,
      }));
    this.target = {
      server: args.server.config.name,
      platform: "xen",
      guest: n,
      connection,
      ready: [ssh],
      failure: ssh.failure.apply((f) => {
        if (f) reportFailure(f, this);
        return f ?? "";
      }),
      info: this.info,
      pause: { via: "xen", name: n },
      // The server reaches the guest on its bridge: servers bind there, clients connect there.
      peer: {
        way: { via: "ssh", host: args.address, port: 22, privateKey: args.key.privateKey },
        bind: args.address,
        connect: (port) => ({ host: args.address, port }),
      },
    };
    this.registerOutputs({ info: this.info });
  }
}
