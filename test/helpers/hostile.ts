import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";

/**
 * Another local user on the machine the benchmark scripts run on as root:
 * `nobody`, through runuser (these tests run as root, as the scripts do).
 */
export const nobodyUid = Number(execFileSync("id", ["-u", "nobody"], { encoding: "utf8" }));

/** Runs a bash command as `nobody` and returns its stdout; it fails the test if it fails. */
export function asNobody(command: string, ...args: string[]): string {
  return execFileSync("runuser", ["-u", "nobody", "--", "bash", "-c", command, "nobody", ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/**
 * Runs a bash command as `nobody` in the background, in a process group of its
 * own (`stop` ends it, and anything it started): an attacker racing the script.
 */
export function nobodyInBackground(command: string, ...args: string[]): { stop(): void } {
  const child: ChildProcess = spawn(
    "runuser",
    ["-u", "nobody", "--", "bash", "-c", command, "nobody", ...args],
    { detached: true, stdio: "ignore" },
  );
  return {
    stop() {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    },
  };
}

/**
 * A fresh directory only root can write to, and every directory above it
 * (under /run; not /tmp, where anyone can), which others can enter (mode 755):
 * for what the attacker must not make, such as the marker a planted command
 * would leave if it ran as root, or a directory of theirs inside one of root's.
 */
export function rootOnlyDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join("/run", prefix));
  fs.chmodSync(dir, 0o755);
  return dir;
}
