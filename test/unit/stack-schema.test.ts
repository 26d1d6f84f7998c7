// The stack file's JSON Schema (schema/stack.schema.json): made from the
// config's own zod schemas, kept in sync, named by every shipped stack, and
// it accepts each of them and refuses the mistakes the program refuses.
import Ajv from "ajv";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { stackFileSchemaText } from "../../components/stack-file-schema";
import { parseTestbedConfig } from "../../components/config";

const root = path.join(__dirname, "..", "..");
const file = path.join(root, "schema", "stack.schema.json");
const stacks = fs.readdirSync(root).filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f));
// Formats (ipv4, ...) are the program's to check; the schema's structure is what editors use.
const validate = new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(
  JSON.parse(fs.readFileSync(file, "utf8")),
);

/** The testbed config of a stack file as the program reads it (namespace off, sshKeys apart). */
function testbedOf(doc: { config: Record<string, unknown> }): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(doc.config)
      .filter(([k]) => k.startsWith("testbed:") && k !== "testbed:sshKeys")
      .map(([k, v]) => [k.slice("testbed:".length), v]),
  );
}

/** Every SSH connection without its host given one, as the user sets it. */
function withHosts<T>(doc: T): T {
  const copy = structuredClone(doc);
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (typeof v !== "object" || v === null) return;
    const o = v as Record<string, unknown>;
    if (o.type === "ssh" && o.host === undefined) o.host = "192.0.2.1";
    Object.values(o).forEach(walk);
  };
  walk(copy);
  return copy;
}

describe("the stack file's JSON Schema", () => {
  it("is the one the config's schema makes now (npm run schema writes it)", () => {
    expect(fs.readFileSync(file, "utf8")).toBe(stackFileSchemaText());
  });

  it.each(stacks)("%s names it in its first line and passes it, as it passes the program", (f) => {
    const text = fs.readFileSync(path.join(root, f), "utf8");
    expect(text.split("\n")[0]).toBe("# yaml-language-server: $schema=schema/stack.schema.json");
    const doc = parseYaml(text) as { config: Record<string, unknown> };
    // The paper stacks ship without their servers' addresses (and a benchmark's
    // licensed or unpackaged source): the user sets those, as their headers say.
    const filled = withHosts(doc);
    expect([validate(filled), validate.errors]).toEqual([true, null]);
    let said = "";
    try {
      parseTestbedConfig(testbedOf(filled));
    } catch (e) {
      said = (e as Error).message;
    }
    for (const l of said.split("\n").slice(1))
      expect(l).toMatch(/^ {2}testbed:benchmarks\[\d+\]\.parameters/);
  });

  it("refuses what the program refuses: unknown keys, a benchmark's parameter, a platform's field", () => {
    const doc = parseYaml(fs.readFileSync(path.join(root, "Pulumi.testbed.yaml"), "utf8")) as {
      config: Record<string, unknown>;
    };
    const bad = structuredClone(doc);
    const c = bad.config as {
      "testbed:benchmarks": Record<string, unknown>[];
      "testbed:servers": { platforms: { guests: Record<string, unknown>[] }[] }[];
      [k: string]: unknown;
    };
    c["testbed:benchmarks"][0].repeat = 3;
    c["testbed:benchmarks"][1].parameters = { sizeMib: 10 };
    c["testbed:servers"][0].platforms[1].guests[0].memoryMib = 5;
    c["testbed:mesure"] = {};
    expect(validate(bad)).toBe(false);
    const where = (validate.errors ?? []).map(
      (e) => `${e.instancePath} ${JSON.stringify(e.params)}`,
    );
    for (const want of [
      /^\/config\/testbed:benchmarks\/0 .*"repeat"/,
      /^\/config\/testbed:benchmarks\/1\/parameters .*"sizeMib"/,
      /^\/config\/testbed:servers\/0\/platforms\/1\/guests\/0 .*"memoryMib"/,
      /^\/config\/testbed:mesure /,
    ]) {
      expect(where.some((w) => want.test(w))).toBe(true);
    }
    // And the program says the same, all in one pass, with the key meant.
    expect(() => parseTestbedConfig(testbedOf(bad))).toThrow(
      /benchmarks\[0\]\.repeat: unknown key \(did you mean repeats\?\)[\s\S]*memoryMib: unknown key \(did you mean memoryMiB\?\)[\s\S]*mesure: unknown key \(did you mean measure\?\)[\s\S]*benchmarks\[1\]\.parameters\.sizeMib: unknown key \(did you mean sizeMiB\?\)/,
    );
  });

  it("takes a key set as a secret ({ secure: ... }) under sshKeys, and other namespaces' keys", () => {
    const doc = {
      config: {
        "testbed:servers": [{ name: "s", connection: { type: "local" }, platforms: [] }],
        "testbed:sshKeys": { s: { secure: "v1:abc" } },
        "pulumi:tags": { a: "b" },
      },
      encryptionsalt: "v1:x",
    };
    expect([validate(doc), validate.errors]).toEqual([true, null]);
  });
});

describe("a value set as a secret in a stack file", () => {
  it("is taken anywhere a value is (UnixBench's source URL, a host), and still checked where it is not", () => {
    const doc = {
      config: {
        "testbed:benchmarks": [
          { id: "unixbench", parameters: { source: { url: { secure: "v1:a" } } } },
        ],
        "testbed:servers": [{ name: "s", connection: { type: "ssh", host: { secure: "v1:b" } } }],
      },
    };
    expect([validate(doc), validate.errors]).toEqual([true, null]);
    const wrong = structuredClone(doc);
    (wrong.config["testbed:servers"][0].connection as Record<string, unknown>).hots = "x";
    expect(validate(wrong)).toBe(false);
  });
});
