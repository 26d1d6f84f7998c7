import * as pulumi from "@pulumi/pulumi";
import { Command, SshConnectionInput } from "../command";

/**
 * A VM guest's readiness, checked in it over SSH: ready once SSH answers and
 * systemd has finished booting (running, or degraded: a unit failed), as a
 * container is (lxc-create.sh). Until then it exits 75 and the step's next
 * attempt asks again, within the guest's boot timeout. A guest still starting
 * its services ran them during its first trial: a TCG guest's first openssl
 * trial came out at a third of its others, the host 1.05 CPUs busy before it.
 * Prints `kernel:` and `boot:` (systemd's state).
 */
export const bootedScript = [
  'state="$(timeout 10 systemctl is-system-running --wait 2>/dev/null)"',
  'case "$state" in running | degraded) ;; *)',
  '  echo "systemd: ${state:-starting}: still booting" >&2',
  "  exit 75 ;;",
  "esac",
  'echo "kernel: $(uname -r)"',
  'echo "boot: $state"',
].join("\n");

export interface BootedArgs {
  /** e.g. "server blade: xen guest para-0", for the step's name in errors. */
  what: string;
  connection: pulumi.Input<SshConnectionInput>;
  /** Seconds of SSH tries, 5 s apart, before the guest counts as failed. */
  bootTimeoutSeconds: number;
  /** Lines the guest prints once booted, after `kernel:` and `boot:`. */
  report?: string;
  /** Values whose change makes the step run again (e.g. its domain's id). */
  triggers?: pulumi.Input<pulumi.Input<unknown>[]>;
}

/** Every VM guest's ready step: boot until SSH answers and systemd is up (bootedScript). */
export function bootedCommand(
  name: string,
  args: BootedArgs,
  opts: pulumi.CustomResourceOptions,
): Command {
  return new Command(
    name,
    {
      step: `${args.what}: boot until SSH answers`,
      create: args.report ? `${bootedScript}\n${args.report}` : bootedScript,
      connection: args.connection,
      triggers: args.triggers,
      retryForSeconds: args.bootTimeoutSeconds,
      retryDelaySeconds: 5,
      timeoutSeconds: 60,
      // A guest that never boots must not stop the other targets' benchmarks.
      failSoftly: true,
    },
    opts,
  );
}

/** `kernel:` as bootedScript printed it, "" when it did not. */
export function bootedKernel(stdout: string): string {
  return /^kernel: (.*)$/m.exec(stdout)?.[1] ?? "";
}

/** Lines for a ready step's `report`: each sysctl `key` as the booted guest has it. */
export function sysctlReport(keys: string[]): string {
  return keys
    .map((k) => `echo "sysctl: ${k}=$(cat /proc/sys/${k.replace(/\./g, "/")})"`)
    .join("; ");
}

/** The `sysctl:` lines sysctlReport printed, as the guest had them. */
export function bootedSysctls(stdout: string): Record<string, string> {
  return Object.fromEntries(
    [...stdout.matchAll(/^sysctl: ([a-z0-9_.]+)=(.*)$/gm)].map((m) => [m[1], m[2]]),
  );
}
