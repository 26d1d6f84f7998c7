import { execFileSync } from "child_process";
import * as path from "path";

/** Before any test: the tools the tests run for real are installed (scripts/test-tools.sh). */
export default function globalSetup(): void {
  execFileSync("bash", [path.join(__dirname, "..", "..", "scripts", "test-tools.sh")], {
    stdio: "inherit",
  });
}
