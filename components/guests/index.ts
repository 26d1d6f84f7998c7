import * as libvirt from "@pulumi/libvirt";
import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig } from "../config";
import { Kvm, Lxc, Platform } from "../platforms";
import { script } from "../scripts";
import { PhysicalServer } from "../server";
import { GuestImage } from "./image";
import { GuestKey } from "./key";
import { KvmGuest } from "./kvm";
import { GuestInfo, LxcGuest } from "./lxc";

export { GuestImage, GuestKey, KvmGuest, LxcGuest };
export type { GuestInfo };

export interface GuestsArgs {
  server: PhysicalServer;
  platform: Platform;
  config: PlatformConfig;
  stack: string;
  /** Built on first use, shared by the server's platforms. */
  image: () => GuestImage;
  key: () => GuestKey;
  /** The next free loopback port for a guest's SSH on this server. */
  nextSshPort: () => number;
}

export type Guest = KvmGuest | LxcGuest;

/** The guests a platform config declares, `count` of each, children of the platform. */
export function createGuests(args: GuestsArgs): Guest[] {
  const { server, platform, config, stack } = args;
  const prefix = `${server.config.name}-${config.type}`;
  const opts = { parent: platform };
  switch (config.type) {
    case "lxc": {
      const lxc = platform as Lxc;
      return config.guests.flatMap((g) =>
        Array.from({ length: g.count }, (_, i) => {
          const image = args.image();
          return new LxcGuest(
            `${prefix}-${g.name}${g.count > 1 ? `-${i}` : ""}`,
            {
              server,
              platform: lxc,
              image,
              stack,
              guest: g.name,
              index: i,
              count: g.count,
              cpuShares: g.cpuShares,
              cpus: g.cpus,
              memoryMiB: g.memoryMiB,
            },
            opts,
          );
        }),
      );
    }
    case "kvm": {
      if (config.guests.length === 0) return [];
      const kvm = platform as Kvm;
      const image = args.image();
      const key = args.key();
      const provider = kvm.provider;
      const poolName = `vtb-${stack.toLowerCase().replace(/[^a-z0-9-]/g, "-")}`;
      const poolDir = `/var/lib/virt-testbed/pools/${poolName}`;
      const pool = new libvirt.Pool(
        `${prefix}-pool`,
        { name: poolName, type: "dir", target: { path: poolDir } },
        { parent: platform, provider },
      );
      const baseName = `base-${image.key}.qcow2`;
      const link = server.command(
        `${prefix}-base`,
        {
          step: `server ${server.config.name}: kvm: base image into pool ${poolName}`,
          create: script(__dirname, "base-link.sh"),
          delete: script(__dirname, "base-unlink.sh"),
          environment: {
            POOL: poolName,
            POOL_DIR: poolDir,
            BASE_NAME: baseName,
            IMAGE_DISK: image.files.disk,
          },
          timeoutSeconds: 600,
        },
        { parent: platform, dependsOn: [pool, image.build] },
      );
      const baseVolume = { name: baseName, pool: pool.name, dependsOn: link };
      return config.guests.flatMap((g) =>
        Array.from(
          { length: g.count },
          (_, i) =>
            new KvmGuest(
              `${prefix}-${g.name}${g.count > 1 ? `-${i}` : ""}`,
              {
                server,
                platform: kvm,
                image,
                baseVolume,
                key,
                stack,
                guest: g.name,
                index: i,
                count: g.count,
                vcpus: g.vcpus,
                memoryMiB: g.memoryMiB,
                disk: g.disk,
                nicModel: g.network.model,
                sshPort: args.nextSshPort(),
                bootAttempts: 120,
              },
              opts,
            ),
        ),
      );
    }
    default:
      // Xen, OpenVZ and VMware guests need real servers; see the README.
      return [];
  }
}

export function guestInfos(guests: Guest[]): pulumi.Output<GuestInfo[]> {
  return pulumi.all(guests.map((g) => g.info)).apply((infos) => infos as GuestInfo[]);
}
