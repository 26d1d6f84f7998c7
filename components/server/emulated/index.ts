import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { script } from "../../bash";
import { Command, SshConnectionInput } from "../../command";
import { hostStateOwner, hostStateScript } from "../host-state";

export interface EmulatedServerArgs {
  /** The configured server's name: its directory, QEMU's name and its claim. */
  server: string;
  /** What QEMU is asked for: the profile's shape, scaled to fit this machine. */
  machine: { sockets: number; cores: number; memoryMiB: number; diskGiB: number };
  /** 127.0.0.1's port that reaches the server's SSH. */
  sshPort: number;
  bootTimeoutSeconds: number;
  suite: string;
  /**
   * A private link between two emulated servers (`connection.jump`): the one in
   * front listens on a socket in its directory, the one behind joins it and is
   * reached only through the one in front. Addresses in `labAddress`.
   */
  link?: { role: "front" } | { role: "behind"; front: EmulatedServer };
}

/** The two ends of a private link: each link is its own segment, so every pair has these. */
export const labAddress = { front: "10.223.0.1", behind: "10.223.0.2" } as const;
const labMac = { front: "52:54:00:df:00:01", behind: "52:54:00:df:00:02" } as const;

/** What an emulated server's QEMU was asked for and which QEMU ran it. */
export interface Emulation {
  /** e.g. "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18)" */
  qemu: string;
  /** The CPU model and shape, e.g. "qemu64,+svm,+npt sockets=2 cores=1 memory=4096MiB" */
  cpu: string;
  /** The server's base disk (cached by content). */
  disk: string;
}

const build = script(__dirname, "disk-build.sh");
const common = script(__dirname, "emulated-common.sh");
const digest = (s: string) => crypto.createHash("sha256").update(s).digest("hex").slice(0, 16);

/**
 * A physical server the project emulates on the Pulumi host: a QEMU TCG
 * machine booted by GRUB from a Debian disk of the project's own
 * (disk-build.sh), reached only over SSH on a loopback port with keys made
 * for it alone. Everything the stack does to it afterwards goes through
 * `connection`, exactly as for a real server reached over SSH.
 */
export class EmulatedServer extends pulumi.ComponentResource {
  public readonly connection: SshConnectionInput;
  /** Answers SSH: every step on the server comes after it, and is deleted before it. */
  public readonly ready: Command;
  /** What QEMU was asked for and which QEMU ran it. */
  public readonly emulation: pulumi.Output<Emulation>;

  /** Its directory on the Pulumi host: keys, overlay disk, console log. */
  public readonly dir: string;
  /** Its QEMU, started: a server behind it joins its link after. */
  public readonly machine: Command;
  private readonly args: EmulatedServerArgs;

  constructor(name: string, args: EmulatedServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("testbed:index:EmulatedServer", name, {}, opts);
    this.args = args;
    const link = args.link;
    const dir = `/var/lib/virt-testbed/emulated/${args.server}`;
    this.dir = dir;
    const local = (step: string, file: string) => ({
      step: `server ${args.server}: emulated: ${step}`,
      prelude: hostStateScript + common,
      create: script(__dirname, file),
    });
    const keys = new Command(
      `${name}-emu-keys`,
      {
        ...local("keys and seed", "emulated-keys.sh"),
        delete: script(__dirname, "emulated-keys-remove.sh"),
        environment: {
          DIR: dir,
          VTB_OWNER: hostStateOwner(`${name}-emu-keys`),
          ...(link ? { LAB_ADDRESS: labAddress[link.role], LAB_MAC: labMac[link.role] } : {}),
        },
        timeoutSeconds: 60,
      },
      { parent: this, additionalSecretOutputs: ["stdout"] },
    );
    const parts = keys.stdout.apply((out) => {
      const [priv, hostKey] = out.split("@@@\n");
      if (!priv?.includes("PRIVATE KEY") || !hostKey?.startsWith("ssh-ed25519 ")) {
        throw new Error(`server ${args.server}: emulated: keys: ssh-keygen printed no key pair`);
      }
      return { priv, hostKey: hostKey.trim() };
    });
    // The disk, once per content of its build script; kept by destroy, as guest images are.
    const diskKey = digest(args.suite + build);
    const disk = new Command(
      `${name}-emu-disk`,
      {
        step: `server ${args.server}: emulated: build its disk ${diskKey}`,
        prelude: hostStateScript,
        create: build,
        environment: {
          DISK_DIR: `/var/cache/virt-testbed/servers/${args.suite}-${diskKey}`,
          SUITE: args.suite,
          SIZE_GIB: "16",
        },
        timeoutSeconds: 3600,
      },
      { parent: this },
    );
    const base = disk.stdout.apply((out) => {
      const m = /^disk: (\/var\/cache\/virt-testbed\/servers\/[a-z0-9-]+\/disk\.qcow2)$/m.exec(out);
      if (!m) throw new Error(`server ${args.server}: emulated: its disk build printed no disk`);
      return m[1];
    });
    const m = args.machine;
    const front = link?.role === "behind" ? link.front : undefined;
    const machine = new Command(
      `${name}-emu-machine`,
      {
        ...local("QEMU", "emulated-start.sh"),
        delete: script(__dirname, "emulated-stop.sh"),
        environment: {
          DIR: dir,
          NAME: args.server,
          SSH_PORT: String(args.sshPort),
          SOCKETS: String(m.sockets),
          CORES: String(m.cores),
          MEM_MIB: String(m.memoryMiB),
          DISK_GIB: String(m.diskGiB),
          BASE: base,
          // New keys are a new server: its seed ISO is read at boot.
          HOST_KEY: parts.apply((p) => p.hostKey),
          VTB_OWNER: hostStateOwner(`${name}-emu-keys`),
          ...(link
            ? {
                LAB: link.role,
                LAB_MAC: labMac[link.role],
                LAB_SOCKET: `${front?.dir ?? dir}/lab.sock`,
                LAB_ADDRESS: labAddress[link.role],
              }
            : {}),
          // QEMU 7.2's stream netdev never reconnects: a front made again
          // (another id) makes this one again, to join the new link.
          ...(front
            ? {
                FRONT_NAME: front.args.server,
                FRONT_DIR: front.dir,
                FRONT_INSTANCE: front.machine.id,
              }
            : {}),
        },
        timeoutSeconds: 120,
      },
      // Behind: the link's socket is there once the server in front's QEMU runs.
      { parent: this, dependsOn: [keys, disk, ...(front ? [front.machine] : [])] },
    );
    this.machine = machine;
    const privateKey = pulumi.secret(parts.apply((p) => p.priv));
    const hostKey = parts.apply((p) => p.hostKey);
    // Behind a jump: its address on the link, through the server in front (its own key and host key).
    const at = front
      ? {
          host: labAddress.behind,
          port: 22,
          jump: pulumi.output(front.connection).apply((c) => ({
            host: c.host,
            port: c.port,
            user: c.user,
            privateKey: c.privateKey,
            hostKey: c.hostKey,
            connectTimeoutSeconds: c.connectTimeoutSeconds,
            emulator: c.emulator,
          })),
        }
      : { host: "127.0.0.1", port: args.sshPort };
    this.ready = new Command(
      `${name}-emu-ssh`,
      {
        step: `server ${args.server}: emulated: boot until SSH answers`,
        create: 'echo "kernel: $(uname -r)"',
        connection: {
          ...at,
          user: "root",
          privateKey,
          hostKey,
          instance: machine.id,
          emulator: dir,
          connectTimeoutSeconds: 10,
        },
        retryForSeconds: args.bootTimeoutSeconds,
        retryDelaySeconds: 5,
        timeoutSeconds: 60,
      },
      { parent: this, dependsOn: [machine] },
    );
    // Through `ready`: a step on the server waits for it, and goes before it on delete.
    this.connection = {
      ...at,
      host: this.ready.id.apply(() => at.host),
      user: "root",
      privateKey,
      hostKey,
      // A machine made again is another server: the steps on the old one go first.
      instance: machine.id,
      emulator: dir,
      connectTimeoutSeconds: 10,
    };
    this.emulation = machine.stdout.apply((out) => {
      const field = (k: string) => new RegExp(`^${k}: (.*)$`, "m").exec(out)?.[1] ?? "unknown";
      return { qemu: field("qemu"), cpu: field("cpu"), disk: field("disk") };
    });
    this.registerOutputs({ emulation: this.emulation });
  }

  /**
   * Copies a guest image built on the Pulumi host (`built` printed
   * `image: <dir>`) into the server's image cache, so the server's own build
   * of the same key finds it done.
   */
  seedImage(
    name: string,
    built: Command,
    after: pulumi.Resource[],
    opts: pulumi.CustomResourceOptions,
  ): Command {
    return new Command(
      name,
      {
        step: `server ${this.args.server}: emulated: guest image copied in`,
        prelude: hostStateScript,
        create: script(__dirname, "emulated-seed.sh"),
        environment: {
          DIR: this.dir,
          SSH_PORT: String(this.args.sshPort),
          ...(this.args.link?.role === "behind"
            ? {
                SSH_HOST: labAddress.behind,
                JUMP_DIR: this.args.link.front.dir,
                JUMP_PORT: String(this.args.link.front.args.sshPort),
              }
            : {}),
          IMAGE_DIR: built.stdout.apply((o) => /^image: (.*)$/m.exec(o)?.[1] ?? ""),
        },
        timeoutSeconds: 1800,
      },
      { ...opts, dependsOn: [this.ready, built, ...after] },
    );
  }
}

/**
 * The machine QEMU is asked for: the profile's sockets, its cores per socket
 * cut so that sockets x cores fits maxVcpus (sockets first cut to maxVcpus),
 * and its memory capped at what the connection allows. "auto" has no shape:
 * one socket of maxVcpus cores.
 */
export function emulatedShape(
  profile: { sockets: number; coresPerSocket: number; memoryMiB: number } | undefined,
  limits: { maxVcpus: number; memoryMiB: number; diskGiB: number },
): EmulatedServerArgs["machine"] {
  const sockets = Math.min(profile?.sockets ?? 1, limits.maxVcpus);
  const cores = Math.max(
    1,
    Math.min(profile?.coresPerSocket ?? limits.maxVcpus, Math.floor(limits.maxVcpus / sockets)),
  );
  return {
    sockets,
    cores,
    memoryMiB: Math.min(profile?.memoryMiB ?? limits.memoryMiB, limits.memoryMiB),
    diskGiB: limits.diskGiB,
  };
}
