import * as fs from "fs";
import * as path from "path";

/**
 * Whether the emulated server whose directory is `dir` still runs: a live (not
 * zombie) root process of the QEMU binary named `vtb-emu-<dir's name>`, found
 * from its pid file or among all processes, as emulated-common.sh's vtb_emu_is
 * finds it. Its overlay disk is made anew at each start (emulated-start.sh), so
 * once this is false nothing that was on the server is there any more.
 */
export function emulatorRunning(dir: string): boolean {
  const name = `vtb-emu-${path.basename(dir)}`;
  const isIt = (pid: string) => {
    try {
      if (!/^\d+$/.test(pid)) return false;
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      // The state follows the command's last closing parenthesis.
      if (/^\s*[ZX]\s/.test(stat.slice(stat.lastIndexOf(")") + 1))) return false;
      if (fs.statSync(`/proc/${pid}`).uid !== 0) return false;
      // A QEMU still running from a binary since upgraded reads "... (deleted)".
      const exe = fs.readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, "");
      if (path.basename(exe) !== "qemu-system-x86_64") return false;
      const args = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      return args.some((a, i) => a === "-name" && args[i + 1] === name);
    } catch {
      return false;
    }
  };
  let pid = "";
  try {
    pid = fs.readFileSync(path.join(dir, "qemu.pid"), "utf8").trim();
  } catch {
    // A lost pid file loses no QEMU: look among all processes.
  }
  return isIt(pid) || fs.readdirSync("/proc").some((p) => /^\d+$/.test(p) && isIt(p));
}
