import { guestResourceName, instancesOf, PlatformKind } from "../kind";
import { XenGuest } from "./guest";
import { Xen } from "./platform";

export { Xen, XenGuest };

/** Xen: dom0 booted from its own boot entry, para or hvm guests under xl. */
export const xen: PlatformKind<"xen"> = {
  platform: (name, args, opts) => new Xen(name, args, opts),
  rebootsServer: true,
  guests(args) {
    if (args.config.guests.length === 0) return [];
    const image = args.image();
    const key = args.key();
    return args.config.guests.flatMap((g) =>
      instancesOf(args, g).map(
        (e) =>
          new XenGuest(
            guestResourceName(args, e.instance),
            {
              server: args.server,
              platform: args.platform as Xen,
              image,
              key,
              stack: args.stack,
              guest: g.name,
              index: e.index,
              count: e.count,
              mode: g.mode,
              vcpus: g.vcpus,
              memoryMiB: g.memoryMiB,
              disk: g.disk,
              nicModel: g.network.model,
              address: e.address!,
              bootTimeoutSeconds: g.bootTimeoutSeconds,
            },
            { parent: args.platform },
          ),
      ),
    );
  },
};
