import * as libvirt from "@pulumi/libvirt";
import * as pulumi from "@pulumi/pulumi";
import { isIpv4 } from "../../benchmarks/types";
import { PlatformConfig } from "../config";
import { Kvm, Lxc, OpenVz, Platform, Xen } from "../platforms";
import { script } from "../scripts";
import { PhysicalServer } from "../server";
import { GuestImage, imagePackages } from "./image";
import { GuestKey } from "./key";
import { KvmGuest } from "./kvm";
import { stackSlug } from "./naming";
import { GuestInfo, LxcGuest } from "./lxc";
import { OpenVzGuest } from "./openvz";
import { VmwareGuest } from "./vmware";
import { XenGuest } from "./xen";

export {
  GuestImage,
  imagePackages,
  GuestKey,
  KvmGuest,
  LxcGuest,
  OpenVzGuest,
  VmwareGuest,
  XenGuest,
};
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
  /** KVM guests' forwards besides SSH: guest port -> offset from its SSH port (kvmForwards). */
  kvmForwards: Record<number, number>;
  /** The next guest number on this server, for addresses and container ids. */
  nextOrdinal: () => number;
  /** SSH private keys by name (for existing VMware guests). */
  sshKeys: pulumi.Output<Record<string, string>>;
}

export type Guest = KvmGuest | LxcGuest | XenGuest | OpenVzGuest | VmwareGuest;

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
      const poolName = `vtb-${stackSlug(stack)}`;
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
                forwards: args.kvmForwards,
                // An attempt is a connect (up to 10 s) and a 5 s pause.
                bootAttempts: Math.max(1, Math.ceil(g.bootTimeoutSeconds / 15)),
              },
              opts,
            ),
        ),
      );
    }
    case "xen": {
      if (config.guests.length === 0) return [];
      const image = args.image();
      const key = args.key();
      return config.guests.flatMap((g) =>
        Array.from(
          { length: g.count },
          (_, i) =>
            new XenGuest(
              `${prefix}-${g.name}${g.count > 1 ? `-${i}` : ""}`,
              {
                server,
                platform: platform as Xen,
                image,
                key,
                stack,
                guest: g.name,
                index: i,
                count: g.count,
                mode: g.mode,
                vcpus: g.vcpus,
                memoryMiB: g.memoryMiB,
                disk: g.disk,
                nicModel: g.network.model,
                address: `10.198.0.${10 + args.nextOrdinal()}`,
              },
              opts,
            ),
        ),
      );
    }
    case "openvz":
      return config.guests.flatMap((g) =>
        Array.from({ length: g.count }, (_, i) => {
          const ordinal = args.nextOrdinal();
          return new OpenVzGuest(
            `${prefix}-${g.name}${g.count > 1 ? `-${i}` : ""}`,
            {
              server,
              platform: platform as OpenVz,
              stack,
              guest: g.name,
              index: i,
              count: g.count,
              // Default CTIDs follow the server-wide ordinal, so they never clash by themselves.
              ctid: g.ctid === undefined ? 1000 + ordinal : g.ctid + i,
              template: config.template,
              cpuUnits: g.cpuShares,
              cpus: g.cpus,
              memoryMiB: g.memoryMiB,
              address: `10.197.0.${10 + ordinal}`,
            },
            opts,
          );
        }),
      );
    case "vmware":
      return config.guests.map((g) => {
        const c = g.connection;
        return new VmwareGuest(
          `${prefix}-${g.name}`,
          {
            serverName: server.config.name,
            guest: g.name,
            connection: {
              host: c.host,
              port: c.port,
              user: c.user,
              privateKey: pulumi.secret(args.sshKeys.apply((k) => k[g.name])),
              connectTimeoutSeconds: c.connectTimeoutSeconds,
              ...(c.jump ? { jump: c.jump } : {}),
            },
            // Without a jump host, the guest's server is taken to reach it where this machine does.
            pairServer: !c.jump && isIpv4(c.host) ? c : undefined,
          },
          opts,
        );
      });
    case "baseline":
      return [];
  }
}

export function guestInfos(guests: Guest[]): pulumi.Output<GuestInfo[]> {
  return pulumi.all(guests.map((g) => g.info)).apply((infos) => infos as GuestInfo[]);
}
