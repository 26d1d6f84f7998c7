import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { profileNames } from "./server/profiles";

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

// Host names and addresses only: they reach ssh and error messages.
const host = z
  .string({ error: (iss) => (iss.input === undefined ? "required" : "expected a string") })
  .regex(/^[A-Za-z0-9][A-Za-z0-9.:-]{0,252}$/, "a host name or IP address");
const port = z.number().int().min(1).max(65535);
const user = z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, "a Unix user name");

const sshConnection = z
  .object({
    type: z.literal("ssh"),
    host,
    port: port.default(22),
    user: user.default("root"),
    connectTimeoutSeconds: z.number().int().min(1).max(600).default(30),
    /** A bastion in front of the server, reached with the same key. */
    jump: z
      .object({ host, port: port.default(22), user: user.default("root") })
      .strict()
      .optional(),
  })
  .strict();

export const serverSchema = z
  .object({
    name,
    connection: z.discriminatedUnion("type", [localConnection, sshConnection], {
      error: "expected { type: local } or { type: ssh, host: ... }",
    }),
    profile: z.enum(profileNames).default("auto"),
    /** Fail the update when the gathered facts do not match the profile. */
    strictProfile: z.boolean().default(false),
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

/** The config key holding a server's SSH private key (a Pulumi secret). */
export const sshKeyPath = (server: string) => `${namespace}:sshKeys.${server}`;

/**
 * Every SSH server needs its private key under testbed:sshKeys.<server>, set
 * as a secret; names the missing ones so the user knows what to set.
 */
export function checkSshKeys(cfg: TestbedConfig, keys: Record<string, unknown> | undefined): void {
  const missing = cfg.servers
    .filter((s) => s.connection.type === "ssh" && typeof keys?.[s.name] !== "string")
    .map(
      (s) =>
        `  ${sshKeyPath(s.name)}: required (the SSH private key for server ${s.name}); set it with\n` +
        `    npm run pulumi -- config set --secret --path '${sshKeyPath(s.name)}' < KEYFILE`,
    );
  if (missing.length > 0) throw new Error(`invalid stack configuration:\n${missing.join("\n")}`);
}

export interface LoadedConfig extends TestbedConfig {
  /** Private keys by server name, as one secret. */
  sshKeys: pulumi.Output<Record<string, string>>;
}

/** Reads and validates the stack's config before any resource is created. */
export function loadTestbedConfig(): LoadedConfig {
  const cfg = new pulumi.Config(namespace);
  const parsed = parseTestbedConfig({ servers: cfg.getObject<unknown>("servers") });
  // Only to see which keys exist; the values are used through the secret below.
  checkSshKeys(parsed, cfg.getObject<Record<string, unknown>>("sshKeys"));
  const sshKeys =
    cfg.getSecretObject<Record<string, string>>("sshKeys") ??
    pulumi.secret<Record<string, string>>({});
  return { ...parsed, sshKeys };
}
