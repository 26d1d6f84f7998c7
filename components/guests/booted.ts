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
