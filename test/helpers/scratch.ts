import * as fs from "fs";
import * as os from "os";
import * as path from "path";

// Every scratch directory a test file makes goes when the file's tests end:
// a suite run as root on a shared machine leaves nothing of its own in /tmp.
// Tests make theirs here only (test/unit/scratch.test.ts checks).
const made: string[] = [];

afterAll(() => {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh directory under the system's temp dir (mkdtemp: unpredictable, 0700), removed after the file's tests. */
export function scratchDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}
