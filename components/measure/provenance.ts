import * as childProcess from "child_process";
import * as path from "path";

/**
 * What a measurement was made with, beside the tool versions its trials
 * report: the project's commit (and whether the checkout had uncommitted
 * changes), the Pulumi CLI and SDK, and Node.js. The provider records it when
 * the run is measured (Command `provenance`), so a later `up` from another
 * commit that measures nothing leaves it as it was.
 */
export function provenance(): Record<string, string> {
  const root = path.join(__dirname, "..", "..");
  const git = (...args: string[]) => {
    try {
      return childProcess
        .execFileSync("git", ["-C", root, ...args], {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "ignore"],
        })
        .trim();
    } catch {
      return undefined;
    }
  };
  const commit = git("rev-parse", "HEAD");
  const changed = git("status", "--porcelain", "--untracked-files=no");
  return {
    commit:
      commit === undefined
        ? "unknown (not a git checkout)"
        : `${commit}${changed ? " (uncommitted changes)" : ""}`,
    pulumiCli: process.env.VTB_PULUMI_VERSION ?? "unknown",
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    pulumiSdk: (require("@pulumi/pulumi/package.json") as { version: string }).version,
    node: process.version,
    // Why the runs measured by this `up` were measured again (npm run measure --reason).
    ...(process.env.VTB_MEASURE_REASON
      ? { reason: process.env.VTB_MEASURE_REASON.replace(/\p{Cc}/gu, " ").slice(0, 500) }
      : {}),
  };
}

let cached: Record<string, string> | undefined;
/** The program's provenance, worked out once. */
export const programProvenance = () => (cached ??= provenance());
