import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { benchmarks, notRunnableYet, pairs } from "../benchmarks";
import { isIpv4 } from "../benchmarks/types";
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

// Host names and addresses only: they reach ssh and error messages. `{n}` stands
// for a server's number in a group of identical servers (see `count`).
const hostPattern = /^[A-Za-z0-9][A-Za-z0-9.:-]{0,252}$/;
const host = z
  .string({ error: (iss) => (iss.input === undefined ? "required" : "expected a string") })
  .refine((h) => hostPattern.test(h.replace(/\{n\}/g, "0")), "a host name or IP address");
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

const count = z.number().int().min(1).max(64).default(1);

const platformTypes = ["baseline", "kvm", "xen", "lxc", "openvz", "vmware"] as const;
const targetRef = z
  .string()
  .regex(
    new RegExp(`^[a-z][a-z0-9-]*/(${platformTypes.join("|")})/[a-z][a-z0-9-]*$`),
    "<server>/<platform>/<guest>, e.g. local/kvm/vm or local/baseline/host",
  );

const diskSchema = z
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

const vmFields = {
  name,
  count,
  vcpus: z.number().int().min(1).max(256).default(1),
  memoryMiB: z.number().int().min(128).max(1048576).default(1024),
  disk: diskSchema.default({ sizeGiB: 4, bus: "virtio", backing: "file" }),
  /** A guest whose SSH does not answer by then counts as failed (its benchmarks are not run). */
  bootTimeoutSeconds: z.number().int().min(10).max(7200).default(600),
};

const kvmGuest = z
  .object({
    ...vmFields,
    network: z
      .object({ model: z.enum(["virtio", "e1000", "rtl8139"]).default("virtio") })
      .strict()
      .default({ model: "virtio" }),
  })
  .strict();

const xenGuest = z
  .object({
    ...vmFields,
    /** para: paravirtualized kernel, no emulation; hvm: full virtualization with VT-x/AMD-V. */
    mode: z.enum(["para", "hvm"]),
    network: z
      .object({ model: z.enum(["netfront", "e1000", "rtl8139"]).default("netfront") })
      .strict()
      .default({ model: "netfront" }),
  })
  .strict()
  .refine((g) => g.mode === "hvm" || g.network.model === "netfront", {
    message: "para guests only have netfront",
    path: ["network", "model"],
  });

// "A fraction of the CPU time or system memory", as the 2006 paper put it.
const containerLimits = {
  cpuShares: z.number().int().min(2).max(262144).default(1024),
  /** CPUs the container may run on, e.g. "0" or "0-1"; default all. */
  cpus: z
    .string()
    .regex(/^\d+(-\d+)?(,\d+(-\d+)?)*$/, "a cpuset list like 0-1,3")
    .optional(),
  /** Memory limit; default none. */
  memoryMiB: z.number().int().min(64).max(1048576).optional(),
};
const lxcGuest = z.object({ name, count, ...containerLimits }).strict();
const openvzGuest = z
  .object({
    name,
    count,
    ...containerLimits,
    ctid: z.number().int().min(101).max(2147483647).optional(),
  })
  .strict();
const vmwareGuest = z.object({ name, connection: z.lazy(() => sshConnection) }).strict();

const guests = <T extends z.ZodTypeAny>(g: T) => z.array(g).default([]);

export const platformSchema = z.discriminatedUnion(
  "type",
  [
    z.object({ type: z.literal("baseline") }).strict(),
    z
      .object({
        type: z.literal("kvm"),
        /** auto: KVM if a KVM guest boots on the server (the probe), else TCG. */
        accel: z.enum(["auto", "kvm", "tcg"]).default("auto"),
        guests: guests(kvmGuest),
      })
      .strict(),
    z
      .object({
        type: z.literal("xen"),
        dom0MemoryMiB: z.number().int().min(256).max(1048576).default(1024),
        /** Minutes to wait for the server to come back from the reboot into Xen. */
        rebootTimeoutMinutes: z.number().int().min(1).max(120).default(15),
        guests: guests(xenGuest),
      })
      .strict(),
    z.object({ type: z.literal("lxc"), guests: guests(lxcGuest) }).strict(),
    z
      .object({
        type: z.literal("openvz"),
        /** The OS template vzctl creates containers from. */
        template: z
          .string()
          .regex(/^[A-Za-z0-9._-]+$/, "an OpenVZ template name")
          .default("debian-11.0-x86_64"),
        guests: guests(openvzGuest),
      })
      .strict(),
    z.object({ type: z.literal("vmware"), guests: guests(vmwareGuest) }).strict(),
  ],
  { error: "expected a platform type: baseline, kvm, xen, lxc, openvz or vmware" },
);
export type PlatformConfig = z.infer<typeof platformSchema>;

export const serverSchema = z
  .object({
    name,
    /**
     * Identical servers, say a blade farm: `count` servers named <name>-0,
     * <name>-1 ..., each reached at the connection's host with `{n}` replaced by
     * its number. The key under sshKeys.<name> serves them all unless one has its own.
     */
    count: z.number().int().min(1).max(999).default(1),
    connection: z.discriminatedUnion("type", [localConnection, sshConnection], {
      error: "expected { type: local } or { type: ssh, host: ... }",
    }),
    profile: z.enum(profileNames).default("auto"),
    /** Fail the update when the gathered facts do not match the profile. */
    strictProfile: z.boolean().default(false),
    platforms: z.array(platformSchema).default([{ type: "baseline" }]),
    /**
     * How long a package install or removal waits for the package manager's
     * lock (unattended-upgrades, an admin's apt, another stack) before it fails.
     */
    packageLockTimeoutSeconds: z.number().int().min(0).max(7200).default(600),
    /** VM guests' SSH is forwarded to 127.0.0.1 ports from here up, one per guest. */
    guestSshPortBase: z.number().int().min(1024).max(65000).default(22200),
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

export const benchmarkSchema = z
  .object({
    // Own keys only: "constructor" or "toString" are "in" every object.
    id: z.string().refine((id) => Object.prototype.hasOwnProperty.call(benchmarks, id), {
      message: `a benchmark id: ${Object.keys(benchmarks).join(", ")}`,
    }),
    /** quick: the module's small parameters, for a run in minutes; your parameters still win. */
    profile: z.enum(["full", "quick"]).default("full"),
    repeats: z.number().int().min(1).max(100).default(3),
    trialTimeoutMinutes: z.number().int().min(1).max(1440).default(60),
    parameters: z.record(z.string(), z.unknown()).default({}),
    /** Platform types to measure; default all of each server's. */
    platforms: z.array(z.enum(platformTypes)).optional(),
    /**
     * Run on all guests of a platform at once (the 2009 paper's 8 VMs), as one
     * step that reruns as a whole, reported per guest and as their aggregate;
     * otherwise one target at a time.
     */
    concurrent: z.boolean().default(false),
    /**
     * A pair benchmark (iperf, iperf3, ab) between named targets instead of
     * between each target and its own host: the benchmark's server in
     * `server`, its client in `client`, each `<server>/<platform>/<guest>`
     * (bare metal is `<server>/baseline/host`).
     */
    pairs: z
      .array(z.object({ server: targetRef, client: targetRef }).strict())
      .min(1)
      .optional(),
  })
  .strict();
export type BenchmarkConfig = z.infer<typeof benchmarkSchema> & { params: unknown };

export const testbedSchema = z
  .object({
    benchmarks: z.array(benchmarkSchema).default([]),
    servers: z
      .array(serverSchema, {
        error: (iss) =>
          iss.input === undefined ? "required: a list of servers" : "expected a list",
      })
      .min(1, "at least one server"),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    // Each benchmark's runs are named after its id, so an id can only appear once.
    const ids = new Map<string, number>();
    cfg.benchmarks.forEach((b, i) => {
      const first = ids.get(b.id);
      if (first !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["benchmarks", i, "id"],
          message: `duplicate benchmark id '${b.id}' (also benchmarks[${first}]); set its parameters in one entry`,
        });
      } else ids.set(b.id, i);
    });
    const seen = new Map<string, string>();
    cfg.servers.forEach((s, i) => {
      for (const n of serverNames(s)) {
        const other = seen.get(n);
        if (other !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["servers", i, "name"],
            message:
              n === s.name && other === n
                ? `duplicate server name '${s.name}'`
                : `server '${s.name}'${s.count > 1 ? ` (count ${s.count})` : ""} makes a server named '${n}', as server '${other}' does`,
          });
          break;
        }
        seen.set(n, s.name);
      }
      if (s.count > 1) {
        const last = `${s.name}-${s.count - 1}`;
        if (s.connection.type !== "ssh" || !s.connection.host.includes("{n}")) {
          ctx.addIssue({
            code: "custom",
            path: ["servers", i, "count"],
            message: `${s.count} servers need ${s.connection.type === "ssh" ? "" : "an ssh connection with "}'{n}' in connection.host, one host each (e.g. host: blade-{n}.example.org)`,
          });
        } else if (last.length > 31) {
          ctx.addIssue({
            code: "custom",
            path: ["servers", i, "name"],
            message: `server names up to '${last}' are longer than 31 characters`,
          });
        }
      } else if (s.connection.type === "ssh" && s.connection.host.includes("{n}")) {
        ctx.addIssue({
          code: "custom",
          path: ["servers", i, "connection", "host"],
          message: "'{n}' is a server's number in a group: set count as well",
        });
      }
      const types = new Set<string>();
      const guestNames = new Set<string>();
      // What createGuests (components/guests) makes of each guest: `count` instances
      // named name-0, name-1 ... (name alone when count is 1), KVM guests with one
      // forwarded SSH port each, Xen and OpenVZ guests with one address each in a /24
      // (10 + ordinal), OpenVZ guests with a CTID each.
      const instances = new Map<string, string>();
      let sshPorts = 0;
      let ordinal = 0;
      const ctids = new Map<number, string>();
      s.platforms.forEach((p, j) => {
        if (types.has(p.type)) {
          ctx.addIssue({
            code: "custom",
            path: ["servers", i, "platforms", j, "type"],
            message: `a second ${p.type} platform on server '${s.name}'`,
          });
        }
        types.add(p.type);
        if ("guests" in p) {
          p.guests.forEach((g, k) => {
            if (guestNames.has(g.name)) {
              ctx.addIssue({
                code: "custom",
                path: ["servers", i, "platforms", j, "guests", k, "name"],
                message: `duplicate guest name '${g.name}' on server '${s.name}'`,
              });
            }
            guestNames.add(g.name);
            const at = ["servers", i, "platforms", j, "guests", k];
            const count = "count" in g ? g.count : 1;
            for (let n = 0; n < count; n++) {
              const instance = count > 1 ? `${g.name}-${n}` : g.name;
              const other = instances.get(instance);
              if (other !== undefined && other !== g.name) {
                ctx.addIssue({
                  code: "custom",
                  path: [...at, "name"],
                  message: `guest '${g.name}'${count > 1 ? ` (count ${count})` : ""} makes a guest named '${instance}', as guest '${other}' does, on server '${s.name}'`,
                });
                break;
              }
              instances.set(instance, g.name);
            }
            if (p.type === "kvm") {
              const before = s.guestSshPortBase + sshPorts - 1;
              sshPorts += count;
              if (before <= 65535 && s.guestSshPortBase + sshPorts - 1 > 65535) {
                ctx.addIssue({
                  code: "custom",
                  path: [...at, "count"],
                  message: `KVM guests' SSH ports run past 65535 (guestSshPortBase ${s.guestSshPortBase} + ${sshPorts} guests on server '${s.name}')`,
                });
              }
            }
            if (p.type === "xen" || p.type === "openvz") {
              const before = ordinal;
              const explicit = p.type === "openvz" ? (g as { ctid?: number }).ctid : undefined;
              let clash = false;
              for (let n = 0; n < count; n++, ordinal++) {
                if (p.type !== "openvz") continue;
                const ctid = explicit === undefined ? 1000 + ordinal : explicit + n;
                const other = ctids.get(ctid);
                if (other !== undefined && other !== g.name && !clash) {
                  clash = true;
                  ctx.addIssue({
                    code: "custom",
                    path: [...at, explicit === undefined ? "name" : "ctid"],
                    message: `guest '${g.name}' gets CTID ${ctid}, as guest '${other}' does, on server '${s.name}'`,
                  });
                }
                ctids.set(ctid, g.name);
              }
              if (before <= 245 && ordinal > 245) {
                ctx.addIssue({
                  code: "custom",
                  path: [...at, "count"],
                  message: `more than 245 Xen and OpenVZ guests on server '${s.name}' (their addresses are 10.19x.0.10 to .254)`,
                });
              }
            }
          });
        }
      });
      if (types.has("xen") && types.has("kvm")) {
        ctx.addIssue({
          code: "custom",
          path: ["servers", i, "platforms"],
          message: `xen and kvm cannot run on server '${s.name}' at once (Xen owns the CPU's virtualization); use two servers or two stacks`,
        });
      }
    });
  });
/** The names a server entry makes: its own, or <name>-0 ... for a group. */
function serverNames(s: { name: string; count: number }): string[] {
  return s.count > 1 ? Array.from({ length: s.count }, (_, n) => `${s.name}-${n}`) : [s.name];
}

type ParsedServer = z.infer<typeof serverSchema>;
/** One physical server; `group` is the config entry it came from (its name), for its key. */
export type Server = ParsedServer & { group: string };

export type TestbedConfig = Omit<z.infer<typeof testbedSchema>, "benchmarks" | "servers"> & {
  benchmarks: BenchmarkConfig[];
  servers: Server[];
};

/** A group of identical servers as its members, each with its own name and host. */
export function expandServers(servers: readonly ParsedServer[]): Server[] {
  return servers.flatMap((s) =>
    serverNames(s).map((name, n) => {
      if (s.count === 1 || s.connection.type !== "ssh") return { ...s, group: s.name };
      const c = s.connection;
      const at = (h: string) => h.replace(/\{n\}/g, String(n));
      return {
        ...s,
        name,
        count: 1,
        group: s.name,
        connection: {
          ...c,
          host: at(c.host),
          ...(c.jump ? { jump: { ...c.jump, host: at(c.jump.host) } } : {}),
        },
      };
    }),
  );
}

/** `servers[1].connection.type` style, the way the key is written in the stack file. */
export function keyPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join("");
}

/** `  testbed:<path>: <problem>` lines; an unknown key is named by its own path. */
function issueLines(prefix: PropertyKey[], issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap((i) =>
    i.code === "unrecognized_keys"
      ? i.keys.map((k) => `  ${namespace}:${keyPath([...prefix, ...i.path, k])}: unknown key`)
      : [`  ${namespace}:${keyPath([...prefix, ...i.path])}: ${i.message}`],
  );
}

/**
 * Keys named "__proto__" (JSON.parse makes them own keys): z.record and object
 * spreads would drop them without a word, so they are named as unknown here.
 */
function protoKeys(value: unknown, path: PropertyKey[] = []): PropertyKey[][] {
  if (typeof value !== "object" || value === null) return [];
  return Object.keys(value).flatMap((k) =>
    k === "__proto__"
      ? [[...path, k]]
      : protoKeys((value as Record<string, unknown>)[k], [
          ...path,
          Array.isArray(value) ? Number(k) : k,
        ]),
  );
}

/** Whether a vmware guest can host a pair's server (components/guests/index.ts). */
function vmwarePairServer(s: Server, key: string): boolean {
  const guest = key.split("/")[2];
  for (const p of s.platforms) {
    if (p.type !== "vmware") continue;
    const g = p.guests.find((g) => g.name === guest);
    if (g) return !g.connection.jump && isIpv4(g.connection.host);
  }
  return false;
}

/** Each target a server's config makes, by `<server>/<platform>/<guest>`, with its platform type. */
function targetsOf(servers: readonly Server[]): Map<string, { server: Server; platform: string }> {
  const out = new Map<string, { server: Server; platform: string }>();
  for (const s of servers) {
    out.set(`${s.name}/baseline/host`, { server: s, platform: "baseline" });
    for (const p of s.platforms) {
      if (!("guests" in p)) continue;
      for (const g of p.guests) {
        const count = "count" in g ? g.count : 1;
        for (let n = 0; n < count; n++) {
          const guest = count > 1 ? `${g.name}-${n}` : g.name;
          out.set(`${s.name}/${p.type}/${guest}`, { server: s, platform: p.type });
        }
      }
    }
  }
  return out;
}

/**
 * `pairs` that name no target, or two targets that cannot reach each other
 * (what reaches what: components/measure/pairing.ts).
 */
function pairIssues(list: readonly z.infer<typeof benchmarkSchema>[], servers: Server[]): string[] {
  const targets = targetsOf(servers);
  const out: string[] = [];
  list.forEach((b, i) => {
    if (!b.pairs) return;
    const at = (...path: PropertyKey[]) => `  ${namespace}:${keyPath(["benchmarks", i, ...path])}`;
    if (!Object.prototype.hasOwnProperty.call(pairs, b.id)) {
      out.push(
        `${at("pairs")}: ${b.id} runs in one target; pairs are for ${Object.keys(pairs).join(", ")}`,
      );
      return;
    }
    if (b.concurrent)
      out.push(`${at("concurrent")}: a benchmark with pairs runs one pair at a time`);
    if (b.platforms) out.push(`${at("platforms")}: pairs name their targets; leave platforms out`);
    const served = new Map<string, number>();
    b.pairs.forEach((p, j) => {
      const server = targets.get(p.server);
      const client = targets.get(p.client);
      if (!server) out.push(`${at("pairs", j, "server")}: no target ${p.server} in this stack`);
      if (!client) out.push(`${at("pairs", j, "client")}: no target ${p.client} in this stack`);
      if (!server || !client) return;
      const first = served.get(p.server);
      if (first !== undefined) {
        out.push(
          `${at("pairs", j, "server")}: ${p.server} already serves pairs[${first}] (its results are keyed by it)`,
        );
        return;
      }
      served.set(p.server, j);
      if (p.server === p.client) {
        out.push(`${at("pairs", j)}: a pair needs two targets`);
      } else if (server.server === client.server) {
        if (client.platform === "kvm" && !["baseline", "kvm"].includes(server.platform)) {
          out.push(
            `${at("pairs", j, "client")}: a kvm guest reaches its host's loopback, so bare metal and other kvm guests, not ${p.server}` +
              (server.platform === "lxc"
                ? " (a container's namespace is reached from its host only)"
                : ""),
          );
        } else if (client.platform !== "baseline" && client.platform !== "kvm") {
          out.push(
            `${at("pairs", j, "client")}: a client runs on a server's host or in a kvm guest, not in ${client.platform}`,
          );
        } else if (server.platform === "vmware" && !vmwarePairServer(server.server, p.server)) {
          out.push(
            `${at("pairs", j, "server")}: a vmware guest serves a pair when its connection is an IPv4 host without a jump host (its server reaches it there)`,
          );
        }
      } else {
        const c = server.server.connection;
        if (server.platform !== "baseline" || client.platform !== "baseline") {
          out.push(
            `${at("pairs", j)}: across two servers a pair runs between their hosts (<server>/baseline/host)`,
          );
        } else if (c.type !== "ssh" || c.jump || !isIpv4(c.host)) {
          out.push(
            `${at("pairs", j, "server")}: server ${server.server.name} is reached from ${client.server.name} at its SSH address: it needs connection type ssh with an IPv4 host and no jump host`,
          );
        }
      }
    });
  });
  return out;
}

/** Validates raw config; throws one message listing every bad key as `testbed:<path>: <problem>`. */
export function parseTestbedConfig(raw: Record<string, unknown>): TestbedConfig {
  const proto = protoKeys(raw).map((p) => `  ${namespace}:${keyPath(p)}: unknown key`);
  if (proto.length > 0) throw new Error(`invalid stack configuration:\n${proto.join("\n")}`);
  const result = testbedSchema.safeParse(raw);
  const lines = result.success ? [] : issueLines([], result.error.issues);
  if (result.success) {
    // Each benchmark's parameters, by its own module's schema (and its own checks,
    // such as UnixBench's source), so a bad one is caught before any resource exists.
    result.data.benchmarks.forEach((b, i) => {
      if (Object.prototype.hasOwnProperty.call(notRunnableYet, b.id)) {
        lines.push(
          `  ${namespace}:${keyPath(["benchmarks", i, "id"])}: ${b.id} ${notRunnableYet[b.id]}`,
        );
        return;
      }
      const m = benchmarks[b.id];
      const base = b.profile === "quick" ? { ...(m.quick as object) } : {};
      const p = m.parameters.safeParse({ ...base, ...b.parameters });
      if (!p.success) {
        lines.push(...issueLines(["benchmarks", i, "parameters"], p.error.issues));
        return;
      }
      try {
        m.environment(p.data);
        (b as BenchmarkConfig).params = p.data;
      } catch (e) {
        lines.push(
          `  ${namespace}:${keyPath(["benchmarks", i, "parameters"])}: ${(e as Error).message}`,
        );
      }
    });
  }
  if (lines.length === 0 && result.success) {
    const servers = expandServers(result.data.servers);
    lines.push(...pairIssues(result.data.benchmarks, servers));
    if (lines.length === 0) return { ...result.data, servers } as TestbedConfig;
  }
  throw new Error(`invalid stack configuration:\n${lines.join("\n")}`);
}

/** The config key holding a server's SSH private key (a Pulumi secret). */
export const sshKeyPath = (server: string) => `${namespace}:sshKeys.${server}`;

/** A server's key: its own, or its group's. */
export const serverKey = (keys: Record<string, string>, s: Pick<Server, "name" | "group">) =>
  keys[s.name] ?? keys[s.group];

/**
 * Every SSH server needs its private key under testbed:sshKeys.<server>, set
 * as a secret; names the missing ones so the user knows what to set.
 */
export function checkSshKeys(cfg: TestbedConfig, keys: Record<string, unknown> | undefined): void {
  // Servers reached over SSH, and existing VMware guests, which are reached the same way.
  const needKeys = cfg.servers.flatMap((s) => [
    ...(s.connection.type === "ssh" ? [{ name: s.name, group: s.group, what: "server" }] : []),
    ...s.platforms.flatMap((p) =>
      p.type === "vmware"
        ? p.guests.map((g) => ({ name: g.name, group: g.name, what: "vmware guest" }))
        : [],
    ),
  ]);
  const missing = needKeys
    .filter((k) => typeof serverKey((keys ?? {}) as Record<string, string>, k) !== "string")
    // A group's members share their group's key: name it once.
    .filter((k, i, all) => all.findIndex((o) => o.group === k.group) === i)
    .map((k) => {
      const at = k.group === k.name ? k.name : k.group;
      const who = k.group === k.name ? `${k.what} ${k.name}` : `servers ${k.group}-0 ... (count)`;
      return (
        `  ${sshKeyPath(at)}: required (the SSH private key for ${who}); set it with\n` +
        `    npm run pulumi -- config set --secret --path '${sshKeyPath(at)}' < KEYFILE`
      );
    });
  if (missing.length > 0) throw new Error(`invalid stack configuration:\n${missing.join("\n")}`);
}

export interface LoadedConfig extends TestbedConfig {
  /** Private keys by server name, as one secret. */
  sshKeys: pulumi.Output<Record<string, string>>;
}

/**
 * Every `testbed:` key of the stack but the SSH keys (secrets, checked by name
 * only), each value as the YAML gave it: a key that is not in the schema, a typo
 * such as `testbed:benchmark`, is an error rather than ignored.
 */
export function stackConfigValues(): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(pulumi.runtime.allConfig())) {
    const [ns, ...rest] = key.split(":");
    const name = rest.join(":");
    if (ns !== namespace || name === "sshKeys") continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = text; // a plain string in the YAML
    }
    // Defined, not assigned: a key named "__proto__" stays a key, to be refused.
    Object.defineProperty(values, name, { value, enumerable: true, writable: true });
  }
  return values;
}

/** Reads and validates the stack's config before any resource is created. */
export function loadTestbedConfig(): LoadedConfig {
  const cfg = new pulumi.Config(namespace);
  const parsed = parseTestbedConfig(stackConfigValues());
  // Only to see which keys exist; the values are used through the secret below.
  checkSshKeys(parsed, cfg.getObject<Record<string, unknown>>("sshKeys"));
  const sshKeys =
    cfg.getSecretObject<Record<string, string>>("sshKeys") ??
    pulumi.secret<Record<string, string>>({});
  return { ...parsed, sshKeys };
}
