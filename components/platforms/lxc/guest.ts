import * as pulumi from "@pulumi/pulumi";
import { Command } from "../../command";
import { Target } from "../../measure/target";
import { Lxc } from "./platform";
import { script } from "../../bash";
import { GuestImage } from "../../guests/image";
import { guestObjectName, shortId } from "../../guests/naming";
import { GuestBaseArgs, GuestInfo } from "../kind";

export interface LxcGuestArgs extends GuestBaseArgs {
  platform: Lxc;
  image: GuestImage;
  cpuShares: number;
  cpus?: string;
  memoryMiB?: number;
  /** A CFS quota in percent of one CPU (cpu.max); default none. */
  cpuQuotaPercent?: number;
}

const lxcpath = "/var/lib/virt-testbed/lxc";

/** "cpu.max: 95000 100000" of lxc-create.sh's output (printed only for a container with a quota). */
const cpuMaxOf = (out: string): { cpuMax?: string } => {
  const m = /^cpu\.max: (.*)$/m.exec(out);
  return m ? { cpuMax: m[1] } : {};
};

/** One LXC system container with CPU share, CPU quota and memory limits. */
export class LxcGuest extends pulumi.ComponentResource {
  public readonly info: pulumi.Output<GuestInfo>;
  public readonly container: Command;
  public readonly objectName: string;
  public readonly target: Target;

  constructor(name: string, args: LxcGuestArgs, opts?: pulumi.ComponentResourceOptions) {
    super("testbed:guest:LxcContainer", name, {}, opts);
    const n = guestObjectName(args.stack, args.guest, args.index, args.count);
    this.objectName = n;
    const id = shortId(n);
    const env = {
      NAME: n,
      LXCPATH: lxcpath,
      ROOTFS: args.image.files.rootfs,
      NETNS: `vtb-${id}`,
      VETH_CT: `vtbc${id}`,
      VETH_NS: `vtbh${id}`,
      CPU_SHARES: String(args.cpuShares),
      CPUSET: args.cpus ?? "",
      CPU_QUOTA_PERCENT: args.cpuQuotaPercent === undefined ? "" : String(args.cpuQuotaPercent),
      MEM_MIB: args.memoryMiB === undefined ? "" : String(args.memoryMiB),
    };
    this.container = args.server.hostCommand(
      `${name}-container`,
      {
        step: `server ${args.server.config.name}: lxc guest ${n}`,
        create: script(__dirname, "lxc-create.sh"),
        delete: script(__dirname, "lxc-destroy.sh"),
        environment: env,
        timeoutSeconds: 180,
      },
      { parent: this, dependsOn: [args.platform.ready, args.image.build] },
    );
    this.info = this.container.stdout.apply((out): GuestInfo => ({
      kind: "lxc",
      name: n,
      netns: env.NETNS,
      address: /^address: (.*)$/m.exec(out)?.[1] ?? "",
      systemd: /^systemd: (.*)$/m.exec(out)?.[1] ?? "",
      cpuShares: args.cpuShares,
      cpus: args.cpus ?? "all",
      cpuQuotaPercent: args.cpuQuotaPercent ?? "unlimited",
      // The kernel's own reading of the container's quota, read back after start.
      ...cpuMaxOf(out),
      memoryMiB: args.memoryMiB ?? "unlimited",
    }));
    this.target = {
      server: args.server.config.name,
      platform: "lxc",
      guest: n,
      connection: args.server.connection,
      enter: { kind: "lxc", name: n, lxcpath },
      pause: { via: "lxc", name: n, lxcpath },
      ready: [this.container],
      info: this.info,
      peer: {
        way: { via: "lxc", name: n, lxcpath },
        bind: "10.199.0.2",
        connect: (port) => ({ host: "10.199.0.2", port }),
        netns: env.NETNS,
      },
    };
    this.registerOutputs({ info: this.info });
  }
}
