import { guestResourceName, instancesOf, PlatformKind } from "../kind";
import { LxcGuest } from "./guest";
import { Lxc } from "./platform";

export { Lxc, LxcGuest };

/** Containers (LXC), each in a network namespace of its own. */
export const lxc: PlatformKind<"lxc"> = {
  platform: (name, args, opts) => new Lxc(name, args, opts),
  guests: (args) =>
    args.config.guests.flatMap((g) =>
      instancesOf(args, g).map(
        (e) =>
          new LxcGuest(
            guestResourceName(args, e.instance),
            {
              server: args.server,
              platform: args.platform as Lxc,
              image: args.image(),
              stack: args.stack,
              guest: g.name,
              index: e.index,
              count: e.count,
              cpuShares: g.cpuShares,
              cpus: g.cpus,
              memoryMiB: g.memoryMiB,
              cpuQuotaPercent: g.cpuQuotaPercent,
            },
            { parent: args.platform },
          ),
      ),
    ),
};
