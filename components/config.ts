import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { benchmarks, notRunnableYet, pairs } from "../benchmarks";
import type { PostalParameters } from "../benchmarks/postal";
import { pairProblem, PairSide, reachedAtAddress } from "./measure/reach";
import { OrderMethod, orderMethods } from "./measure/order";
import { Precision, precisionSchema } from "./measure/precision-schema";
import { protoKeyPaths } from "../report/input";
import { configSecrets, minSecretLength, redactor } from "./secrets";
import { firstAddressByte, forwardOffsets, maxForwardOffset, planGuests } from "./guests/plan";
import { profileNames } from "./server/profiles";
import {
  hostExpected,
  isHost,
  emulatedConnection,
  localConnection,
  maxCtid,
  name,
  sshConnectionFields,
} from "./config-fields";
import { platformSchema, platformTypes } from "./platforms/schemas";
import { didYouMean, JsonSchema, jsonSchemaOf, keysAt } from "./config-keys";

export { isHost };
export { platformSchema };

/** The config namespace: keys are written `testbed:<key>` in Pulumi.<stack>.yaml. */
export const namespace = "testbed";

/** A server's: its host (and bastion) may name a group member by `{n}`. */
const sshConnection = sshConnectionFields(true)
  .extend({
    /**
     * The key is the ssh-agent's (SSH_AUTH_SOCK of the pulumi that runs), as
     * ssh and libvirt use it: no key in config or in state at all.
     */
    agent: z.boolean().default(false),
  })
  .strict()
  .refine((c) => !(c.agent && c.privateKeyFile), {
    message: "set privateKeyFile or agent: true, not both",
    path: ["agent"],
  });
type Connection =
  | z.infer<typeof localConnection>
  | z.infer<typeof sshConnection>
  | z.infer<typeof emulatedConnection>;

/**
 * Each pair benchmark's port in the guest (as configured, else its default) ->
 * its offset. All three always, so that adding a benchmark does not change a
 * guest's definition (and replace it); two on one port share its forward, as
 * they run in turn.
 */
export function kvmForwards(list: readonly BenchmarkConfig[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const [id, offset] of Object.entries(forwardOffsets)) {
    const b = list.find((b) => b.id === id);
    const port = pairs[id].port(b ? b.params : benchmarks[id].parameters.parse({}));
    out[port] ??= offset;
  }
  return out;
}

/** The loopback ports a server's KVM guests take: their SSH ports from the base up, and each forward's. */
function loopbackRanges(base: number, guests: number) {
  if (guests === 0) return [];
  return [
    ["SSH", 0] as const,
    ...Object.entries(forwardOffsets).map(([id, o]) => [`${id} forward`, o] as const),
  ].map(([what, offset]) => ({
    what: `KVM guests' ${what} ports`,
    from: base + offset,
    to: base + offset + guests - 1,
  }));
}

/** Which machine a server is, as far as config tells: this one, or an SSH address (behind its bastion). */
function hostKey(c: Connection, n: number): string {
  if (c.type === "local") return "the local machine";
  if (c.type === "emulated")
    return c.jump
      ? `the emulated server behind ${c.jump}`
      : `the emulated server on 127.0.0.1:${c.sshPort}`;
  const at = (h: string, port: number) => `${h.replace(/\{n\}/g, String(n)).toLowerCase()}:${port}`;
  return at(c.host, c.port) + (c.jump ? ` via ${at(c.jump.host, c.jump.port)}` : "");
}

const targetRef = z
  .string()
  .regex(
    new RegExp(`^[a-z][a-z0-9-]*/(${platformTypes.join("|")})/[a-z][a-z0-9-]*$`),
    "<server>/<platform>/<guest>, e.g. local/kvm/vm or local/baseline/host",
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
    connection: z.discriminatedUnion("type", [localConnection, sshConnection, emulatedConnection], {
      error: "expected { type: local }, { type: ssh, host: ... } or { type: emulated }",
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
    /**
     * VM guests' SSH is forwarded to 127.0.0.1 ports from here up, one per guest;
     * each guest's port + 1000, 2000 and 3000 are its forwards (forwardOffsets).
     */
    guestSshPortBase: z
      .number()
      .int()
      .min(1024)
      .max(
        65535 - maxForwardOffset,
        `at most ${65535 - maxForwardOffset}: a KVM guest's forwards are at its SSH port + 1000, 2000 and 3000`,
      )
      .default(22200),
    probe: z
      .object({
        /** Kernel image booted by the KVM/TCG probe; default: the cached Debian cloud kernel or /boot. */
        kernel: z
          .string()
          .regex(/^\/\P{Cc}{0,4094}$/u, "an absolute path, without control characters")
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
    /** Trials per target, a fixed count; without it (or `precision`), the stack's `measure.precision`. */
    repeats: z.number().int().min(1).max(100).optional(),
    /** Repeat until the results are this precise (components/measure/precision.ts), instead of `repeats`. */
    precision: precisionSchema.optional(),
    /** The server's other guests keep running while a target is measured (a measurement under load). */
    background: z.boolean().optional(),
    trialTimeoutMinutes: z.number().int().min(1).max(1440).default(60),
    parameters: z.record(z.string(), z.unknown()).default({}),
    /** Platform types to measure; default all of each server's. */
    platforms: z
      .array(z.enum(platformTypes))
      .min(1, "at least one platform type (leave platforms out for all)")
      .optional(),
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
/** A benchmark as the program runs it: its repeats or precision and its background resolved. */
export type BenchmarkConfig = Omit<
  z.infer<typeof benchmarkSchema>,
  "repeats" | "precision" | "background"
> & {
  params: unknown;
  /** The fixed count, or with a precision the fewest rounds. */
  repeats: number;
  precision?: Precision;
  background: boolean;
  /** How the server's targets take turns (the stack's `measure`). */
  order: { method: OrderMethod; seed?: string };
};

/**
 * What a benchmark that sets neither `repeats` nor `precision` is measured to:
 * every headline ratio to bare metal known to ±2% (95%, family-wise), in 3 to
 * 10 rounds. The papers' effects are 2-5%; a fixed 3 trials cannot resolve
 * them (docs/measurement.md).
 */
export const defaultPrecision: Precision = { percent: 2, minRepeats: 3, maxRepeats: 10 };

/**
 * How every benchmark is measured, unless a benchmark says otherwise: the
 * order the targets of a server take turns in (randomized blocks from `seed`,
 * or rotating), whether the other guests keep running, and a precision to
 * repeat to instead of a fixed count.
 */
export const measureSchema = z
  .object({
    order: z.enum(orderMethods).default("random"),
    /** The order's seed; default the stack's name. Recorded with every run. */
    seed: z.string().min(1).max(200).optional(),
    background: z.boolean().default(false),
    /** For every benchmark that sets neither `repeats` nor its own `precision`. */
    precision: precisionSchema.default(defaultPrecision),
  })
  .strict()
  .default({ order: "random", background: false, precision: defaultPrecision });

export const testbedSchema = z
  .object({
    measure: measureSchema,
    benchmarks: z.array(benchmarkSchema).default([]),
    servers: z
      .array(serverSchema, {
        error: (iss) =>
          iss.input === undefined ? "required: a list of servers" : "expected a list",
      })
      .min(1, "at least one server"),
  })
  .strict()
  .superRefine(
    (cfg, ctx) => {
      const add = (path: PropertyKey[], message: string) =>
        ctx.addIssue({ code: "custom", path, message });
      // A field that failed may hold anything (a count of 1e308, a string for a
      // list): these checks pass over each server or benchmark with an issue of its
      // own, so they stay cheap and sound, and still look at all the others.
      const failed = new Set(ctx.issues.map((i) => (i.path ?? []).slice(0, 2).join(".")));
      const sound = <T>(list: T[], key: string): [T, number][] =>
        (Array.isArray(list) ? list : []).flatMap((e, i) =>
          failed.has(`${key}.${i}`) ? [] : [[e, i] as [T, number]],
        );
      const benchmarks = sound(cfg.benchmarks, "benchmarks");
      const servers = sound(cfg.servers, "servers");

      // Each benchmark's runs are named after its id, so an id can only appear once.
      const ids = new Map<string, number>();
      for (const [b, i] of benchmarks) {
        const first = ids.get(b.id);
        if (first !== undefined) {
          add(
            ["benchmarks", i, "id"],
            `duplicate benchmark id '${b.id}' (also benchmarks[${first}]); set its parameters in one entry`,
          );
        } else ids.set(b.id, i);
      }

      const seen = new Map<string, string>();
      const footprints = new Map<number, Footprint>();
      for (const [s, i] of servers) {
        for (const n of serverNames(s)) {
          const other = seen.get(n);
          if (other !== undefined) {
            add(
              ["servers", i, "name"],
              n === s.name && other === n
                ? `duplicate server name '${s.name}'`
                : `server '${s.name}'${s.count > 1 ? ` (count ${s.count})` : ""} makes a server named '${n}', as server '${other}' does`,
            );
            break;
          }
          seen.set(n, s.name);
        }
        groupIssues(s, ["servers", i], add);
        footprints.set(i, guestIssues(s, ["servers", i], add));
      }

      // Entries that are one machine (two local servers, one SSH address twice)
      // share its loopback ports, libvirt domains, containers and CTIDs.
      const onHost = new Map<string, number>();
      for (const [s, i] of servers) {
        const met = new Set<number>();
        for (let n = 0; n < s.count; n++) {
          const where = hostKey(s.connection, n);
          const j = onHost.get(where);
          if (j === undefined) onHost.set(where, i);
          else if (j !== i && !met.has(j)) {
            met.add(j);
            sharedHostIssues(footprints.get(j)!, footprints.get(i)!, where, add);
          }
        }
      }

      jumpIssues(servers, add);

      // An emulated server's SSH port is on this machine's loopback, as the local
      // servers' KVM guests' ports are: each port one owner's (not one behind a jump).
      const here = servers.flatMap(([s, i]) =>
        s.connection.type === "emulated" && !s.connection.jump
          ? [
              {
                i,
                server: s.name,
                what: "SSH port",
                from: s.connection.sshPort,
                to: s.connection.sshPort,
              },
            ]
          : s.connection.type === "local"
            ? loopbackRanges(s.guestSshPortBase, kvmGuests(s)).map((r) => ({
                ...r,
                i,
                server: s.name,
              }))
            : [],
      );
      for (const [s, i] of servers) {
        const c = s.connection;
        if (c.type !== "emulated" || c.jump) continue;
        // Two emulated servers on one port: the second is named.
        const r = here.find(
          (r) =>
            (r.what === "SSH port" ? r.i < i : r.i !== i) &&
            r.from <= c.sshPort &&
            c.sshPort <= r.to,
        );
        if (r) {
          add(
            ["servers", i, "connection", "sshPort"],
            `127.0.0.1:${c.sshPort} is taken: server ${r.server}'s ${r.what}` +
              (r.from === r.to ? "" : ` are ${r.from} to ${r.to}`) +
              "; give this emulated server another sshPort",
          );
        }
      }

      // A server without platforms measures nothing, unless a pair uses its host
      // (known only when every benchmark's pairs could be read).
      if (Array.isArray(cfg.benchmarks) && benchmarks.length === cfg.benchmarks.length) {
        const paired = new Set(
          benchmarks.flatMap(([b]) =>
            (b.pairs ?? []).flatMap((p) => [p.server, p.client].map((k) => k.split("/")[0])),
          ),
        );
        const jumps = new Set(
          servers.flatMap(([s]) => (s.connection.type === "emulated" ? [s.connection.jump] : [])),
        );
        for (const [s, i] of servers) {
          if (
            s.platforms.length === 0 &&
            !jumps.has(s.name) &&
            !serverNames(s).some((n) => paired.has(n))
          ) {
            add(
              ["servers", i, "platforms"],
              `an empty list: server '${s.name}' would measure nothing; list baseline (the server itself) and its hypervisors, or leave platforms out for baseline alone`,
            );
          }
        }
      }
      // A benchmark asked for a platform type that no server has would measure nothing there.
      if (Array.isArray(cfg.servers) && servers.length === cfg.servers.length) {
        const types = new Set(servers.flatMap(([s]) => s.platforms.map((p) => p.type)));
        for (const [b, i] of benchmarks) {
          b.platforms?.forEach((t, j) => {
            if (!types.has(t))
              add(["benchmarks", i, "platforms", j], `no server has a ${t} platform to measure`);
          });
        }
      }
    },
    // Also when some field failed: the checks above skip what failed.
    { when: (p) => typeof p.value === "object" && p.value !== null && !Array.isArray(p.value) },
  );

type ParsedServer = z.infer<typeof serverSchema>;
type AddIssue = (path: PropertyKey[], message: string) => void;

/** An emulated server behind another (`connection.jump`): one emulated server in front, one behind it. */
function jumpIssues(servers: [ParsedServer, number][], add: AddIssue): void {
  const byName = new Map(servers.map(([s]) => [s.name, s]));
  const behind = new Map<string, string>();
  for (const [s, i] of servers) {
    const c = s.connection;
    if (c.type !== "emulated" || c.jump === undefined) continue;
    const at = ["servers", i, "connection", "jump"];
    const j = byName.get(c.jump);
    const other = behind.get(c.jump);
    if (c.jump === s.name) add(at, `server '${s.name}' cannot be its own jump host`);
    else if (!j) add(at, `no server named '${c.jump}' in this stack`);
    else if (j.connection.type !== "emulated")
      add(
        at,
        `server '${c.jump}' is not emulated: an emulated server's jump host is another emulated server`,
      );
    else if (j.connection.jump !== undefined)
      add(
        at,
        `server '${c.jump}' is itself behind a jump host: one emulated server in front, one behind`,
      );
    else if (other !== undefined)
      add(
        at,
        `server '${other}' is already behind '${c.jump}': one server behind each emulated jump host`,
      );
    else behind.set(c.jump, s.name);
    // libvirt's qemu+ssh cannot go through it.
    if (s.platforms.some((p) => p.type === "kvm")) {
      add(
        ["servers", i, "platforms"],
        `kvm on server '${s.name}' is managed by libvirt over qemu+ssh, which cannot go through a jump host; leave out jump, or measure containers (lxc) or xen there`,
      );
    }
  }
}

/** `{n}` and `count` go together: each member of a group at a host of its own, the last one's valid too. */
function groupIssues(s: ParsedServer, at: PropertyKey[], add: AddIssue): void {
  const c = s.connection;
  if (s.count === 1) {
    // '{n}' without a group would reach ssh as it is.
    if (c.type !== "ssh") return;
    const key = c.host.includes("{n}")
      ? ["host"]
      : c.jump?.host.includes("{n}")
        ? ["jump", "host"]
        : [];
    if (key.length > 0)
      add(
        [...at, "connection", ...key],
        "'{n}' is a server's number in a group: set count as well",
      );
    return;
  }
  if (c.type !== "ssh" || !c.host.includes("{n}")) {
    add(
      [...at, "count"],
      `${s.count} servers need ${c.type === "ssh" ? "" : "an ssh connection with "}'{n}' in connection.host, one host each (e.g. host: blade-{n}.example.org)`,
    );
    return;
  }
  const last = s.count - 1;
  if (`${s.name}-${last}`.length > 31) {
    add([...at, "name"], `server names up to '${s.name}-${last}' are longer than 31 characters`);
  }
  // The last member's host is the longest, with the highest numbers: checked as the field was for 0.
  for (const [host, key] of [
    [c.host, ["host"]],
    ...(c.jump ? [[c.jump.host, ["jump", "host"]] as const] : []),
  ] as const) {
    const h = host.replace(/\{n\}/g, String(last));
    if (!isHost(h))
      add(
        [...at, "connection", ...key],
        `server '${s.name}-${last}' would be at ${h}: not ${hostExpected}`,
      );
  }
}

/** What a server's guests take on its machine, which another server there must not take as well. */
interface Footprint {
  name: string;
  /** The server's key path. */
  at: PropertyKey[];
  base: number;
  kvmGuests: number;
  /** Guests' objects (libvirt domains, containers), by instance name: the guest, its key path. */
  objects: Map<string, { guest: string; at: PropertyKey[] }>;
  ctids: Map<number, { guest: string; at: PropertyKey[] }>;
}

/**
 * The server's guest plan (components/guests/plan.ts), checked: instance names
 * that clash, KVM loopback ports past 65535, Xen and OpenVZ addresses past the
 * /24, OpenVZ CTIDs that clash.
 */
function guestIssues(s: ParsedServer, at: PropertyKey[], add: AddIssue): Footprint {
  const fp: Footprint = {
    name: s.name,
    at,
    base: s.guestSshPortBase,
    kvmGuests: 0,
    objects: new Map(),
    ctids: new Map(),
  };
  const types = new Set<string>();
  const guestNames = new Set<string>();
  const instances = new Map<string, string>();
  const plan = planGuests(s);
  const planned = (j: number, k: number) =>
    plan.filter((e) => e.platformIndex === j && e.guestIndex === k);
  let kvmGuests = 0;
  let ordinals = 0;
  s.platforms.forEach((p, j) => {
    if (types.has(p.type)) {
      add([...at, "platforms", j, "type"], `a second ${p.type} platform on server '${s.name}'`);
    }
    types.add(p.type);
    if (!("guests" in p)) return;
    p.guests.forEach((g, k) => {
      const gat = [...at, "platforms", j, "guests", k];
      if (guestNames.has(g.name)) {
        add([...gat, "name"], `duplicate guest name '${g.name}' on server '${s.name}'`);
      }
      guestNames.add(g.name);
      const entries = planned(j, k);
      const count = entries.length;
      for (const e of entries) {
        const other = instances.get(e.instance);
        if (other !== undefined && other !== g.name) {
          add(
            [...gat, "name"],
            `guest '${g.name}'${count > 1 ? ` (count ${count})` : ""} makes a guest named '${e.instance}', as guest '${other}' does, on server '${s.name}'`,
          );
          break;
        }
        instances.set(e.instance, g.name);
        if (p.type !== "vmware")
          fp.objects.set(e.instance, { guest: g.name, at: [...gat, "name"] });
      }
      if (p.type === "kvm") {
        const before = kvmGuests;
        kvmGuests += count;
        const top = (n: number) => s.guestSshPortBase + n - 1 + maxForwardOffset;
        if (top(before) <= 65535 && top(kvmGuests) > 65535) {
          add(
            [...gat, "count"],
            `KVM guests' loopback ports run past 65535 (guestSshPortBase ${s.guestSshPortBase} + ${kvmGuests} guests on server '${s.name}', each with forwards at its SSH port + 1000, 2000 and 3000)`,
          );
        }
        if (before <= 1000 && kvmGuests > 1000) {
          add(
            [...gat, "count"],
            `more than 1000 KVM guests on server '${s.name}': their SSH ports would run into their forwards at + 1000`,
          );
        }
      }
      if (p.type === "xen" || p.type === "openvz") {
        const before = ordinals;
        ordinals += count;
        const explicit = p.type === "openvz" ? (g as { ctid?: number }).ctid : undefined;
        let clash = false;
        for (const e of entries) {
          if (e.ctid === undefined) continue;
          const where = [...gat, explicit === undefined ? "name" : "ctid"];
          const other = fp.ctids.get(e.ctid);
          if (other !== undefined && other.guest !== g.name && !clash) {
            clash = true;
            add(
              where,
              `guest '${g.name}' gets CTID ${e.ctid}, as guest '${other.guest}' does, on server '${s.name}'`,
            );
          }
          if (e.ctid > maxCtid && !clash) {
            clash = true;
            add(where, `guest '${g.name}' (count ${count}) gets CTIDs past ${maxCtid}`);
          }
          fp.ctids.set(e.ctid, { guest: g.name, at: where });
        }
        const last = 254 - firstAddressByte + 1;
        if (before <= last && ordinals > last) {
          add(
            [...gat, "count"],
            `more than ${last} Xen and OpenVZ guests on server '${s.name}' (their addresses are 10.19x.0.${firstAddressByte} to .254)`,
          );
        }
      }
    });
  });
  fp.kvmGuests = kvmGuests;
  if (types.has("xen") && types.has("kvm")) {
    add(
      [...at, "platforms"],
      `xen and kvm cannot run on server '${s.name}' at once (Xen owns the CPU's virtualization); use two servers or two stacks`,
    );
  }
  // libvirt's qemu+ssh has no jump host: it would reach the server's address
  // straight from here, maybe another machine than the steps reach.
  if (types.has("kvm") && s.connection.type === "ssh" && s.connection.jump) {
    add(
      [...at, "connection", "jump"],
      `kvm on server '${s.name}' is managed by libvirt over qemu+ssh, which cannot go through a jump host; reach the server directly, or measure containers (lxc) there`,
    );
  }
  return fp;
}

/**
 * Two server entries on one machine (`where`): server `b`, the later one, must
 * not take what `a` takes there. Objects are named for the stack and the guest,
 * not the server (components/guests/naming.ts).
 */
function sharedHostIssues(a: Footprint, b: Footprint, where: string, add: AddIssue): void {
  const both = `servers '${a.name}' and '${b.name}' are one machine (${where})`;
  const overlap = loopbackRanges(b.base, b.kvmGuests).flatMap((rb) =>
    loopbackRanges(a.base, a.kvmGuests)
      .filter((ra) => ra.from <= rb.to && rb.from <= ra.to)
      .map((ra) => ({ port: Math.max(ra.from, rb.from), ra, rb })),
  )[0];
  if (overlap) {
    add(
      [...b.at, "guestSshPortBase"],
      `${both}: loopback port ${overlap.port} would be ${b.name}'s ${overlap.rb.what} and ${a.name}'s ${overlap.ra.what}; give each its own guestSshPortBase range (a KVM guest takes its SSH port and that port + 1000, 2000 and 3000)`,
    );
  }
  for (const [name, g] of b.objects) {
    const other = a.objects.get(name);
    if (other) {
      add(
        g.at,
        `${both}: guest '${g.guest}' would have the libvirt domain or container of ${a.name}'s guest '${other.guest}' (named for the stack and guest); rename one`,
      );
      break;
    }
  }
  for (const [ctid, g] of b.ctids) {
    const other = a.ctids.get(ctid);
    if (other) {
      add(
        g.at,
        `${both}: guest '${g.guest}' gets CTID ${ctid}, as ${a.name}'s guest '${other.guest}' does`,
      );
      break;
    }
  }
}

/** The names a server entry makes: its own, or <name>-0 ... for a group. */
function serverNames(s: { name: string; count: number }): string[] {
  return s.count > 1 ? Array.from({ length: s.count }, (_, n) => `${s.name}-${n}`) : [s.name];
}

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
/** The JSON Schema of the config and of each benchmark's parameters, made once, for "did you mean". */
const jsonSchemas = new Map<z.ZodType, JsonSchema>();
const jsonOf = (s: z.ZodType): JsonSchema => {
  let j = jsonSchemas.get(s);
  if (!j) jsonSchemas.set(s, (j = jsonSchemaOf(s)));
  return j;
};

/** "unknown key", and the key meant when one of the keys that object may have is near it. */
function unknownKey(
  schema: z.ZodType | undefined,
  path: PropertyKey[],
  key: PropertyKey,
  value: unknown,
): string {
  const meant =
    schema && typeof key === "string"
      ? didYouMean(key, keysAt(jsonOf(schema), path, value))
      : undefined;
  return meant ? `unknown key (did you mean ${meant}?)` : "unknown key";
}

function issueLines(
  prefix: PropertyKey[],
  issues: readonly z.core.$ZodIssue[],
  /** The schema the issues' paths are of: its keys are the suggestions for an unknown one. */
  schema?: z.ZodType,
  /** The value checked: which branch of a union (a platform's type) the keys are from. */
  value?: unknown,
): string[] {
  // `.int()` also bounds a number to +-2^53, so 1e308 is told that and the key's
  // own range: the range alone says what is expected.
  const at = (i: z.core.$ZodIssue) => `${i.code} ${keyPath(i.path)}`;
  const safe = (i: z.core.$ZodIssue) =>
    (i.code === "too_big" && i.maximum === Number.MAX_SAFE_INTEGER) ||
    (i.code === "too_small" && i.minimum === Number.MIN_SAFE_INTEGER);
  const ranged = new Set(issues.filter((i) => !safe(i)).map(at));
  return issues
    .filter((i) => !safe(i) || !ranged.has(at(i)))
    .flatMap((i) =>
      i.code === "unrecognized_keys"
        ? i.keys.map(
            (k) =>
              `  ${namespace}:${keyPath([...prefix, ...i.path, k])}: ${unknownKey(schema, i.path, k, value)}`,
          )
        : [`  ${namespace}:${keyPath([...prefix, ...i.path])}: ${i.message}`],
    );
}

/** Whether a vmware guest can host a pair's server (components/guests/index.ts). */
function vmwarePairServer(s: Server, key: string): boolean {
  const guest = key.split("/")[2];
  for (const p of s.platforms) {
    if (p.type !== "vmware") continue;
    const g = p.guests.find((g) => g.name === guest);
    if (g) return reachedAtAddress(g.connection);
  }
  return false;
}

/** Each target a server's config makes, by `<server>/<platform>/<guest>`, with its platform type. */
function targetsOf(servers: readonly Server[]): Map<string, { server: Server; platform: string }> {
  const out = new Map<string, { server: Server; platform: string }>();
  for (const s of servers) {
    out.set(`${s.name}/baseline/host`, { server: s, platform: "baseline" });
    for (const e of planGuests(s)) {
      out.set(`${s.name}/${e.platform}/${e.instance}`, { server: s, platform: e.platform });
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
      const side = (key: string, t: { server: Server; platform: string }): PairSide => ({
        key,
        physical: t.server.name,
        platform: t.platform,
        atAddress:
          t.platform === "vmware"
            ? vmwarePairServer(t.server, key)
            : reachedAtAddress(t.server.connection),
        agentKey: t.server.connection.type === "ssh" && t.server.connection.agent,
      });
      const problem = pairProblem(side(p.server, server), side(p.client, client));
      if (problem) {
        out.push(
          `${problem.at === "pair" ? at("pairs", j) : at("pairs", j, problem.at)}: ${problem.message}`,
        );
      }
    });
  });
  return out;
}

/**
 * The port each benchmark that serves something listens on in its target: a
 * pair's server (iperf, ab) and postal's Postfix.
 */
const listensOn: Record<string, (params: unknown) => number> = {
  ...Object.fromEntries(Object.entries(pairs).map(([id, p]) => [id, p.port])),
  postal: (p) => (p as PostalParameters).port,
};

/**
 * A benchmark's port that is taken where it listens: on a server's host, by the
 * KVM guests' loopback ports there (any server entry's on that machine) or the
 * server's SSH port; in a VM guest, by its SSH server on 22.
 */
function portIssues(list: readonly z.infer<typeof benchmarkSchema>[], servers: Server[]): string[] {
  const loopback = new Map<string, { server: string; what: string; from: number; to: number }[]>();
  for (const s of servers) {
    const where = hostKey(s.connection, 0);
    const ranges = loopbackRanges(s.guestSshPortBase, kvmGuests(s)).map((r) => ({
      ...r,
      server: s.name,
    }));
    loopback.set(where, [...(loopback.get(where) ?? []), ...ranges]);
  }
  const out: string[] = [];
  list.forEach((b, i) => {
    if (!Object.prototype.hasOwnProperty.call(listensOn, b.id)) return;
    const port = listensOn[b.id]((b as BenchmarkConfig).params);
    const at = `  ${namespace}:${keyPath(["benchmarks", i, "parameters", "port"])}`;
    // Where its server runs: a pair's server target, else every target the platforms filter keeps.
    const runsIn = (s: Server, platform: string) =>
      b.pairs
        ? b.pairs.some((p) => p.server.startsWith(`${s.name}/${platform}/`))
        : s.platforms.some(
            (p) => p.type === platform && (!("guests" in p) || p.guests.length > 0),
          ) &&
          (!b.platforms || (b.platforms as readonly string[]).includes(platform));
    const vm = port === 22 && servers.flatMap((s) => ["kvm", "xen"].filter((t) => runsIn(s, t)))[0];
    if (vm) {
      out.push(
        `${at}: port 22 is the SSH server of the ${vm} guests ${b.id} runs in; pick another`,
      );
      return;
    }
    for (const s of servers.filter((s) => runsIn(s, "baseline"))) {
      const c = s.connection;
      const r = loopback.get(hostKey(c, 0))?.find((r) => r.from <= port && port <= r.to);
      if (r || (c.type === "ssh" && c.port === port)) {
        out.push(
          `${at}: port ${port} is taken on server ${s.name}: ` +
            (r
              ? `server ${r.server}'s ${r.what} are ${r.from} to ${r.to} there`
              : "its SSH server listens there"),
        );
        return;
      }
    }
  });
  return out;
}

/** How many KVM guests a server runs. */
const kvmGuests = (s: ParsedServer) =>
  s.platforms.reduce(
    (n, p) => n + (p.type === "kvm" ? p.guests.reduce((m, g) => m + g.count, 0) : 0),
    0,
  );

/** Validates raw config; throws one message listing every bad key as `testbed:<path>: <problem>`. */
export function parseTestbedConfig(raw: Record<string, unknown>): TestbedConfig {
  // z.record and object spreads would drop such keys without a word: named as unknown.
  const proto = protoKeyPaths(raw).map((p) => `  ${namespace}:${keyPath(p)}: unknown key`);
  if (proto.length > 0) throw new Error(`invalid stack configuration:\n${proto.join("\n")}`);
  const result = testbedSchema.safeParse(raw);
  const lines = result.success ? [] : issueLines([], result.error.issues, testbedSchema, raw);
  // Every error in one pass: the benchmarks' parameters are checked even when the rest is not right.
  if (!result.success) lines.push(...rawParameterIssues(raw.benchmarks));
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
        lines.push(
          ...issueLines(
            ["benchmarks", i, "parameters"],
            p.error.issues,
            m.parameters,
            b.parameters,
          ),
        );
        return;
      }
      if (b.repeats !== undefined && b.precision !== undefined) {
        lines.push(
          `  ${namespace}:${keyPath(["benchmarks", i, "precision"])}: either a fixed count (repeats) or a precision, not both`,
        );
        return;
      }
      try {
        m.environment(p.data);
        const measure = result.data.measure;
        Object.assign(b, {
          params: p.data,
          // A benchmark's own count or precision wins over the stack's precision.
          precision: b.precision ?? (b.repeats === undefined ? measure.precision : undefined),
          repeats: b.repeats ?? (b.precision ?? measure.precision).minRepeats,
          background: b.background ?? measure.background,
          order: { method: measure.order, seed: measure.seed },
        });
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
    lines.push(...portIssues(result.data.benchmarks, servers));
    lines.push(...keyNameIssues(result.data.servers));
    if (lines.length === 0) return { ...result.data, servers } as TestbedConfig;
  }
  throw new Error(`invalid stack configuration:\n${lines.join("\n")}`);
}

/** The parameters of benchmarks as written, by their modules' schemas, when the config as a whole did not parse. */
function rawParameterIssues(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((b: unknown, i) => {
    if (typeof b !== "object" || b === null) return [];
    const { id, profile, parameters } = b as Record<string, unknown>;
    if (typeof id !== "string" || !Object.prototype.hasOwnProperty.call(benchmarks, id)) return [];
    const bad = typeof parameters !== "object" || parameters === null || Array.isArray(parameters);
    // A wrong type is said by the main schema already.
    if (parameters !== undefined && bad) return [];
    const m = benchmarks[id];
    const base = profile === "quick" ? { ...(m.quick as object) } : {};
    const p = m.parameters.safeParse({ ...base, ...(parameters as object | undefined) });
    return p.success
      ? []
      : issueLines(["benchmarks", i, "parameters"], p.error.issues, m.parameters, parameters);
  });
}

/**
 * Keys are found by name under testbed:sshKeys, servers' (and groups') and
 * VMware guests' alike: two of them with one name would share a key, and a
 * server's key would be handed to a guest and used on its server.
 */
function keyNameIssues(servers: readonly ParsedServer[]): string[] {
  const owners = new Map<string, string>();
  const out: string[] = [];
  const take = (name: string, what: string, at: PropertyKey[]) => {
    const other = owners.get(name);
    if (other !== undefined) {
      out.push(
        `  ${namespace}:${keyPath(at)}: ${what} '${name}' has the name of ${other}, and their SSH keys (testbed:sshKeys.${name}) would be one; rename one`,
      );
    } else {
      owners.set(name, `${what} '${name}'`);
    }
  };
  // Servers of one name are refused already (serverIssues).
  for (const s of servers) {
    owners.set(s.name, `${s.count > 1 ? "server group" : "server"} '${s.name}'`);
    if (s.count > 1) serverNames(s).forEach((n) => owners.set(n, `server '${n}'`));
  }
  servers.forEach((s, i) =>
    s.platforms.forEach((p, j) => {
      if (p.type !== "vmware") return;
      p.guests.forEach((g, k) =>
        take(g.name, "vmware guest", ["servers", i, "platforms", j, "guests", k, "name"]),
      );
    }),
  );
  return out;
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
    ...(s.connection.type === "ssh"
      ? s.connection.agent
        ? []
        : [{ name: s.name, group: s.group, what: "server", file: s.connection.privateKeyFile }]
      : []),
    ...s.platforms.flatMap((p) =>
      p.type === "vmware"
        ? p.guests.map((g) => ({
            name: g.name,
            group: g.name,
            what: "vmware guest",
            file: g.connection.privateKeyFile,
          }))
        : [],
    ),
  ]);
  const missing = needKeys
    .filter((k) => !k.file)
    .filter((k) => typeof serverKey((keys ?? {}) as Record<string, string>, k) !== "string")
    // A group's members share their group's key: name it once.
    .filter((k, i, all) => all.findIndex((o) => o.group === k.group) === i)
    .map((k) => {
      const at = k.group === k.name ? k.name : k.group;
      const who = k.group === k.name ? `${k.what} ${k.name}` : `servers ${k.group}-0 ... (count)`;
      return (
        `  ${sshKeyPath(at)}: required (the SSH private key for ${who}); set it with\n` +
        `    npm run pulumi -- config set --secret --path '${sshKeyPath(at)}' < KEYFILE\n` +
        `    or name the file in the connection: privateKeyFile: /path/to/KEYFILE` +
        (k.what === "server" ? "\n    or use ssh-agent's keys: agent: true" : "")
      );
    });
  if (missing.length > 0) throw new Error(`invalid stack configuration:\n${missing.join("\n")}`);
}

export interface LoadedConfig extends TestbedConfig {
  /** Private keys by server name, as one secret. */
  sshKeys: pulumi.Output<Record<string, string>>;
  /** The other values set as secrets, to be kept out of every output (see secrets.ts). */
  secrets: string[];
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

/**
 * A private key named by `privateKeyFile`: a regular file of this user's that
 * no one else may read or change (as ssh itself insists), read now and kept
 * only as a secret. Errors name the key path of the setting.
 */
export function readKeyFile(file: string, at: string): string {
  // A link is followed (as ssh does). What is opened must be a regular file
  // before it is opened (opening a device can do something), and the same
  // file after: what is checked is what is read, through one descriptor.
  let fd: number;
  let before: fs.Stats;
  try {
    before = fs.statSync(file);
    if (!before.isFile()) throw new Error(`${at}: refusing ${file}: not a regular file`);
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
  } catch (e) {
    if (e instanceof Error && e.message.startsWith(`${at}:`)) throw e;
    throw new Error(`${at}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.dev !== before.dev || st.ino !== before.ino) {
      throw new Error(`${at}: refusing ${file}: it changed while being read`);
    }
    const uid = process.getuid?.();
    const why = !st.isFile()
      ? "not a regular file"
      : uid !== undefined && st.uid !== uid
        ? `owned by uid ${st.uid}, not by this user (${uid})`
        : (st.mode & 0o077) !== 0
          ? `readable or writable by others (mode ${(st.mode & 0o777).toString(8)}): chmod 600 it`
          : st.size > 64 * 1024
            ? "larger than 64 KiB: not a private key"
            : "";
    if (why) throw new Error(`${at}: refusing ${file}: ${why}`);
    const text = fs.readFileSync(fd, "utf8");
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
      throw new Error(`${at}: ${file} holds no PEM or OpenSSH private key`);
    }
    return text;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * What is wrong with how the stack keeps its secrets: a private key in plain
 * text in its file (an error), or secrets under an empty passphrase, which
 * anyone with the stack file can read (a warning). Pure, for the tests.
 */
export function secretsAtRest(
  file: string,
  text: string,
  secretKeys: readonly string[],
  env: NodeJS.ProcessEnv,
  /** The key files (privateKeyFile) read into the state as secrets. */
  keyFiles: readonly string[] = [],
): { error?: string; warning?: string } {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    return {
      error:
        `invalid stack configuration:\n  ${file}: holds a private key in plain text; remove it and ` +
        `set it with --secret (config set --secret --path '${sshKeyPath("<server>")}' < KEYFILE), ` +
        "or name the file in the connection (privateKeyFile)",
    };
  }
  // A stack file with a salt uses the passphrase provider (others keep none).
  const held = [...secretKeys, ...keyFiles.map((f) => `the key in ${f} (kept in the state)`)];
  if (
    held.length > 0 &&
    /^encryptionsalt:/m.test(text) &&
    env.PULUMI_CONFIG_PASSPHRASE === "" &&
    !env.PULUMI_CONFIG_PASSPHRASE_FILE
  ) {
    return {
      warning:
        `${held.join(", ")}: secret, but the stack's passphrase is empty, so anyone with ` +
        `${file} and the state can read it. Set PULUMI_CONFIG_PASSPHRASE or ` +
        "PULUMI_CONFIG_PASSPHRASE_FILE and run `npm run pulumi -- stack change-secrets-provider " +
        "passphrase`, or give servers ssh-agent's keys (agent: true), which never enter the state.",
    };
  }
  return {};
}

/** The stack file's name and text (undefined when there is none here: config kept elsewhere). */
function stackFile(): { file: string; text?: string } {
  const file = `Pulumi.${pulumi.getStack()}.yaml`;
  try {
    return { file, text: fs.readFileSync(file, "utf8") };
  } catch {
    return { file };
  }
}

/** The config keys Pulumi marks secret: the SDK knows them but does not type it as public. */
function secretConfigKeys(): string[] {
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean };
  // Without it no secret would be found, and every one shown: fail rather than open.
  const isSecret = runtime.isConfigSecret;
  if (typeof isSecret !== "function") {
    throw new Error(
      "this Pulumi SDK does not say which config values are secret (runtime.isConfigSecret)",
    );
  }
  return Object.keys(pulumi.runtime.allConfig()).filter((k) => isSecret(k));
}

function checkSecretsAtRest(file: string, text: string, keyFiles: readonly string[]): void {
  const { error, warning } = secretsAtRest(file, text, secretConfigKeys(), process.env, keyFiles);
  if (error) throw new Error(error);
  if (warning) pulumi.log.warn(warning);
}

/**
 * The values of the stack's config set as secrets, SSH keys aside (they only
 * ever reach a connection, itself secret). A secret that cannot be kept out of
 * outputs is an error naming its key.
 */
function stackSecrets(file: string, text: string | undefined): string[] {
  const config = pulumi.runtime.allConfig();
  const keys = secretConfigKeys().filter((k) => k !== `${namespace}:sshKeys`);
  const found = configSecrets(config, keys, text, namespace);
  if (found.issues.length > 0) {
    throw new Error(`invalid stack configuration:\n${found.issues.join("\n")}`);
  }
  if (found.guessed.length > 0) {
    pulumi.log.warn(
      `${found.guessed.join(", ")}: secret, but which of its values are secret is not told by ` +
        `${file}: all its text of ${minSecretLength} or more characters is kept secret (shorter ` +
        "text and numbers are not); set each secret value with --path to keep only those",
    );
  }
  return found.values;
}

/**
 * Servers measured on this one machine: the local one and every emulated one
 * (a QEMU process here). Each server's runs take turns, but two servers
 * measure at once, on one CPU: said at preview. Not chained by dependencies:
 * one server's failure would then skip the other's runs and archive.
 */
export function oneCpuWarning(servers: readonly Server[]): string | undefined {
  const here = servers.filter((s) => s.connection.type !== "ssh" && s.platforms.length > 0);
  if (here.length < 2) return undefined;
  return (
    `servers ${here.map((s) => s.name).join(", ")} are all this machine (the local server, and ` +
    "emulated servers running in QEMU here): their benchmarks run at the same time on one CPU " +
    "and disturb each other's figures; measure one of them per stack, one stack after another"
  );
}

/** Reads and validates the stack's config before any resource is created. */
export function loadTestbedConfig(): LoadedConfig {
  const cfg = new pulumi.Config(namespace);
  const { file, text } = stackFile();
  const secrets = stackSecrets(file, text);
  // A message about a setting may quote it: never a secret one.
  const hide = redactor(secrets).text;
  let parsed: TestbedConfig;
  try {
    parsed = parseTestbedConfig(stackConfigValues());
  } catch (e) {
    throw new Error(hide((e as Error).message));
  }
  const keyFiles = parsed.servers.flatMap((s) => [
    ...(s.connection.type === "ssh" && s.connection.privateKeyFile
      ? [s.connection.privateKeyFile]
      : []),
    ...s.platforms.flatMap((p) =>
      p.type === "vmware"
        ? p.guests.flatMap((g) =>
            g.connection.privateKeyFile ? [g.connection.privateKeyFile] : [],
          )
        : [],
    ),
  ]);
  checkSecretsAtRest(file, text ?? "", [...new Set(keyFiles)]);
  const shared = oneCpuWarning(parsed.servers);
  if (shared) pulumi.log.warn(shared);
  // Only to see which keys exist; the values are used through the secret below.
  checkSshKeys(parsed, cfg.getObject<Record<string, unknown>>("sshKeys"));
  // Keys named by file join those set as secrets, under the same names.
  const fromFiles: Record<string, string> = {};
  // Named by server (a group's members share one entry), not by list index.
  for (const s of parsed.servers) {
    // No key: the provider asks the ssh-agent.
    if (s.connection.type === "ssh" && s.connection.agent) fromFiles[s.group] ??= "";
    if (s.connection.type === "ssh" && s.connection.privateKeyFile) {
      fromFiles[s.group] ??= readKeyFile(
        s.connection.privateKeyFile,
        `server '${s.group}': connection.privateKeyFile`,
      );
    }
    for (const p of s.platforms) {
      if (p.type !== "vmware") continue;
      for (const g of p.guests) {
        if (!g.connection.privateKeyFile) continue;
        fromFiles[g.name] = readKeyFile(
          g.connection.privateKeyFile,
          `server '${s.group}': vmware guest '${g.name}': connection.privateKeyFile`,
        );
      }
    }
  }
  const secretKeys =
    cfg.getSecretObject<Record<string, string>>("sshKeys") ??
    pulumi.secret<Record<string, string>>({});
  const sshKeys = pulumi.secret(secretKeys.apply((k) => ({ ...k, ...fromFiles })));
  return { ...parsed, sshKeys, secrets };
}
