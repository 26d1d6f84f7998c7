import * as pulumi from "@pulumi/pulumi";
import * as crypto from "crypto";
import { Command } from "../command";
import { ServerConfig } from "../config";
import { accelProbeScript, AccelProbe, parseAccelProbe } from "./accel";
import { factsScript, Facts, parseFacts } from "./facts";

export interface PhysicalServerArgs {
  server: ServerConfig;
  /** Kernel booted by the accelerator probe when the config names none. */
  defaultProbeKernel?: string;
}

const digest = (s: string) => crypto.createHash("sha256").update(s).digest("hex").slice(0, 16);

/**
 * A physical server of the testbed: gathers its hardware and software facts
 * and decides, by booting a guest kernel, which accelerator full-virtualization
 * guests get (KVM only if a KVM guest really boots, else TCG).
 */
export class PhysicalServer extends pulumi.ComponentResource {
  public readonly facts: pulumi.Output<Facts>;
  public readonly accel: pulumi.Output<AccelProbe>;
  public readonly profile: string;

  constructor(name: string, args: PhysicalServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("testbed:index:PhysicalServer", name, {}, opts);
    const s = args.server;
    this.profile = s.profile;

    const facts = new Command(
      `${name}-facts`,
      {
        step: `server ${s.name}: gather facts`,
        create: factsScript,
        triggers: [digest(factsScript)],
        timeoutSeconds: 60,
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

    const probe = new Command(
      `${name}-accel-probe`,
      {
        step: `server ${s.name}: KVM/TCG boot probe`,
        create: accelProbeScript,
        environment: {
          PROBE_KERNEL: s.probe.kernel ?? args.defaultProbeKernel ?? "",
          PROBE_KVM_TIMEOUT: String(s.probe.kvmTimeoutSeconds),
          PROBE_TCG_TIMEOUT: String(s.probe.tcgTimeoutSeconds),
        },
        triggers: [digest(accelProbeScript)],
        timeoutSeconds: s.probe.kvmTimeoutSeconds + s.probe.tcgTimeoutSeconds + 30,
      },
      // Two boots at once would skew each other's timing: probe after the facts.
      { parent: this, dependsOn: [facts] },
    );
    this.accel = probe.stdout.apply((out) => {
      try {
        return parseAccelProbe(out);
      } catch (e) {
        throw new Error(`server ${s.name}: KVM/TCG boot probe: ${(e as Error).message}`);
      }
    });

    this.registerOutputs({ facts: this.facts, accel: this.accel });
  }
}
