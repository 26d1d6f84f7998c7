/**
 * The JSON Schema of a stack file (Pulumi.<stack>.yaml), made from the same
 * zod schemas the program checks the config with (./config.ts, each
 * benchmark's parameters), so an editor's completion and checks cannot drift
 * from the program's: `npm run schema` writes it to schema/stack.schema.json,
 * which every shipped stack names in its first line, and a test keeps it in
 * sync. JSON Schema draft-07, the draft editors' YAML support reads best.
 */
import { z } from "zod";
import { benchmarks } from "../benchmarks";
import { namespace, testbedSchema } from "./config";
import type { JsonSchema } from "./config-keys";

const draft7 = (s: z.ZodType): JsonSchema => {
  const j = z.toJSONSchema(s, {
    io: "input",
    unrepresentable: "any",
    target: "draft-7",
  }) as JsonSchema;
  delete j.$schema;
  return j;
};

/** A value set with `config set --secret`: Pulumi writes it as { secure: <ciphertext> }. */
const secure = {
  type: "object",
  properties: { secure: { type: "string" } },
  required: ["secure"],
  additionalProperties: false,
};

const leafTypes = new Set(["string", "number", "integer", "boolean"]);

/**
 * Every value of the schema may also be set as a secret (`config set --secret
 * --path`, e.g. UnixBench's source URL), which the file holds as { secure: ... }.
 */
function orSecure(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(orSecure);
  if (typeof node !== "object" || node === null) return node;
  const o = Object.fromEntries(
    Object.entries(node).map(([k, v]) =>
      // Property names and definitions are maps of schemas; const, enum and default are values.
      ["const", "enum", "default", "examples", "required", "pattern"].includes(k)
        ? [k, v]
        : [k, orSecure(v)],
    ),
  );
  const leaf = typeof o.type === "string" && leafTypes.has(o.type);
  return leaf ? { anyOf: [o, secure] } : o;
}

export function stackFileSchema(): JsonSchema {
  const testbed = orSecure(draft7(testbedSchema)) as {
    properties: Record<string, JsonSchema>;
    definitions?: Record<string, unknown>;
  };
  const ids = Object.keys(benchmarks);
  const item = (testbed.properties.benchmarks as { items: JsonSchema }).items as {
    properties: Record<string, unknown>;
    allOf?: unknown[];
  };
  // Each benchmark's parameters by its own module's schema, chosen by its id.
  item.properties.id = { type: "string", enum: ids };
  item.allOf = ids.map((id) => ({
    if: { properties: { id: { const: id } }, required: ["id"] },
    then: { properties: { parameters: orSecure(draft7(benchmarks[id].parameters)) } },
  }));
  const config: Record<string, unknown> = Object.fromEntries(
    Object.entries(testbed.properties).map(([k, v]) => [`${namespace}:${k}`, v]),
  );
  config[`${namespace}:sshKeys`] = {
    description: "Each server's (and VMware guest's) SSH private key, by name: set it as a secret.",
    type: "object",
    additionalProperties: { anyOf: [secure, { type: "string" }] },
  };
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: "https://github.com/virt-testbed/virt-testbed/schema/stack.schema.json",
    title: "virt-testbed stack file (Pulumi.<stack>.yaml)",
    type: "object",
    properties: {
      config: {
        type: "object",
        properties: config,
        // Another namespace's keys (pulumi:..., libvirt:...) are theirs to check; not this project's.
        // ... but a key of this project's namespace that is not one of the above is a mistake.
        patternProperties: {
          [`^${namespace}:(?!(${Object.keys(config)
            .map((k) => k.slice(namespace.length + 1))
            .join("|")})$)`]: {
            not: {},
          },
        },
        additionalProperties: true,
      },
      encryptionsalt: { type: "string" },
      secretsprovider: { type: "string" },
      encryptedkey: { type: "string" },
    },
    ...(testbed.definitions ? { definitions: testbed.definitions } : {}),
  };
}

/** The file's text, as written to schema/stack.schema.json. */
export const stackFileSchemaText = (): string => JSON.stringify(stackFileSchema(), null, 2) + "\n";
