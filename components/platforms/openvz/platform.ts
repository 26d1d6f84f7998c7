import * as pulumi from "@pulumi/pulumi";
import { Command } from "../../command";
import { Platform, PlatformArgs, PlatformInfo } from "../platform";

/**
 * OpenVZ/Virtuozzo on a host that already runs its kernel (vzctl): nothing
 * is installed, since no current distribution ships that kernel.
 */
export class OpenVz extends Platform {
  public readonly info: pulumi.Output<PlatformInfo>;
  public readonly ready: Command;

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("OpenVz", name, opts);
    const srv = args.server;
    this.ready = srv.command(
      `${name}-check`,
      {
        step: `server ${srv.config.name}: openvz: check vzctl`,
        create:
          'command -v vzctl >/dev/null || { echo "vzctl not found: this server does not run OpenVZ" >&2; exit 1; }\necho "vzctl: $(vzctl --version 2>&1 | head -n1)"',
        timeoutSeconds: 60,
      },
      { parent: this },
    );
    this.info = this.ready.stdout.apply((out): PlatformInfo => ({
      type: "openvz" as const,
      managed: false,
      vzctl: /^vzctl: (.*)$/m.exec(out)?.[1] ?? "unknown",
    }));
    this.registerOutputs({ info: this.info });
  }
}
