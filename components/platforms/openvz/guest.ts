import * as pulumi from "@pulumi/pulumi";
import { Target } from "../../measure/target";
import { OpenVz } from "./platform";
import { script } from "../../bash";
import { GuestBaseArgs, GuestInfo } from "../kind";
import { guestObjectName } from "../../guests/naming";

export interface OpenVzGuestArgs extends GuestBaseArgs {
  platform: OpenVz;
  ctid: number;
  template: string;
  cpuUnits: number;
  cpus?: string;
  memoryMiB?: number;
  address: string;
}

/** An OpenVZ container made with vzctl. Needs an OpenVZ host: not run on this project's machines. */
export class OpenVzGuest extends pulumi.ComponentResource {
  public readonly info: pulumi.Output<GuestInfo>;
  public readonly objectName: string;
  public readonly target: Target;

  constructor(name: string, args: OpenVzGuestArgs, opts?: pulumi.ComponentResourceOptions) {
    super("testbed:guest:OpenVzContainer", name, {}, opts);
    const n = guestObjectName(args.stack, args.guest, args.index, args.count);
    this.objectName = n;
    const ct = args.server.hostCommand(
      `${name}-container`,
      {
        step: `server ${args.server.config.name}: openvz guest ${n} (CTID ${args.ctid})`,
        create: script(__dirname, "openvz-create.sh"),
        delete: script(__dirname, "openvz-destroy.sh"),
        environment: {
          CTID: String(args.ctid),
          NAME: n,
          TEMPLATE: args.template,
          CPU_UNITS: String(args.cpuUnits),
          CPUS: args.cpus ?? "",
          MEM_MIB: args.memoryMiB === undefined ? "" : String(args.memoryMiB),
          CT_IP: args.address,
        },
        timeoutSeconds: 900,
      },
      { parent: this, dependsOn: [args.platform.ready] },
    );
    this.info = ct.stdout.apply((): GuestInfo => ({
      kind: "openvz",
      name: n,
      ctid: args.ctid,
      address: args.address,
      cpuUnits: args.cpuUnits,
      memoryMiB: args.memoryMiB ?? "unlimited",
    }));
    this.target = {
      server: args.server.config.name,
      platform: "openvz",
      guest: n,
      connection: args.server.connection,
      enter: { kind: "openvz", ctid: args.ctid },
      pause: { via: "openvz", ctid: args.ctid },
      ready: [ct],
      info: this.info,
      // The container's venet address is routed from its server: servers bind there, clients connect there.
      peer: {
        way: { via: "openvz", ctid: args.ctid },
        bind: args.address,
        connect: (port) => ({ host: args.address, port }),
      },
    };
    this.registerOutputs({ info: this.info });
  }
}
