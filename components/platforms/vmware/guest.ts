import * as pulumi from "@pulumi/pulumi";
import { Command, SshConnectionInput } from "../../command";
import { parseFacts } from "../../server/facts";
import { factsScript } from "../../server/facts";
import { Target } from "../../measure/target";
import { Way } from "../../measure/way";
import { GuestInfo } from "../kind";

export interface VmwareGuestArgs {
  serverName: string;
  guest: string;
  connection: SshConnectionInput;
  /**
   * The guest's SSH host is an IPv4 address its physical server reaches too:
   * a pair benchmark's server (iperf, ab) can run in it, with the client on
   * the physical server, as for the other platforms.
   */
  pairServer?: { host: string; port: number; user: string };
  /** Without pairServer: why, said at preview when a pair benchmark is skipped. */
  noPeer?: string;
}

/**
 * An existing VMware guest, reached over SSH: nothing is created or removed;
 * its facts are gathered to show it is there and what it is.
 */
export class VmwareGuest extends pulumi.ComponentResource {
  public readonly info: pulumi.Output<GuestInfo>;
  public readonly objectName: string;
  public readonly target: Target;

  constructor(name: string, args: VmwareGuestArgs, opts?: pulumi.ComponentResourceOptions) {
    super("testbed:guest:VmwareGuest", name, {}, opts);
    this.objectName = args.guest;
    const facts = new Command(
      `${name}-facts`,
      {
        step: `server ${args.serverName}: vmware guest ${args.guest}: gather facts`,
        create: factsScript,
        connection: args.connection,
        timeoutSeconds: 60,
      },
      { parent: this },
    );
    this.info = facts.stdout.apply((out): GuestInfo => {
      const f = parseFacts(out);
      return {
        kind: "vmware",
        name: args.guest,
        external: true,
        vm: f.platform.vm,
        kernel: f.kernel.release,
        cpus: f.cpu.logicalCpus,
        memoryMiB: f.memory.totalMiB,
      };
    });
    this.target = {
      server: args.serverName,
      platform: "vmware",
      guest: args.guest,
      connection: args.connection,
      ready: [facts],
      info: this.info,
    };
    if (!args.pairServer) this.target.noPeer = args.noPeer;
    if (args.pairServer) {
      const way: Way = { via: "ssh", ...args.pairServer, privateKey: args.connection.privateKey };
      this.target.peer = {
        way,
        bind: way.host,
        connect: (port) => ({ host: way.host, port }),
      };
    }
    this.registerOutputs({ info: this.info });
  }
}
