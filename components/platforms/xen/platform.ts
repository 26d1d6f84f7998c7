import * as pulumi from "@pulumi/pulumi";
import { Command } from "../../command";
import { script } from "../../bash";
import { Platform, PlatformArgs, PlatformInfo } from "../platform";

/**
 * The Xen hypervisor and its toolstack: packages, a default boot entry with
 * dom0's memory, a reboot into Xen and a check with `xl info`. Delete removes
 * the boot entry and the packages, then reboots back into the plain kernel and
 * waits for it. Needs a server reached over SSH: a real one, or one the
 * project emulates (components/server/emulated), where it has run.
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
    const rebootSeconds = cfg.rebootTimeoutMinutes * 60;
    // A server that does not come back says where to look: an emulated one's console is here.
    const console = srv.emulated ? ` (its console: ${srv.emulated.dir}/console.log)` : "";
    const upTo = `up to ${cfg.rebootTimeoutMinutes} min (rebootTimeoutMinutes)`;
    // Made first, deleted last: once the packages are purged, it reboots the
    // server out of Xen and waits until it is back on its plain kernel.
    const back = srv.command(
      `${name}-return`,
      {
        step: `server ${srv.config.name}: xen: the way back to the plain kernel, waiting ${upTo} for its reboot${console}`,
        create:
          'if grep -qs control_d /proc/xen/capabilities && [ ! -e /etc/default/grub.d/virt-testbed-xen.cfg ]; then echo "before: xen"; else echo "before: plain"; fi; echo "kernel: $(uname -r)"',
        delete: script(__dirname, "xen-return.sh"),
        timeoutSeconds: 600,
        deleteRetryForSeconds: rebootSeconds,
        retryDelaySeconds: 15,
      },
      { parent: this },
    );
    srv.wayBack = back;
    // xl and its disk and network backends: qemu-system-xen serves qcow2 disks
    // (qdisk), qemu-utils makes them (xen-create.sh).
    const packages = srv.installPackages(
      `${name}-packages`,
      {
        step: `server ${srv.config.name}: xen: install packages`,
        packages: ["xen-system-amd64", "qemu-system-xen", "qemu-utils"],
      },
      { parent: this, dependsOn: [back] },
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
      // Every step made on the server so far is done before it reboots, and
      // then bare metal measured on the plain kernel.
      { parent: this, dependsOn: srv.beforeReboot([...new Set([packages, ...srv.made])]) },
    );
    // The server is rebooting: keep trying until it is back, running Xen.
    this.ready = srv.command(
      `${name}-xl-info`,
      {
        step: `server ${srv.config.name}: xen: wait ${upTo} for the reboot into Xen, then xl info${console}`,
        create: "xl info",
        timeoutSeconds: 60,
        retryForSeconds: rebootSeconds,
        retryDelaySeconds: 15,
      },
      { parent: this, dependsOn: [boot] },
    );
    srv.rebooted = this.ready;
    this.info = this.ready.stdout.apply((out): PlatformInfo => ({
      type: "xen" as const,
      managed: true,
      xen: /^xen_version\s*:\s*(.*)$/m.exec(out)?.[1] ?? "unknown",
      dom0MemoryMiB: cfg.dom0MemoryMiB,
    }));
    this.registerOutputs({ info: this.info });
  }
}
