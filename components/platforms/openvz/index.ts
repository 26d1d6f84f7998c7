import { guestResourceName, instancesOf, PlatformKind } from "../kind";
import { OpenVzGuest } from "./guest";
import { OpenVz } from "./platform";

export { OpenVz, OpenVzGuest };

/** OpenVZ containers, on a host that already runs its kernel. */
export const openvz: PlatformKind<"openvz"> = {
  platform: (name, args, opts) => new OpenVz(name, args, opts),
  guests: (args) =>
    args.config.guests.flatMap((g) =>
      instancesOf(args, g).map(
        (e) =>
          new OpenVzGuest(
            guestResourceName(args, e.instance),
            {
              server: args.server,
              platform: args.platform as OpenVz,
              stack: args.stack,
              guest: g.name,
              index: e.index,
              count: e.count,
              // Default CTIDs follow the server-wide ordinal, so they never clash by themselves.
              ctid: e.ctid!,
              template: args.config.template,
              cpuUnits: g.cpuShares,
              cpus: g.cpus,
              memoryMiB: g.memoryMiB,
              address: e.address!,
            },
            { parent: args.platform },
          ),
      ),
    ),
};
