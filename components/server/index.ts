import * as pulumi from "@pulumi/pulumi";
import * as crypto from "crypto";
import { Command, CommandArgs, SshConnectionInput } from "../command";
import { ServerConfig } from "../config";
import { packageList, script } from "../bash";
import { accelProbeScript, AccelProbe, parseAccelProbe } from "./accel";
import { factsScript, Facts, parseFacts } from "./facts";
import { hostStateOwner, hostStateScript } from "./host-state";
import { checkProfile, ProfileCheck, profiles } from "./profiles";
import { EmulatedServer, Emulation, emulatedShape } from "./emulated";

export interface PhysicalServerArgs {
  server: ServerConfig;
  /** The SSH private key, for servers reached over SSH. */
  sshPrivateKey?: pulumi.Input<string>;
  /** Kernel booted by the accelerator probe when the config names none. */
  defaultProbeKernel?: string;
  /**
   * Emulated servers on a private link (connection.jump): the one this server
   * is behind, or whether one is behind this server.
   */
  link?: { role: "front" } | { role: "behind"; front: EmulatedServer };
}

const digest = (s: string) => crypto.createHash("sha256").update(s).digest("hex").slice(0, 16);

/**
 * A physical server of the testbed: gathers its hardware and software facts
 * and decides, by booting a guest kernel, which accelerator full-virtualization
 * guests get (KVM only if a KVM guest really boots, else TCG).
 */
export class PhysicalServer extends pulumi.ComponentResource {
  public readonly facts: pulumi.Output<Facts>;
  private accelProbe?: pulumi.Output<AccelProbe>;
  private readonly factsStep: Command;
  private readonly defaultProbeKernel?: string;
  public readonly profileCheck: pulumi.Output<ProfileCheck>;
  /** An emulated server's machine: what QEMU was asked for (index.ts's testbed output). */
  public readonly emulation?: pulumi.Output<Emulation>;
  public readonly emulated?: EmulatedServer;
  /** How scripts reach this server: undefined for this machine. */
  public readonly connection?: SshConnectionInput;
  public readonly config: ServerConfig;
  /** The server's directories for our objects; everything else is created after it. */
  public readonly workspace: Command;

  constructor(name: string, args: PhysicalServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("testbed:index:PhysicalServer", name, {}, opts);
    const s = args.server;
    this.config = s;
    this.defaultProbeKernel = args.defaultProbeKernel;
    const c = s.connection;
    if (c.type === "ssh") {
      if (args.sshPrivateKey === undefined) throw new Error(`server ${s.name}: no SSH private key`);
      this.connection = {
        host: c.host,
        port: c.port,
        user: c.user,
        privateKey: pulumi.secret(args.sshPrivateKey),
        connectTimeoutSeconds: c.connectTimeoutSeconds,
        ...(c.jump ? { jump: c.jump } : {}),
      };
    }
    if (c.type === "emulated") {
      // The machine first: every step on the server goes through its connection.
      const machine = new EmulatedServer(
        `${name}-emulated`,
        {
          server: s.name,
          machine: emulatedShape(profiles[s.profile], c),
          sshPort: c.sshPort,
          bootTimeoutSeconds: c.bootTimeoutSeconds,
          suite: "bookworm",
          link: args.link,
        },
        { parent: this },
      );
      this.connection = machine.connection;
      this.emulation = machine.emulation;
      this.emulated = machine;
    }

    this.workspace = new Command(
      `${name}-workspace`,
      {
        step: `server ${s.name}: workspace`,
        create: "mkdir -p /var/lib/virt-testbed/lxc /var/lib/virt-testbed/pools\necho created",
        // Only what is empty: anything left in there is reported, not deleted.
        delete: [
          "for d in /var/lib/virt-testbed/lxc /var/lib/virt-testbed/pools /var/lib/virt-testbed; do",
          '  [ -d "$d" ] || continue',
          '  rmdir "$d" 2>/dev/null || echo "kept $d: not empty: $(ls -A "$d" | tr "\\n" " ")" >&2',
          "done",
        ].join("\n"),
        timeoutSeconds: 60,
        connection: this.connection,
      },
      { parent: this },
    );

    const facts = new Command(
      `${name}-facts`,
      {
        step: `server ${s.name}: gather facts`,
        create: factsScript,
        triggers: [digest(factsScript)],
        timeoutSeconds: 60,
        connection: this.connection,
      },
      { parent: this },
    );
    this.facts = facts.stdout.apply((out) => {
      try {
        return parseFacts(out);
      } catch (e) {
        throw new Error(`server ${s.name}: gather facts: ${(e as Error).message}`);
      }
    });

    this.made.push(this.workspace, facts);
    this.factsStep = facts;
    // A kvm platform that probes (accel: auto) probes once QEMU is installed
    // there (probeAccel): on a fresh server there is none before.
    if (!s.platforms.some((p) => p.type === "kvm" && p.accel === "auto")) this.probeAccel([]);

    this.profileCheck = this.facts.apply((f) => {
      const check = checkProfile(s.profile, f);
      if (!check.matches && s.strictProfile) {
        const what = check.mismatches.map(
          (m) => `${m.field}: expected ${m.expected}, found ${m.actual}`,
        );
        throw new Error(
          `server ${s.name}: does not match profile ${s.profile}:\n  ${what.join("\n  ")}`,
        );
      }
      return check;
    });

    this.registerOutputs({ facts: this.facts, profileCheck: this.profileCheck });
  }

  /**
   * The KVM/TCG boot probe, made once, after the facts and `after` (a kvm
   * platform's QEMU install): which accelerator full-virtualization guests get.
   */
  probeAccel(after: Command[]): pulumi.Output<AccelProbe> {
    if (this.accelProbe) return this.accelProbe;
    const s = this.config;
    const probe = new Command(
      `${s.name}-accel-probe`,
      {
        step: `server ${s.name}: KVM/TCG boot probe`,
        create: accelProbeScript,
        environment: {
          PROBE_KERNEL: s.probe.kernel ?? this.defaultProbeKernel ?? "",
          PROBE_KVM_TIMEOUT: String(s.probe.kvmTimeoutSeconds),
          PROBE_TCG_TIMEOUT: String(s.probe.tcgTimeoutSeconds),
        },
        // QEMU installed again (another install step) is probed again.
        triggers: [digest(accelProbeScript), ...after.map((r) => r.id)],
        timeoutSeconds: s.probe.kvmTimeoutSeconds + s.probe.tcgTimeoutSeconds + 30,
        connection: this.connection,
      },
      // Two boots at once would skew each other's timing: probe after the facts.
      { parent: this, dependsOn: [this.factsStep, ...after] },
    );
    if (after.length === 0) this.made.push(probe);
    this.accelProbe = probe.stdout.apply((out) => {
      try {
        return parseAccelProbe(out);
      } catch (e) {
        throw new Error(`server ${s.name}: KVM/TCG boot probe: ${(e as Error).message}`);
      }
    });
    return this.accelProbe;
  }

  /** The boot probe's answer (probeAccel), once it is made. */
  get accel(): pulumi.Output<AccelProbe> {
    if (!this.accelProbe) throw new Error(`server ${this.config.name}: no boot probe made yet`);
    return this.accelProbe;
  }

  /**
   * A step that installs Debian packages on this server and, on delete, purges
   * those it installed itself that no other owner on the host still holds
   * (host-state.sh): another stack, or another logical server that is the
   * same machine. Waits for the package manager's lock, and says so.
   */
  installPackages(
    name: string,
    args: { step: string; packages: readonly string[] },
    opts: { parent: pulumi.Resource; dependsOn?: pulumi.Resource[] } & StepTime,
  ): Command {
    const wait = this.config.packageLockTimeoutSeconds;
    const cmd = this.hostCommand(
      name,
      {
        step: args.step,
        create: script(__dirname, "packages-install.sh"),
        delete: script(__dirname, "packages-remove.sh"),
        environment: {
          PACKAGES: packageList(args.packages),
          VTB_PACKAGE_LOCK_TIMEOUT: String(wait),
        },
        timeoutSeconds: wait + 1800,
      },
      opts,
    );
    cmd.stdout.apply((out) => {
      for (const w of out.match(/^waited: .*$/gm) ?? []) pulumi.log.warn(`${args.step}: ${w}`, cmd);
    });
    return cmd;
  }

  /**
   * A step that changes what the host shares with other stacks (packages,
   * daemons, named objects): its scripts get the host-state functions
   * (host-state.sh) before them, and it is the owner VTB_OWNER names.
   */
  hostCommand(
    name: string,
    args: Omit<CommandArgs, "connection" | "create" | "delete" | "environment"> & {
      create: string;
      delete: string;
      environment?: Record<string, pulumi.Input<string>>;
    },
    opts: pulumi.CustomResourceOptions & StepTime,
  ): Command {
    return this.command(
      name,
      {
        ...args,
        prelude: hostStateScript,
        environment: { ...args.environment, VTB_OWNER: hostStateOwner(name) },
      },
      opts,
    );
  }

  /**
   * SSH into a guest of this server at `host:port` (an address only the
   * server reaches, or its loopback): through the server when it is remote.
   */
  guestConnection(
    host: string,
    port: number,
    privateKey: pulumi.Input<string>,
  ): SshConnectionInput {
    const srv = this.connection;
    return {
      host,
      port,
      user: "root",
      privateKey,
      connectTimeoutSeconds: 10,
      // A guest on a server made again is another guest.
      ...(srv?.instance ? { instance: srv.instance } : {}),
      ...(srv?.emulator ? { emulator: srv.emulator } : {}),
      // Through the server, and the server through its own jump host (with
      // the server's key where it has none of its own, as the server is reached).
      ...(srv
        ? {
            jump: pulumi
              .all([
                srv.host,
                srv.port,
                srv.user,
                srv.privateKey,
                srv.hostKey,
                srv.connectTimeoutSeconds,
                srv.jump,
              ])
              .apply(([host, port, user, privateKey, hostKey, connectTimeoutSeconds, bastion]) => ({
                host,
                port,
                user,
                privateKey,
                connectTimeoutSeconds,
                ...(hostKey ? { hostKey } : {}),
                ...(bastion
                  ? {
                      jump: {
                        connectTimeoutSeconds,
                        ...bastion,
                        privateKey: bastion.privateKey ?? privateKey,
                      },
                    }
                  : {}),
              })),
          }
        : {}),
    };
  }

  /**
   * Once a platform reboots the server into itself (xen), every step made on
   * the server afterwards comes after that: none is cut by the reboot. The
   * steps made before it (`made`) go before it, and so do those made later
   * with `beforeReboot` (bare metal's tools).
   */
  public rebooted?: pulumi.Resource;
  /**
   * That platform's step that reboots the server back to its plain kernel at
   * destroy: a step made later with `beforeReboot` depends on it, so it is
   * undone before that reboot, not during it.
   */
  public wayBack?: pulumi.Resource;
  /** The steps made on the server so far, which a platform's reboot waits for. */
  public readonly made: pulumi.Resource[] = [];

  /** The steps made before a platform's reboot (the platform's, from beforeReboot). */
  public madeBeforeReboot?: pulumi.Resource[];
  /** Steps made after the platform with `beforeReboot`: the reboot waits for them too. */
  private readonly alsoBefore: pulumi.Resource[] = [];
  private measureFirst!: (runs: pulumi.Resource[]) => void;
  private readonly measuredFirst = new Promise<pulumi.Resource[]>(
    (resolve) => (this.measureFirst = resolve),
  );

  /**
   * What a platform's reboot into itself waits for: the steps made before it
   * (`steps`), those made later with `beforeReboot`, and bare metal's runs on
   * the plain kernel, which start once those are done (components/testbed.ts,
   * measuredBeforeReboot).
   */
  beforeReboot(steps: pulumi.Resource[]): Promise<pulumi.Resource[]> {
    this.madeBeforeReboot = steps;
    return this.measuredFirst.then((runs) => [...steps, ...this.alsoBefore, ...runs]);
  }

  /** Bare metal's runs before the reboot, or none. Called once for every server, or its reboot never starts. */
  measuredBeforeReboot(runs: pulumi.Resource[]): void {
    this.measureFirst(runs);
  }

  /**
   * A step that runs on this server (locally or over its SSH connection):
   * after the reboot into a platform if one was made, or with `beforeReboot`
   * before it.
   */
  command(
    name: string,
    args: Omit<CommandArgs, "connection">,
    opts: pulumi.CustomResourceOptions & StepTime,
  ): Command {
    const { beforeReboot, ...rest } = opts;
    const step = new Command(
      name,
      { ...args, connection: this.connection },
      beforeReboot ? withDependency(rest, this.wayBack) : this.afterReboot(rest),
    );
    this.made.push(step);
    if (beforeReboot && this.rebooted) this.alsoBefore.push(step);
    return step;
  }

  /** `opts`, waiting for the server's reboot into a platform if one was made. */
  afterReboot<T extends pulumi.CustomResourceOptions>(opts: T): T {
    return withDependency(opts, this.rebooted);
  }
}

/** When a step made after a platform that reboots the server runs: after the reboot (default), or before it. */
export interface StepTime {
  beforeReboot?: boolean;
}

/** `opts` with one more resource to wait for, if there is one. */
function withDependency<T extends pulumi.CustomResourceOptions>(
  opts: T,
  r: pulumi.Resource | undefined,
): T {
  if (!r) return opts;
  const before = opts.dependsOn;
  const list = (
    before === undefined ? [] : Array.isArray(before) ? before : [before]
  ) as pulumi.Input<pulumi.Resource>[];
  return { ...opts, dependsOn: [...list, r] };
}
