import * as libvirt from "@pulumi/libvirt";
import { stackSlug } from "../../guests/naming";
import { script } from "../../bash";
import { guestResourceName, instancesOf, PlatformKind } from "../kind";
import { KvmGuest } from "./guest";
import { Kvm } from "./platform";

export { Kvm, KvmGuest };

/** Full virtualization under libvirt: the stack's pool, the image's base disk in it, and the guests. */
export const kvm: PlatformKind<"kvm"> = {
  platform: (name, args, opts) => new Kvm(name, args, opts),
  guests(args) {
    const { server, config, stack } = args;
    if (config.guests.length === 0) return [];
    const platform = args.platform as Kvm;
    const prefix = `${server.config.name}-${config.type}`;
    const image = args.image();
    const key = args.key();
    const provider = platform.provider;
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
      instancesOf(args, g).map(
        (e) =>
          new KvmGuest(
            guestResourceName(args, e.instance),
            {
              server,
              platform,
              image,
              baseVolume,
              key,
              stack,
              guest: g.name,
              index: e.index,
              count: e.count,
              vcpus: g.vcpus,
              memoryMiB: g.memoryMiB,
              disk: g.disk,
              nicModel: g.network.model,
              sshPort: e.sshPort!,
              forwards: args.kvmForwards,
              bootTimeoutSeconds: g.bootTimeoutSeconds,
            },
            { parent: platform },
          ),
      ),
    );
  },
};
