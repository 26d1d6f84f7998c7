import * as pulumi from "@pulumi/pulumi";
import { reachedAtAddress } from "../../measure/reach";
import { Target } from "../../measure/target";
import { PhysicalServer } from "../../server";
import { Platform, PlatformArgs, PlatformInfo } from "../platform";

/** Bare metal: nothing installed. The reference every comparison is made against. */
export class Baseline extends Platform {
  public readonly info: pulumi.Output<PlatformInfo>;
  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("Baseline", name, opts);
    // A server that a platform reboots (Xen; made first, components/testbed.ts)
    // has its bare metal measured before, on the plain kernel, in runs of its own.
    const info: PlatformInfo = {
      type: "baseline" as const,
      managed: true,
      ...(args.server.rebooted
        ? {
            measuredIn:
              "the plain kernel, before the reboot into Xen: runs of their own, not interleaved with the guests' (benchmarks between named targets, pairs: in dom0, after it)",
          }
        : {}),
    };
    this.info = pulumi.output(info).apply((v) => v as PlatformInfo);
    this.registerOutputs({ info: this.info });
  }
}

/**
 * The server's own host as a target: bare metal's, and a pair's client or
 * server (also where bare metal is not measured). Up once `ready` is, the
 * step that installs the benchmarks' tools there.
 */
export function hostTarget(srv: PhysicalServer, ready: pulumi.Resource): Target {
  const c = srv.config.connection;
  return {
    server: srv.config.name,
    platform: "baseline",
    guest: "host",
    connection: srv.connection,
    ready: [ready],
    info: srv.facts,
    peer: {
      way: { via: "host" },
      bind: "127.0.0.1",
      connect: (port) => ({ host: "127.0.0.1", port }),
    },
    // Another server reaches it at its SSH address, with its key.
    ...(c.type === "ssh" && reachedAtAddress(c) && srv.connection
      ? {
          remote: {
            address: c.host,
            way: {
              via: "ssh" as const,
              host: c.host,
              port: c.port,
              user: c.user,
              privateKey: srv.connection.privateKey,
            },
          },
        }
      : {}),
  };
}
