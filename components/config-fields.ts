import { z } from "zod";

/*
 * Config fields shared by the stack's schema (config.ts) and the platform
 * kinds' schemas (platforms/<kind>/schema.ts).
 */

// Names end up in resource names, file names and script environments.
export const name = z
  .string({ error: (iss) => (iss.input === undefined ? "required" : "expected a string") })
  .regex(
    /^[a-z][a-z0-9-]{0,30}$/,
    "lowercase letters, digits and '-', starting with a letter, at most 31 characters",
  )
  // Results, comparisons and the report are keyed by names: one every object inherits finds the wrong thing.
  .refine((n) => n !== "constructor", { error: "a name other than constructor" });

export const localConnection = z.object({ type: z.literal("local") }).strict();

// A host reaches ssh, ssh2 and error messages as it is: a DNS name (labels of
// letters, digits and '-'), an IPv4 address, or an IPv6 address without brackets.
const hostLabel = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const ipv4 = z.ipv4();
const ipv6 = z.ipv6();
export function isHost(h: string): boolean {
  if (ipv4.safeParse(h).success || ipv6.safeParse(h).success) return true;
  const labels = h.replace(/\.$/, "").split(".");
  // An all-digit last label is a bad address (10.0.0.300), never a name (RFC 3696, 2).
  return (
    h.length <= 253 &&
    labels.every((l) => hostLabel.test(l)) &&
    !/^\d+$/.test(labels[labels.length - 1])
  );
}
export const hostExpected = "a DNS name, an IPv4 address or an IPv6 address without brackets";
/** A host; in a server's connection `{n}` stands for a member's number in a group (see `count`). */
export const hostSchema = (group: boolean) =>
  z
    .string({ error: (iss) => (iss.input === undefined ? "required" : "expected a string") })
    .refine((h) => group || !h.includes("{n}"), {
      message: "'{n}' is a server's number in a group (count): not for this host",
      abort: true,
    })
    .refine((h) => isHost(group ? h.replace(/\{n\}/g, "0") : h), hostExpected);
export const port = z.number().int().min(1).max(65535);
export const user = z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, "a Unix user name");

export const sshConnectionFields = (group: boolean) =>
  z.object({
    type: z.literal("ssh"),
    host: hostSchema(group),
    port: port.default(22),
    user: user.default("root"),
    connectTimeoutSeconds: z.number().int().min(1).max(600).default(30),
    /**
     * The private key as a file on the Pulumi host (read at every run, kept
     * only as a secret), instead of a secret under testbed:sshKeys.
     */
    privateKeyFile: z
      .string()
      .regex(/^\/[^\0\n]*$/, "an absolute path")
      .max(4096)
      .optional(),
    /** A bastion in front of the server, reached with the same key. */
    jump: z
      .object({ host: hostSchema(group), port: port.default(22), user: user.default("root") })
      .strict()
      .optional(),
  });

/**
 * A server the project emulates on the Pulumi host (components/server/emulated):
 * a QEMU TCG machine shaped after the server's profile, reached over SSH on a
 * loopback port with keys made for it, then used as any SSH server.
 */
export const emulatedConnection = z
  .object({
    type: z.literal("emulated"),
    /** 127.0.0.1's port for its SSH; stable across updates. */
    sshPort: port.min(1024).default(22022),
    /** At most this much of the profile's memory (QEMU's RSS is about all of it under Xen). */
    memoryMiB: z.number().int().min(512).max(65536).default(4096),
    /** At most this many vCPUs (sockets x cores, from the profile, scaled down). */
    maxVcpus: z.number().int().min(1).max(64).default(2),
    diskGiB: z.number().int().min(8).max(1024).default(20),
    bootTimeoutSeconds: z.number().int().min(30).max(3600).default(900),
    /**
     * Another emulated server of the stack, the only way to this one, as a
     * bastion in front of a lab: the two QEMUs share a private link (a socket in
     * root's directory here) and this one has no port on this machine (sshPort
     * is not used). One server behind each.
     */
    jump: name.optional(),
  })
  .strict();

export const count = z.number().int().min(1).max(64).default(1);

export const maxCtid = 2147483647;

export const diskSchema = z
  .object({
    sizeGiB: z.number().int().min(1).max(4096).default(4),
    bus: z.enum(["virtio", "ide", "sata", "scsi", "xen"]).default("virtio"),
    /** A file in the server's storage pool, or a whole partition of the server. */
    backing: z.enum(["file", "partition"]).default("file"),
    /** The partition, e.g. /dev/sdb3, when backing is partition. */
    partition: z
      .string()
      .regex(/^\/dev\/[A-Za-z0-9/_-]+$/, "a device path under /dev")
      .optional(),
  })
  .strict()
  .refine((d) => d.backing !== "partition" || d.partition !== undefined, {
    message: "backing: partition needs a partition, e.g. /dev/sdb3",
    path: ["partition"],
  });

export const vmFields = {
  name,
  count,
  vcpus: z.number().int().min(1).max(256).default(1),
  memoryMiB: z.number().int().min(128).max(1048576).default(1024),
  disk: diskSchema.default({ sizeGiB: 4, bus: "virtio", backing: "file" }),
  /** A guest whose SSH does not answer by then counts as failed (its benchmarks are not run). */
  bootTimeoutSeconds: z.number().int().min(10).max(7200).default(600),
};

// "A fraction of the CPU time or system memory", as the 2006 paper put it.
export const containerLimits = {
  cpuShares: z.number().int().min(2).max(262144).default(1024),
  /** CPUs the container may run on, e.g. "0" or "0-1"; default all. */
  cpus: z
    .string()
    .regex(/^\d{1,4}(-\d{1,4})?(,\d{1,4}(-\d{1,4})?)*$/, {
      message: "a cpuset list like 0-1,3",
      abort: true,
    })
    // The kernel refuses a range high to low and a CPU past its NR_CPUS (at most 8192).
    .refine(
      (c) =>
        c.split(",").every((r) => {
          const [lo, hi = lo] = r.split("-").map(Number);
          return lo <= hi && hi < 8192;
        }),
      "a cpuset list like 0-1,3: ranges low-high, CPUs 0 to 8191",
    )
    .optional(),
  /** Memory limit; default none. */
  memoryMiB: z.number().int().min(64).max(1048576).optional(),
};

export const guests = <T extends z.ZodTypeAny>(g: T) => z.array(g).default([]);
