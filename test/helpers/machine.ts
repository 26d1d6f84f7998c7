import { execFileSync } from "child_process";

const sh = (cmd: string) => execFileSync("bash", ["-c", cmd], { encoding: "utf8" });

/**
 * What of the project's is on this machine: packages, libvirt objects, pool
 * volumes, containers, namespaces, and the live processes of stack `stack`.
 * Equal before an `up` and after its `destroy`: the machine is as it was.
 */
export function machineState(stack: string) {
  return {
    packages: sh("dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\\n' | sort"),
    libvirt: sh(
      "for w in list pool-list net-list; do virsh -q -c qemu:///system $w --all --name 2>/dev/null; done | grep vtb- || true",
    ),
    volumes: sh("ls /var/lib/virt-testbed/pools 2>/dev/null || true"),
    containers: sh("ls /var/lib/virt-testbed/lxc 2>/dev/null || true"),
    namespaces: sh("ip netns list | grep '^vtb-' || true"),
    // Live ones: this machine's init does not reap orphans, so a zombie can linger a while.
    processes: sh(
      `ps -eo stat=,args= | grep -v '^Z' | grep -E 'vtb-${stack}' | grep -v grep || true`,
    ),
  };
}
