import * as pulumi from "@pulumi/pulumi";
import { Command } from "../../command";
import { script } from "../../bash";
import { Platform, PlatformArgs, PlatformInfo } from "../platform";

/** LXC system containers: OS-level virtualization, the mainline successor of OpenVZ. */
export class Lxc extends Platform {
  public readonly info: pulumi.Output<PlatformInfo>;
  public readonly ready: Command;

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("Lxc", name, opts);
    const srv = args.server;
    const packages = srv.installPackages(
      `${name}-packages`,
      { step: `server ${srv.config.name}: lxc: install packages`, packages: ["lxc", "mmdebstrap"] },
      { parent: this },
    );
    this.ready = srv.command(
      `${name}-check`,
      {
        step: `server ${srv.config.name}: lxc: check`,
        create: script(__dirname, "lxc-check.sh"),
        timeoutSeconds: 60,
      },
      { parent: this, dependsOn: [packages] },
    );
    this.info = this.ready.stdout.apply((out): PlatformInfo => ({
      type: "lxc" as const,
      managed: true,
      lxc: /^lxc: (.*)$/m.exec(out)?.[1] ?? "unknown",
      cgroups: /^cgroups: (.*)$/m.exec(out)?.[1] ?? "unknown",
    }));
    this.registerOutputs({ info: this.info });
  }
}
