import * as fs from "fs";
import * as path from "path";

// Tests make scratch directories through test/helpers/scratch.ts, which removes
// them: before it, a suite run left over a thousand of root's directories in /tmp.
describe("scratch directories in tests", () => {
  const root = path.join(__dirname, "..");
  const files = (fs.readdirSync(root, { recursive: true, encoding: "utf8" }) as string[])
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.join("test", f));
  // The stack helper keeps a stack's state on purpose when its destroy fails, to be torn down by hand.
  const allowed = ["test/helpers/scratch.ts", "test/helpers/stack.ts"];

  it("are made by scratchDir only", () => {
    expect(files.length).toBeGreaterThan(50);
    const direct = files.filter(
      (f) =>
        !allowed.includes(f) &&
        /mkdtempSync\([^)]*tmpdir\(\)/.test(fs.readFileSync(path.join(root, "..", f), "utf8")),
    );
    expect(direct).toEqual([]);
  });
});
