import * as pulumi from "@pulumi/pulumi";
import { reachedAtAddress } from "../../measure/reach";
import { guestResourceName, PlatformKind } from "../kind";
import { VmwareGuest } from "./guest";
import { Vmware } from "./platform";

export { Vmware, VmwareGuest };

/** Existing VMware guests, reached over SSH: nothing installed, nothing made. */
export const vmware: PlatformKind<"vmware"> = {
  platform: (name, args, opts) => new Vmware(name, args, opts),
  guests: (args) =>
    args.config.guests.map((g) => {
      const c = g.connection;
      return new VmwareGuest(
        guestResourceName(args, g.name),
        {
          serverName: args.server.config.name,
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
          pairServer: reachedAtAddress(c) ? c : undefined,
          noPeer: c.jump
            ? "which its server cannot be assumed to reach: this machine reaches it through a jump host; reach it directly at an IPv4 address"
            : "which its server reaches only at an IPv4 address: set the guest's connection.host to one",
        },
        { parent: args.platform },
      );
    }),
};
