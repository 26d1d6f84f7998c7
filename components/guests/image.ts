import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { Command } from "../command";
import { packageList, script } from "../bash";
import { PhysicalServer } from "../server";
import { hostStateScript } from "../server/host-state";

/** What every guest image carries: an init, SSH, a kernel, and the benchmark tools. */
export const imagePackages = [
  "linux-image-cloud-amd64",
  "initramfs-tools",
  "systemd-sysv",
  "udev",
  "dbus",
  "openssh-server",
  "iproute2",
  "procps",
  "netbase",
  "ca-certificates",
  "e2fsprogs",
  "bonnie++",
  "iperf",
  "iperf3",
  "openssl",
];

export interface GuestImageArgs {
  server: PhysicalServer;
  suite?: string;
  packages?: string[];
}

export interface ImageFiles {
  image: string;
  rootfs: string;
  disk: string;
  kernel: string;
  initrd: string;
  built: string;
}

const imageScript = script(__dirname, "image-build.sh");

/**
 * A Debian root filesystem (for containers) and VM disk, kernel and initrd,
 * built on the server with mmdebstrap and cached there by content: the same
 * suite, packages and build script give the same cache entry, so a second
 * `up` (or another stack) does not rebuild it. The cache outlives destroy.
 */
export class GuestImage extends pulumi.ComponentResource {
  public readonly files: pulumi.Output<ImageFiles>;
  public readonly key: string;
  public readonly build: Command;
  /** For an emulated server: the build on this machine, the emulated server's host, before it is copied in. */
  public readonly builtHere?: Command;

  constructor(name: string, args: GuestImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("testbed:guest:Image", name, {}, opts);
    const suite = args.suite ?? "bookworm";
    if (!/^[a-z]+$/.test(suite)) throw new Error(`not a Debian suite name: ${suite}`);
    const packages = packageList([...(args.packages ?? imagePackages)].sort());
    this.key = crypto
      .createHash("sha256")
      .update([suite, packages, imageScript].join("\n"))
      .digest("hex")
      .slice(0, 16);
    const environment = {
      IMAGE_DIR: `/var/cache/virt-testbed/images/${this.key}`,
      SUITE: suite,
      PACKAGES: packages,
    };
    // An emulated server gets the image built here, copied in: the same key,
    // built in minutes, not in the better part of an hour under TCG.
    const emulated = args.server.emulated;
    this.builtHere = emulated
      ? new Command(
          `${name}-build-here`,
          {
            step: `server ${args.server.config.name}: build guest image ${this.key} on this machine`,
            prelude: hostStateScript,
            create: imageScript,
            environment,
            timeoutSeconds: 3600,
          },
          { parent: this },
        )
      : undefined;
    const seeded =
      emulated && this.builtHere
        ? [
            emulated.seedImage(
              `${name}-seed`,
              this.builtHere,
              args.server.rebooted ? [args.server.rebooted] : [],
              { parent: this },
            ),
          ]
        : [];
    // The build's own tools, wherever it runs: a remote server has none of
    // them. A seeded server finds its image complete and needs none.
    const tools = emulated
      ? seeded
      : [
          args.server.installPackages(
            `${name}-tools`,
            {
              step: `server ${args.server.config.name}: guest image tools`,
              packages: ["mmdebstrap", "e2fsprogs", "qemu-utils"],
            },
            { parent: this },
          ),
        ];
    this.build = args.server.command(
      `${name}-build`,
      {
        step: `server ${args.server.config.name}: build guest image ${this.key}`,
        // vtb_cache_entry: the cache directory, its lock.
        prelude: hostStateScript,
        create: imageScript,
        environment,
        timeoutSeconds: 3600,
      },
      { parent: this, dependsOn: tools },
    );
    this.files = this.build.stdout.apply((out) => {
      const get = (k: string) => {
        const m = new RegExp(`^${k}: (.*)$`, "m").exec(out);
        if (!m) throw new Error(`guest image ${this.key}: no '${k}' in the build output`);
        return m[1];
      };
      return {
        image: get("image"),
        rootfs: get("rootfs"),
        disk: get("disk"),
        kernel: get("kernel"),
        initrd: get("initrd"),
        built: get("built"),
      };
    });
    this.registerOutputs({ files: this.files });
  }
}
