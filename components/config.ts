import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";

/** The config namespace: keys are written `testbed:<key>` in Pulumi.<stack>.yaml. */
export const namespace = "testbed";

// Names end up in resource names, file names and script environments.
const name = z
  .string({ error: (iss) => (iss.input === undefined ? "required" : "expected a string") })
  .regex(
    /^[a-z][a-z0-9-]{0,30}$/,
    "lowercase letters, digits and '-', starting with a letter, at most 31 characters",
  );

const localConnection = z.object({ type: z.literal("local") }).strict();

export const serverSchema = z
  .object({
    name,
    connection: z.discriminatedUnion("type", [localConnection], {
      error: "expected { type: local } (ssh connections are not supported yet)",
    }),
    profile: z.enum(["auto", "piii-800-testbed", "dual-e5420-blade"]).default("auto"),
    probe: z
      .object({
        /** Kernel image booted by the KVM/TCG probe; default: the cached Debian cloud kernel or /boot. */
        kernel: z
          .string()
          .regex(/^\/[^\0]*$/, "an absolute path")
          .optional(),
        kvmTimeoutSeconds: z.number().int().min(1).max(600).default(20),
        tcgTimeoutSeconds: z.number().int().min(1).max(1800).default(120),
      })
      .strict()
      .default({ kvmTimeoutSeconds: 20, tcgTimeoutSeconds: 120 }),
  })
  .strict();
export type ServerConfig = z.infer<typeof serverSchema>;

export const testbedSchema = z
  .object({
    servers: z
      .array(serverSchema, {
        error: (iss) =>
          iss.input === undefined ? "required: a list of servers" : "expected a list",
      })
      .min(1, "at least one server"),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.servers.forEach((s, i) => {
      if (seen.has(s.name)) {
        ctx.addIssue({
          code: "custom",
          path: ["servers", i, "name"],
          message: `duplicate server name '${s.name}'`,
        });
      }
      seen.add(s.name);
    });
  });
export type TestbedConfig = z.infer<typeof testbedSchema>;

/** `servers[1].connection.type` style, the way the key is written in the stack file. */
export function keyPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join("");
}

/** Validates raw config; throws one message listing every bad key as `testbed:<path>: <problem>`. */
export function parseTestbedConfig(raw: Record<string, unknown>): TestbedConfig {
  const result = testbedSchema.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  ${namespace}:${keyPath(i.path)}: ${i.message}`);
  throw new Error(`invalid stack configuration:\n${lines.join("\n")}`);
}

/** Reads and validates the stack's config before any resource is created. */
export function loadTestbedConfig(): TestbedConfig {
  const cfg = new pulumi.Config(namespace);
  return parseTestbedConfig({ servers: cfg.getObject<unknown>("servers") });
}
