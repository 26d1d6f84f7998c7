import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { commandProvider } from "../../components/command";
import { scratchDir } from "../helpers/scratch";

// What the SDK stores in each Command's `__provider` input (dynamic/index.js).
async function serializeAsTheSdkDoes(): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sc = require("@pulumi/pulumi/runtime/closure/serializeClosure") as {
    serializeFunction(f: () => unknown, o: object): Promise<{ text: string }>;
  };
  return (await sc.serializeFunction(() => commandProvider, { allowSecrets: true })).text;
}

const root = path.join(__dirname, "..", "..");

/** Loads the serialized provider the way the dynamic provider's process does, in plain Node.js. */
function callInPlainNode(text: string, cwd: string, call: string): unknown {
  const dir = scratchDir("vtb-stub-");
  try {
    fs.writeFileSync(path.join(dir, "provider.js"), text);
    const driver = `
      const fromString = require(${JSON.stringify(require.resolve("require-from-string", { paths: [require.resolve("@pulumi/pulumi")] }))});
      const provider = fromString(require("fs").readFileSync(${JSON.stringify(path.join(dir, "provider.js"))}, "utf8")).handler();
      Promise.resolve(provider.${call}).then((r) => process.stdout.write(JSON.stringify(r)),
        (e) => { process.stderr.write(e.message); process.exit(3); });`;
    const out = execFileSync(process.execPath, ["-e", driver], {
      cwd,
      encoding: "utf8",
      // No ts-node from the test runner: the process starts bare, as the SDK's does.
      env: { PATH: process.env.PATH ?? "" },
    });
    return JSON.parse(out);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("the Command provider as the dynamic provider loads it", () => {
  it("serializes to a small stub, not its implementation", async () => {
    const text = await serializeAsTheSdkDoes();
    // The implementation (runScript, ssh) was 13 KB in every resource's state.
    expect(text.length).toBeLessThan(4000);
    expect(text).not.toContain("forwardOut");
  });

  it("loads the TypeScript implementation in a plain Node.js process and runs it", async () => {
    const text = await serializeAsTheSdkDoes();
    expect(callInPlainNode(text, root, `check({}, { create: "true" })`)).toEqual({
      inputs: { create: "true" },
    });
    const created = callInPlainNode(
      text,
      root,
      `create({ create: "printf %s \\"$X\\"", environment: { X: "from env" }, step: "stub test" })`,
    ) as { outs: { stdout: string; exitCode: number } };
    expect(created.outs).toMatchObject({ stdout: "from env", exitCode: 0 });
  });

  it("finds the implementation from the path it was written with when the working directory has none", async () => {
    const text = await serializeAsTheSdkDoes();
    const diff = callInPlainNode(
      text,
      os.tmpdir(),
      `diff("id", { create: "a" }, { create: "b" })`,
    ) as { replaces: string[] };
    expect(diff.replaces).toEqual(["create"]);
  });
});
