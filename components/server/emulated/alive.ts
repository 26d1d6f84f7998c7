import { execFileSync } from "child_process";
import * as path from "path";
import { script } from "../../bash";

/**
 * Whether the emulated server whose directory is `dir` still runs: its QEMU
 * as emulated-common.sh's vtb_emu_pid finds it, the one rule the server's own
 * steps use too. Its overlay disk is made anew at each start
 * (emulated-start.sh), so once this is false nothing that was on the server is
 * there any more. When it cannot tell, it says yes: a delete is then tried and
 * fails, never skipped.
 */
export function emulatorRunning(dir: string): boolean {
  try {
    const common = script(__dirname, "emulated-common.sh");
    const out = execFileSync(
      "bash",
      ["-c", `${common}\nvtb_emu_pid "$1" "$2"`, "alive", path.basename(dir), dir],
      { encoding: "utf8", timeout: 30_000 },
    );
    return out.trim() !== "";
  } catch {
    return true;
  }
}
