import * as pulumi from "@pulumi/pulumi";
import { Command } from "../command";
import { packageList, script } from "../scripts";
import { Platform, PlatformArgs, PlatformInfo } from "./platform";

/** LXC system containers: OS-level virtualization, the mainline successor of OpenVZ. */
export class Lxc extends Platform {
  public readonly info: pulumi.Output<PlatformInfo>;
  public readonly ready: Command;

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("Lxc", name, opts);
    const srv = args.server;
    const packages = srv.command(
      `${name}-packages`,
      {
        step: `server ${srv.config.name}: lxc: install packages`,
        create: script(__dirname, "packages-install.sh"),
        delete: script(__dirname, "packages-remove.sh"),
        environment: { PACKAGES: packageList(["lxc", "mmdebstrap"]) },
        timeoutSeconds: 1800,
      },
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
