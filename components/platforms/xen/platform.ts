import * as pulumi from "@pulumi/pulumi";
import { Command } from "../../command";
import { script } from "../../bash";
import { Platform, PlatformArgs, PlatformInfo } from "../platform";

/**
 * The Xen hypervisor and its toolstack: packages, a default boot entry with
 * dom0's memory, a reboot into Xen and a check with `xl info`. Delete removes
 * the boot entry and the packages and reboots back into the plain kernel.
 * Needs a real server: this project's own machines cannot boot Xen.
 */
export class Xen extends Platform {
  public readonly info: pulumi.Output<PlatformInfo>;
  public readonly ready: Command;

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("Xen", name, opts);
    if (args.config.type !== "xen") throw new Error("Xen needs a xen platform config");
    const srv = args.server;
    if (srv.config.connection.type === "local") {
      throw new Error(
        `server ${srv.config.name}: xen: this machine would have to reboot into Xen under its own Pulumi run; reach the server over SSH instead`,
      );
    }
    const cfg = args.config;
    const packages = srv.installPackages(
      `${name}-packages`,
      {
        step: `server ${srv.config.name}: xen: install packages`,
        packages: ["xen-system-amd64", "xen-tools"],
      },
      { parent: this },
    );
    const boot = srv.command(
      `${name}-boot-entry`,
      {
        step: `server ${srv.config.name}: xen: boot entry and reboot`,
        create: script(__dirname, "xen-boot.sh"),
        delete: script(__dirname, "xen-unboot.sh"),
        environment: { DOM0_MEM_MIB: String(cfg.dom0MemoryMiB) },
        timeoutSeconds: 600,
      },
      { parent: this, dependsOn: [packages] },
    );
    // The server is rebooting: keep trying until it is back, running Xen.
    const attempts = Math.ceil((cfg.rebootTimeoutMinutes * 60) / 15);
    this.ready = srv.command(
      `${name}-xl-info`,
      {
        step: `server ${srv.config.name}: xen: wait for the reboot, then xl info`,
        create: "xl info",
        timeoutSeconds: 60,
        attempts,
        retryDelaySeconds: 15,
      },
      { parent: this, dependsOn: [boot] },
    );
    this.info = this.ready.stdout.apply((out): PlatformInfo => ({
      type: "xen" as const,
      managed: true,
      xen: /^xen_version\s*:\s*(.*)$/m.exec(out)?.[1] ?? "unknown",
      dom0MemoryMiB: cfg.dom0MemoryMiB,
    }));
    this.registerOutputs({ info: this.info });
  }
}
