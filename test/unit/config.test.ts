import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import {
  checkSshKeys,
  kvmForwards,
  loadTestbedConfig,
  oneCpuWarning,
  parseTestbedConfig,
  readKeyFile,
  secretsAtRest,
  serverKey,
  stackConfigValues,
} from "../../components/config";
import { scratchDir } from "../helpers/scratch";

const local = { name: "local", connection: { type: "local" } };
const ssh = { type: "ssh", host: "blade1" };

/** The message a config gets, or "ok". */
function verdict(raw: Record<string, unknown>): string {
  try {
    parseTestbedConfig(raw);
    return "ok";
  } catch (e) {
    return (e as Error).message;
  }
}

/** `testbed:servers[0].name: problem` lines of a message -> [key path, problem]. */
function named(message: string): [string, string][] {
  return message
    .split("\n")
    .slice(1)
    .map((l) => {
      const m = /^ {2}testbed:(.*?): (.*)$/.exec(l);
      if (!m) throw new Error(`not a "testbed:<key>: <problem>" line: ${JSON.stringify(l)}`);
      return [m[1], m[2]];
    });
}

// Shorthands for configs with one server, one platform, one guest or one benchmark.
const server = (s: object) => ({ servers: [{ ...local, ...s }] });
const platform = (p: object) => server({ platforms: [p] });
const guest = (type: string, g: object, p: object = {}) =>
  platform({ type, ...p, guests: [{ name: "g", ...g }] });
const kvmGuest = (g: object) => guest("kvm", g);
const bench = (b: object) => ({ servers: [local], benchmarks: [b] });
const params = (id: string, parameters: object, b: object = {}) => bench({ id, parameters, ...b });
// Two servers for pairs: this one with bare metal, two VM guests and a container; another over SSH.
const pairsOf = (pairs: object[], id = "iperf3", b: object = {}) => ({
  servers: [
    {
      ...local,
      platforms: [
        { type: "baseline" },
        { type: "kvm", guests: [{ name: "vm", count: 2 }] },
        { type: "lxc", guests: [{ name: "ct" }] },
      ],
    },
    { name: "far", connection: { type: "ssh", host: "127.0.0.1", port: 2222 } },
  ],
  benchmarks: [{ id, profile: "quick", pairs, ...b }],
});
// What YAML or `pulumi config set` can give and an object literal cannot: own "__proto__" keys.
const json = (text: string) => JSON.parse(text) as Record<string, unknown>;

type Kind =
  | "missing"
  | "wrong type"
  | "out of range"
  | "malformed"
  | "unknown key"
  | "unknown profile"
  | "unknown value"
  | "shell metacharacters"
  | "duplicate name"
  | "conflict";

interface Case {
  what: string;
  kind: Kind;
  /** The `testbed:` keys of a stack, as its YAML gives them. */
  config: Record<string, unknown>;
  /** The key path the message must name (and the only one it names). */
  path: string;
  /** What the message must say about it, when more than "it is wrong" matters. */
  message?: RegExp;
}

// Every kind of bad value, at every level of the config. docs/faults.md keeps this
// table with the messages (see "docs/faults.md lists these cases" below).
const cases: Case[] = [
  // ------------------------------------------------------------ top-level keys
  { what: "no servers key", kind: "missing", config: {}, path: "servers", message: /^required/ },
  {
    what: "servers is a string",
    kind: "wrong type",
    config: { servers: "local" },
    path: "servers",
    message: /expected a list/,
  },
  {
    what: "empty server list",
    kind: "out of range",
    config: { servers: [] },
    path: "servers",
    message: /at least one server/,
  },
  {
    what: "benchmarks is an object",
    kind: "wrong type",
    config: { servers: [local], benchmarks: { id: "bonnie" } },
    path: "benchmarks",
    message: /expected array/,
  },
  {
    what: "a top-level key typo (testbed:benchmark)",
    kind: "unknown key",
    config: { servers: [local], benchmark: [{ id: "bonnie" }] },
    path: "benchmark",
    message: /^unknown key \(did you mean benchmarks\?\)$/,
  },
  {
    what: "a top-level `__proto__` key",
    kind: "unknown key",
    config: json('{"servers": [{"name": "a", "connection": {"type": "local"}}], "__proto__": {}}'),
    path: "__proto__",
    message: /^unknown key$/,
  },
  // ------------------------------------------------------------ servers
  {
    what: "a server without a name",
    kind: "missing",
    config: { servers: [{ connection: { type: "local" } }] },
    path: "servers[0].name",
    message: /^required$/,
  },
  {
    what: "a server name that is a number",
    kind: "wrong type",
    config: server({ name: 7 }),
    path: "servers[0].name",
    message: /expected a string/,
  },
  {
    what: "a server that is null",
    kind: "wrong type",
    config: { servers: [null] },
    path: "servers[0]",
    message: /expected object/,
  },
  {
    what: "';' in a server name",
    kind: "shell metacharacters",
    config: server({ name: "a;rm -rf /" }),
    path: "servers[0].name",
    message: /lowercase letters/,
  },
  {
    what: "'$(...)' in a server name",
    kind: "shell metacharacters",
    config: server({ name: "$(reboot)" }),
    path: "servers[0].name",
    message: /lowercase letters/,
  },
  {
    what: "a server name of 40 characters",
    kind: "out of range",
    config: server({ name: "a".repeat(40) }),
    path: "servers[0].name",
    message: /at most 31 characters/,
  },
  {
    what: "an upper-case server name",
    kind: "malformed",
    config: server({ name: "Blade" }),
    path: "servers[0].name",
    message: /lowercase letters/,
  },
  {
    what: "two servers of the same name",
    kind: "duplicate name",
    config: { servers: [local, local] },
    path: "servers[1].name",
    message: /duplicate server name 'local'/,
  },
  {
    what: "a group of servers makes a name another server has",
    kind: "duplicate name",
    config: {
      servers: [
        { name: "blade-1", connection: ssh },
        { name: "blade", count: 3, connection: { type: "ssh", host: "b{n}" } },
      ],
    },
    path: "servers[1].name",
    message: /server 'blade' \(count 3\) makes a server named 'blade-1', as server 'blade-1' does/,
  },
  {
    what: "a group of servers on the local machine",
    kind: "conflict",
    config: server({ count: 2 }),
    path: "servers[0].count",
    message: /an ssh connection with '\{n\}' in connection.host/,
  },
  {
    what: "a group of servers all at one host",
    kind: "conflict",
    config: { servers: [{ name: "blade", count: 2, connection: ssh }] },
    path: "servers[0].count",
    message: /'\{n\}' in connection.host, one host each/,
  },
  {
    what: "{n} in a host without count",
    kind: "conflict",
    config: { servers: [{ name: "blade", connection: { type: "ssh", host: "b{n}" } }] },
    path: "servers[0].connection.host",
    message: /set count as well/,
  },
  {
    what: "a group of 1000 servers",
    kind: "out of range",
    config: { servers: [{ name: "b", count: 1000, connection: { type: "ssh", host: "b{n}" } }] },
    path: "servers[0].count",
  },
  {
    // Once an "Invalid array length" from the name check, which ran on it anyway.
    what: "a group of 1e308 servers",
    kind: "out of range",
    config: { servers: [{ name: "b", count: 1e308, connection: { type: "ssh", host: "b{n}" } }] },
    path: "servers[0].count",
    message: /^Too big: expected number to be <=999$/,
  },
  {
    what: "a group whose last member's host is no address (10.0.0.{n}, count 300)",
    kind: "malformed",
    config: {
      servers: [{ name: "b", count: 300, connection: { type: "ssh", host: "10.0.0.{n}" } }],
    },
    path: "servers[0].connection.host",
    message: /server 'b-299' would be at 10\.0\.0\.299: not a DNS name/,
  },
  {
    what: "an empty platform list",
    kind: "out of range",
    config: server({ platforms: [] }),
    path: "servers[0].platforms",
    message: /an empty list: server 'local' would measure nothing/,
  },
  {
    what: "guestSshPortBase past 62535 (its guests' forwards would pass 65535)",
    kind: "out of range",
    config: server({ guestSshPortBase: 63000 }),
    path: "servers[0].guestSshPortBase",
    message: /at most 62535: a KVM guest's forwards are at its SSH port \+ 1000, 2000 and 3000/,
  },
  {
    what: "two local servers whose KVM guests' loopback ports overlap",
    kind: "conflict",
    config: {
      servers: [
        { ...local, platforms: [{ type: "kvm", guests: [{ name: "a", count: 2 }] }] },
        {
          name: "other",
          connection: { type: "local" },
          guestSshPortBase: 23201,
          platforms: [{ type: "kvm", guests: [{ name: "b" }] }],
        },
      ],
    },
    path: "servers[1].guestSshPortBase",
    message:
      /servers 'local' and 'other' are one machine \(the local machine\): loopback port 23201 would be other's KVM guests' SSH ports and local's KVM guests' iperf3 forward ports/,
  },
  {
    what: "a probe kernel path with a newline",
    kind: "malformed",
    config: server({ probe: { kernel: "/boot/vmlinuz\n-x" } }),
    path: "servers[0].probe.kernel",
    message: /without control characters/,
  },
  {
    what: "an unknown server key",
    kind: "unknown key",
    config: server({ colour: "red" }),
    path: "servers[0].colour",
    message: /^unknown key$/,
  },
  {
    what: "a `__proto__` key in a server",
    kind: "unknown key",
    config: json('{"servers": [{"name": "a", "connection": {"type": "local"}, "__proto__": {}}]}'),
    path: "servers[0].__proto__",
  },
  {
    what: "an unknown hardware profile",
    kind: "unknown profile",
    config: server({ profile: "cray-1" }),
    path: "servers[0].profile",
    message: /"auto"/,
  },
  {
    what: "strictProfile as a string",
    kind: "wrong type",
    config: server({ strictProfile: "yes" }),
    path: "servers[0].strictProfile",
    message: /expected boolean/,
  },
  {
    what: "guestSshPortBase below 1024",
    kind: "out of range",
    config: server({ guestSshPortBase: 80 }),
    path: "servers[0].guestSshPortBase",
    message: />=\s*1024/,
  },
  {
    what: "probe timeout of 0",
    kind: "out of range",
    config: server({ probe: { kvmTimeoutSeconds: 0 } }),
    path: "servers[0].probe.kvmTimeoutSeconds",
    message: />=\s*1/,
  },
  {
    what: "probe timeout of 1.5",
    kind: "wrong type",
    config: server({ probe: { tcgTimeoutSeconds: 1.5 } }),
    path: "servers[0].probe.tcgTimeoutSeconds",
    message: /expected int/,
  },
  {
    what: "a relative probe kernel path",
    kind: "malformed",
    config: server({ probe: { kernel: "vmlinuz" } }),
    path: "servers[0].probe.kernel",
    message: /an absolute path/,
  },
  {
    what: "an unknown probe key",
    kind: "unknown key",
    config: server({ probe: { kernal: "/boot/vmlinuz" } }),
    path: "servers[0].probe.kernal",
  },
  // ------------------------------------------------------------ connection / ssh
  {
    what: "a server without a connection",
    kind: "missing",
    config: { servers: [{ name: "local" }] },
    path: "servers[0].connection",
  },
  {
    what: "an unknown connection type",
    kind: "unknown value",
    config: server({ connection: { type: "telnet" } }),
    path: "servers[0].connection.type",
    message: /expected \{ type: local \}, \{ type: ssh, host: ... \} or \{ type: emulated \}/,
  },
  {
    what: "a host on a local connection",
    kind: "unknown key",
    config: server({ connection: { type: "local", host: "blade1" } }),
    path: "servers[0].connection.host",
  },
  {
    what: "an ssh connection without a host",
    kind: "missing",
    config: server({ connection: { type: "ssh" } }),
    path: "servers[0].connection.host",
    message: /^required$/,
  },
  {
    what: "an ssh host that is a list",
    kind: "wrong type",
    config: server({ connection: { type: "ssh", host: ["blade1"] } }),
    path: "servers[0].connection.host",
    message: /expected a string/,
  },
  {
    what: "';' in an ssh host",
    kind: "shell metacharacters",
    config: server({ connection: { ...ssh, host: "a;reboot" } }),
    path: "servers[0].connection.host",
    message: /^a DNS name, an IPv4 address or an IPv6 address without brackets$/,
  },
  {
    what: "an ssh host a:b:c (neither a name nor an IPv6 address)",
    kind: "malformed",
    config: server({ connection: { ...ssh, host: "a:b:c" } }),
    path: "servers[0].connection.host",
    message: /^a DNS name, an IPv4 address or an IPv6 address without brackets$/,
  },
  {
    what: "an ssh host 1........... (empty labels)",
    kind: "malformed",
    config: server({ connection: { ...ssh, host: "1..........." } }),
    path: "servers[0].connection.host",
  },
  {
    what: "an ssh host 10.0.0.300 (an address out of range, not a name)",
    kind: "malformed",
    config: server({ connection: { ...ssh, host: "10.0.0.300" } }),
    path: "servers[0].connection.host",
  },
  {
    what: "an IPv6 ssh host in brackets",
    kind: "malformed",
    config: server({ connection: { ...ssh, host: "[::1]" } }),
    path: "servers[0].connection.host",
  },
  {
    what: "'$(...)' in an ssh host",
    kind: "shell metacharacters",
    config: server({ connection: { ...ssh, host: "$(id)" } }),
    path: "servers[0].connection.host",
  },
  {
    what: "a space and an option in an ssh host",
    kind: "shell metacharacters",
    config: server({ connection: { ...ssh, host: "blade1 -oProxyCommand=id" } }),
    path: "servers[0].connection.host",
  },
  {
    what: "ssh port 70000",
    kind: "out of range",
    config: server({ connection: { ...ssh, port: 70000 } }),
    path: "servers[0].connection.port",
    message: /<=\s*65535/,
  },
  {
    what: "ssh port 0",
    kind: "out of range",
    config: server({ connection: { ...ssh, port: 0 } }),
    path: "servers[0].connection.port",
  },
  {
    what: "ssh port as a string",
    kind: "wrong type",
    config: server({ connection: { ...ssh, port: "22" } }),
    path: "servers[0].connection.port",
    message: /expected number/,
  },
  {
    what: "'`...`' in an ssh user",
    kind: "shell metacharacters",
    config: server({ connection: { ...ssh, user: "root`id`" } }),
    path: "servers[0].connection.user",
    message: /a Unix user name/,
  },
  {
    what: "connectTimeoutSeconds of 0",
    kind: "out of range",
    config: server({ connection: { ...ssh, connectTimeoutSeconds: 0 } }),
    path: "servers[0].connection.connectTimeoutSeconds",
  },
  {
    what: "an ssh password",
    kind: "unknown key",
    config: server({ connection: { ...ssh, password: "secret" } }),
    path: "servers[0].connection.password",
  },
  {
    what: "'|' in a jump host",
    kind: "shell metacharacters",
    config: server({ connection: { ...ssh, jump: { host: "gw|id" } } }),
    path: "servers[0].connection.jump.host",
  },
  {
    what: "{n} in a jump host without count",
    kind: "conflict",
    config: server({ connection: { ...ssh, jump: { host: "gw{n}" } } }),
    path: "servers[0].connection.jump.host",
    message: /set count as well/,
  },
  {
    what: "a jump host without a host",
    kind: "missing",
    config: server({ connection: { ...ssh, jump: { user: "root" } } }),
    path: "servers[0].connection.jump.host",
    message: /^required$/,
  },
  {
    what: "an unknown jump key",
    kind: "unknown key",
    config: server({ connection: { ...ssh, jump: { host: "gw", identity: "~/.ssh/id" } } }),
    path: "servers[0].connection.jump.identity",
  },
  // ------------------------------------------------------------ platforms
  {
    what: "platforms as an object",
    kind: "wrong type",
    config: server({ platforms: { type: "kvm" } }),
    path: "servers[0].platforms",
    message: /expected array/,
  },
  {
    what: "a platform without a type",
    kind: "missing",
    config: platform({ guests: [] }),
    path: "servers[0].platforms[0].type",
    message: /expected a platform type/,
  },
  {
    what: "an unknown platform type",
    kind: "unknown value",
    config: platform({ type: "hyperv" }),
    path: "servers[0].platforms[0].type",
    message: /expected a platform type: baseline, kvm, xen/,
  },
  {
    what: "guests on bare metal",
    kind: "unknown key",
    config: platform({ type: "baseline", guests: [] }),
    path: "servers[0].platforms[0].guests",
  },
  {
    what: "a platform key typo (guest)",
    kind: "unknown key",
    config: platform({ type: "kvm", guest: [{ name: "vm" }] }),
    path: "servers[0].platforms[0].guest",
  },
  {
    what: "an unknown KVM accelerator",
    kind: "unknown value",
    config: platform({ type: "kvm", accel: "hax" }),
    path: "servers[0].platforms[0].accel",
    message: /"auto"\|"kvm"\|"tcg"/,
  },
  {
    what: "dom0 with 64 MiB",
    kind: "out of range",
    config: platform({ type: "xen", dom0MemoryMiB: 64 }),
    path: "servers[0].platforms[0].dom0MemoryMiB",
    message: />=\s*256/,
  },
  {
    what: "a reboot timeout as a string",
    kind: "wrong type",
    config: platform({ type: "xen", rebootTimeoutMinutes: "15m" }),
    path: "servers[0].platforms[0].rebootTimeoutMinutes",
  },
  {
    what: "';' in an OpenVZ template",
    kind: "shell metacharacters",
    config: platform({ type: "openvz", template: "debian;id" }),
    path: "servers[0].platforms[0].template",
    message: /an OpenVZ template name/,
  },
  {
    what: "the same platform twice",
    kind: "duplicate name",
    config: server({ platforms: [{ type: "lxc" }, { type: "lxc" }] }),
    path: "servers[0].platforms[1].type",
    message: /a second lxc platform on server 'local'/,
  },
  {
    what: "xen and kvm on one server",
    kind: "conflict",
    config: server({ platforms: [{ type: "xen" }, { type: "kvm" }] }),
    path: "servers[0].platforms",
    message: /xen and kvm cannot run on server 'local' at once/,
  },
  {
    what: "kvm on a server behind a jump host (libvirt's qemu+ssh cannot take it)",
    kind: "conflict",
    config: server({
      connection: { type: "ssh", host: "blade1", jump: { host: "bastion" } },
      platforms: [{ type: "kvm" }],
    }),
    path: "servers[0].connection.jump",
    message:
      /kvm on server 'local' is managed by libvirt over qemu\+ssh, which cannot go through a jump host/,
  },
  // ------------------------------------------------------------ emulated servers
  {
    what: "an emulated server with a host (it is made here, not reached)",
    kind: "unknown key",
    config: server({ connection: { type: "emulated", host: "blade1" } }),
    path: "servers[0].connection.host",
    message: /^unknown key$/,
  },
  {
    what: "an emulated server's sshPort below 1024",
    kind: "out of range",
    config: server({ connection: { type: "emulated", sshPort: 22 } }),
    path: "servers[0].connection.sshPort",
  },
  {
    what: "an emulated server's memory below 512 MiB",
    kind: "out of range",
    config: server({ connection: { type: "emulated", memoryMiB: 256 } }),
    path: "servers[0].connection.memoryMiB",
  },
  {
    what: "a group of emulated servers",
    kind: "conflict",
    config: server({ count: 2, connection: { type: "emulated" } }),
    path: "servers[0].count",
    message: /an ssh connection with '\{n\}' in connection.host/,
  },
  {
    what: "two emulated servers on one sshPort",
    kind: "conflict",
    config: {
      servers: [
        { name: "a", connection: { type: "emulated" } },
        { name: "b", connection: { type: "emulated", sshPort: 22022 } },
      ],
    },
    path: "servers[1].connection.sshPort",
    message:
      /127\.0\.0\.1:22022 is taken: server a's SSH port; give this emulated server another sshPort/,
  },
  {
    what: "an emulated server behind a server that is not in the stack",
    kind: "unknown value",
    config: { servers: [{ name: "b", connection: { type: "emulated", jump: "gw" } }] },
    path: "servers[0].connection.jump",
    message: /no server named 'gw' in this stack/,
  },
  {
    what: "an emulated server behind itself",
    kind: "conflict",
    config: { servers: [{ name: "b", connection: { type: "emulated", jump: "b" } }] },
    path: "servers[0].connection.jump",
    message: /server 'b' cannot be its own jump host/,
  },
  {
    what: "an emulated server behind a server that is not emulated",
    kind: "unknown value",
    config: { servers: [local, { name: "b", connection: { type: "emulated", jump: "local" } }] },
    path: "servers[1].connection.jump",
    message: /server 'local' is not emulated/,
  },
  {
    what: "an emulated server behind one that is behind another",
    kind: "conflict",
    config: {
      servers: [
        { name: "a", connection: { type: "emulated", sshPort: 22100 } },
        { name: "b", connection: { type: "emulated", jump: "a" } },
        { name: "c", connection: { type: "emulated", jump: "b" } },
      ],
    },
    path: "servers[2].connection.jump",
    message: /server 'b' is itself behind a jump host: one emulated server in front, one behind/,
  },
  {
    what: "two emulated servers behind one",
    kind: "conflict",
    config: {
      servers: [
        { name: "a", connection: { type: "emulated", sshPort: 22100 } },
        { name: "b", connection: { type: "emulated", jump: "a" } },
        { name: "c", connection: { type: "emulated", jump: "a" } },
      ],
    },
    path: "servers[2].connection.jump",
    message: /server 'b' is already behind 'a': one server behind each emulated jump host/,
  },
  {
    what: "kvm on an emulated server behind a jump host",
    kind: "conflict",
    config: {
      servers: [
        { name: "a", connection: { type: "emulated" } },
        { name: "b", connection: { type: "emulated", jump: "a" }, platforms: [{ type: "kvm" }] },
      ],
    },
    path: "servers[1].platforms",
    message:
      /kvm on server 'b' is managed by libvirt over qemu\+ssh, which cannot go through a jump host/,
  },
  {
    what: "an emulated server's sshPort among a local server's KVM guests' ports",
    kind: "conflict",
    config: {
      servers: [
        { ...local, platforms: [{ type: "kvm", guests: [{ name: "vm", count: 2 }] }] },
        { name: "e", connection: { type: "emulated", sshPort: 22201 } },
      ],
    },
    path: "servers[1].connection.sshPort",
    message: /server local's KVM guests' SSH ports are 22200 to 22201/,
  },
  // ------------------------------------------------------------ guests
  {
    what: "guests as an object",
    kind: "wrong type",
    config: platform({ type: "kvm", guests: { name: "vm" } }),
    path: "servers[0].platforms[0].guests",
  },
  {
    what: "a guest without a name",
    kind: "missing",
    config: platform({ type: "lxc", guests: [{ count: 2 }] }),
    path: "servers[0].platforms[0].guests[0].name",
    message: /^required$/,
  },
  {
    what: "'$(...)' in a guest name",
    kind: "shell metacharacters",
    config: kvmGuest({ name: "vm$(id)" }),
    path: "servers[0].platforms[0].guests[0].name",
    message: /lowercase letters/,
  },
  {
    what: "the same guest name on two platforms",
    kind: "duplicate name",
    config: server({
      platforms: [
        { type: "lxc", guests: [{ name: "g" }] },
        { type: "kvm", guests: [{ name: "g" }] },
      ],
    }),
    path: "servers[0].platforms[1].guests[0].name",
    message: /duplicate guest name 'g' on server 'local'/,
  },
  {
    what: "a guest named like another's second copy (vm, count 2, and vm-1)",
    kind: "duplicate name",
    config: platform({ type: "kvm", guests: [{ name: "vm", count: 2 }, { name: "vm-1" }] }),
    path: "servers[0].platforms[0].guests[1].name",
    message: /makes a guest named 'vm-1', as guest 'vm' does/,
  },
  {
    what: "vcpus of 0",
    kind: "out of range",
    config: kvmGuest({ vcpus: 0 }),
    path: "servers[0].platforms[0].guests[0].vcpus",
    message: />=\s*1/,
  },
  {
    what: "vcpus of 1000",
    kind: "out of range",
    config: kvmGuest({ vcpus: 1000 }),
    path: "servers[0].platforms[0].guests[0].vcpus",
    message: /<=\s*256/,
  },
  {
    what: "vcpus as a string",
    kind: "wrong type",
    config: kvmGuest({ vcpus: "2" }),
    path: "servers[0].platforms[0].guests[0].vcpus",
    message: /expected number/,
  },
  {
    what: "vcpus of 1.5",
    kind: "wrong type",
    config: guest("xen", { mode: "hvm", vcpus: 1.5 }),
    path: "servers[0].platforms[0].guests[0].vcpus",
    message: /expected int/,
  },
  {
    what: "16 MiB of guest memory",
    kind: "out of range",
    config: kvmGuest({ memoryMiB: 16 }),
    path: "servers[0].platforms[0].guests[0].memoryMiB",
    message: />=\s*128/,
  },
  {
    what: "a container memory limit of 32 MiB",
    kind: "out of range",
    config: guest("lxc", { memoryMiB: 32 }),
    path: "servers[0].platforms[0].guests[0].memoryMiB",
    message: />=\s*64/,
  },
  {
    what: "memory as a string with a unit",
    kind: "wrong type",
    config: kvmGuest({ memoryMiB: "1G" }),
    path: "servers[0].platforms[0].guests[0].memoryMiB",
  },
  {
    what: "a disk of 0 GiB",
    kind: "out of range",
    config: kvmGuest({ disk: { sizeGiB: 0 } }),
    path: "servers[0].platforms[0].guests[0].disk.sizeGiB",
  },
  {
    what: "a disk of 10000 GiB",
    kind: "out of range",
    config: kvmGuest({ disk: { sizeGiB: 10000 } }),
    path: "servers[0].platforms[0].guests[0].disk.sizeGiB",
    message: /<=\s*4096/,
  },
  {
    what: "an unknown disk bus",
    kind: "unknown value",
    config: kvmGuest({ disk: { bus: "usb" } }),
    path: "servers[0].platforms[0].guests[0].disk.bus",
  },
  {
    what: "a disk key typo (size)",
    kind: "unknown key",
    config: kvmGuest({ disk: { size: 4 } }),
    path: "servers[0].platforms[0].guests[0].disk.size",
  },
  {
    what: "partition backing without a partition",
    kind: "missing",
    config: kvmGuest({ disk: { backing: "partition" } }),
    path: "servers[0].platforms[0].guests[0].disk.partition",
    message: /backing: partition needs a partition/,
  },
  {
    what: "';' in a disk partition",
    kind: "shell metacharacters",
    config: kvmGuest({ disk: { backing: "partition", partition: "/dev/sdb1;id" } }),
    path: "servers[0].platforms[0].guests[0].disk.partition",
    message: /a device path under \/dev/,
  },
  {
    what: "an unknown network model",
    kind: "unknown value",
    config: kvmGuest({ network: { model: "ne2k" } }),
    path: "servers[0].platforms[0].guests[0].network.model",
    message: /"virtio"\|"e1000"\|"rtl8139"/,
  },
  {
    what: "a Xen network model on KVM",
    kind: "unknown value",
    config: kvmGuest({ network: { model: "netfront" } }),
    path: "servers[0].platforms[0].guests[0].network.model",
  },
  {
    what: "network as a string",
    kind: "wrong type",
    config: kvmGuest({ network: "virtio" }),
    path: "servers[0].platforms[0].guests[0].network",
  },
  {
    what: "a para guest with an emulated NIC",
    kind: "conflict",
    config: guest("xen", { mode: "para", network: { model: "e1000" } }),
    path: "servers[0].platforms[0].guests[0].network.model",
    message: /para guests only have netfront/,
  },
  {
    what: "a Xen guest without a mode",
    kind: "missing",
    config: guest("xen", {}),
    path: "servers[0].platforms[0].guests[0].mode",
  },
  {
    what: "an unknown Xen mode",
    kind: "unknown value",
    config: guest("xen", { mode: "pv" }),
    path: "servers[0].platforms[0].guests[0].mode",
  },
  {
    what: "a guest count of 0",
    kind: "out of range",
    config: guest("lxc", { count: 0 }),
    path: "servers[0].platforms[0].guests[0].count",
    message: />=\s*1/,
  },
  {
    what: "a guest count of 65",
    kind: "out of range",
    config: kvmGuest({ count: 65 }),
    path: "servers[0].platforms[0].guests[0].count",
    message: /<=\s*64/,
  },
  {
    // Once 32 s and 1.4 GB, then "Map maximum size exceeded", from the name check.
    what: "a guest count of 1e308",
    kind: "out of range",
    config: kvmGuest({ count: 1e308 }),
    path: "servers[0].platforms[0].guests[0].count",
    message: /^Too big: expected number to be <=64$/,
  },
  {
    what: "a guest count as a string",
    kind: "wrong type",
    config: kvmGuest({ count: "8" }),
    path: "servers[0].platforms[0].guests[0].count",
  },
  {
    what: "KVM guests whose loopback ports pass 65535",
    kind: "out of range",
    config: server({
      guestSshPortBase: 62000,
      platforms: [
        {
          type: "kvm",
          guests: Array.from({ length: 9 }, (_, i) => ({ name: `vm${i}`, count: 64 })),
        },
      ],
    }),
    path: "servers[0].platforms[0].guests[8].count",
    message: /loopback ports run past 65535 \(guestSshPortBase 62000 \+ 576 guests/,
  },
  {
    what: "more than 1000 KVM guests on a server (their SSH ports reach their forwards)",
    kind: "out of range",
    config: server({
      guestSshPortBase: 1024,
      platforms: [
        {
          type: "kvm",
          guests: Array.from({ length: 16 }, (_, i) => ({ name: `vm${i}`, count: 64 })),
        },
      ],
    }),
    path: "servers[0].platforms[0].guests[15].count",
    message: /more than 1000 KVM guests on server 'local'/,
  },
  {
    what: "two local servers with a KVM guest of one name",
    kind: "duplicate name",
    config: {
      servers: [
        { ...local, platforms: [{ type: "kvm", guests: [{ name: "vm" }] }] },
        {
          name: "other",
          connection: { type: "local" },
          guestSshPortBase: 30000,
          platforms: [{ type: "kvm", guests: [{ name: "vm" }] }],
        },
      ],
    },
    path: "servers[1].platforms[0].guests[0].name",
    message: /guest 'vm' would have the libvirt domain or container of local's guest 'vm'/,
  },
  {
    what: "two servers at one SSH address whose OpenVZ guests get one CTID",
    kind: "duplicate name",
    config: {
      servers: [
        { name: "a", connection: ssh, platforms: [{ type: "openvz", guests: [{ name: "x" }] }] },
        { name: "b", connection: ssh, platforms: [{ type: "openvz", guests: [{ name: "y" }] }] },
      ],
    },
    path: "servers[1].platforms[0].guests[0].name",
    message: /servers 'a' and 'b' are one machine \(blade1:22\): guest 'y' gets CTID 1000/,
  },
  {
    what: "more than 245 Xen and OpenVZ guests on a server",
    kind: "out of range",
    config: platform({
      type: "openvz",
      guests: Array.from({ length: 4 }, (_, i) => ({
        name: `ct${i}`,
        ctid: 1000 * (i + 1),
        count: 64,
      })),
    }),
    path: "servers[0].platforms[0].guests[3].count",
    message: /more than 245 Xen and OpenVZ guests/,
  },
  {
    what: "a vcpus key on a container",
    kind: "unknown key",
    config: guest("lxc", { vcpus: 2 }),
    path: "servers[0].platforms[0].guests[0].vcpus",
  },
  {
    what: "a container CPU share of 1",
    kind: "out of range",
    config: guest("lxc", { cpuShares: 1 }),
    path: "servers[0].platforms[0].guests[0].cpuShares",
  },
  {
    what: "a container CPU quota of 0 percent",
    kind: "out of range",
    config: guest("lxc", { cpuQuotaPercent: 0 }),
    path: "servers[0].platforms[0].guests[0].cpuQuotaPercent",
    message: /^too small: a whole percent of one CPU from 1 to 6400/,
  },
  {
    what: "a container CPU quota past 64 CPUs (1e308 percent)",
    kind: "out of range",
    config: guest("lxc", { cpuQuotaPercent: 1e308 }),
    path: "servers[0].platforms[0].guests[0].cpuQuotaPercent",
    message: /^too big: a whole percent of one CPU from 1 to 6400/,
  },
  {
    what: "a container CPU quota of 95.5 percent",
    kind: "malformed",
    config: guest("lxc", { cpuQuotaPercent: 95.5 }),
    path: "servers[0].platforms[0].guests[0].cpuQuotaPercent",
    message: /^not a whole number/,
  },
  {
    what: "a container CPU quota as a string ('95%')",
    kind: "wrong type",
    config: guest("lxc", { cpuQuotaPercent: "95%" }),
    path: "servers[0].platforms[0].guests[0].cpuQuotaPercent",
    message: /^expected a number/,
  },
  {
    what: "a CPU quota on an OpenVZ container (lxc only)",
    kind: "unknown key",
    config: guest("openvz", { cpuQuotaPercent: 95 }),
    path: "servers[0].platforms[0].guests[0].cpuQuotaPercent",
  },
  {
    what: "';' in a cpuset",
    kind: "shell metacharacters",
    config: guest("lxc", { cpus: "0;1" }),
    path: "servers[0].platforms[0].guests[0].cpus",
    message: /a cpuset list/,
  },
  {
    what: "a cpuset range high to low",
    kind: "malformed",
    config: guest("lxc", { cpus: "3-1" }),
    path: "servers[0].platforms[0].guests[0].cpus",
    message: /ranges low-high/,
  },
  {
    what: "a cpuset CPU past 8191",
    kind: "out of range",
    config: guest("lxc", { cpus: "0,8192" }),
    path: "servers[0].platforms[0].guests[0].cpus",
    message: /CPUs 0 to 8191/,
  },
  {
    what: "a cpuset ending in '-'",
    kind: "malformed",
    config: guest("openvz", { cpus: "0-" }),
    path: "servers[0].platforms[0].guests[0].cpus",
  },
  {
    what: "an OpenVZ CTID of 100 (reserved)",
    kind: "out of range",
    config: guest("openvz", { ctid: 100 }),
    path: "servers[0].platforms[0].guests[0].ctid",
    message: />=\s*101/,
  },
  {
    what: "OpenVZ CTIDs past 2147483647",
    kind: "out of range",
    config: guest("openvz", { ctid: 2147483647, count: 2 }),
    path: "servers[0].platforms[0].guests[0].ctid",
    message: /gets CTIDs past 2147483647/,
  },
  {
    what: "an OpenVZ template '..'",
    kind: "malformed",
    config: platform({ type: "openvz", template: ".." }),
    path: "servers[0].platforms[0].template",
    message: /an OpenVZ template name/,
  },
  {
    what: "overlapping OpenVZ CTIDs (200-202 and 202)",
    kind: "duplicate name",
    config: platform({
      type: "openvz",
      guests: [
        { name: "a", ctid: 200, count: 3 },
        { name: "b", ctid: 202 },
      ],
    }),
    path: "servers[0].platforms[0].guests[1].ctid",
    message: /gets CTID 202, as guest 'a' does/,
  },
  {
    what: "an OpenVZ CTID that another guest's default already has",
    kind: "duplicate name",
    config: platform({
      type: "openvz",
      guests: [
        { name: "a", count: 2 },
        { name: "b", ctid: 1001 },
      ],
    }),
    path: "servers[0].platforms[0].guests[1].ctid",
    message: /gets CTID 1001, as guest 'a' does/,
  },
  {
    what: "a VMware guest without a connection",
    kind: "missing",
    config: platform({ type: "vmware", guests: [{ name: "gsx" }] }),
    path: "servers[0].platforms[0].guests[0].connection",
  },
  {
    what: "'&' in a VMware guest's host",
    kind: "shell metacharacters",
    config: platform({
      type: "vmware",
      guests: [{ name: "gsx", connection: { type: "ssh", host: "gsx&id" } }],
    }),
    path: "servers[0].platforms[0].guests[0].connection.host",
  },
  {
    what: "{n} in a VMware guest's host",
    kind: "conflict",
    config: platform({
      type: "vmware",
      guests: [{ name: "gsx", connection: { type: "ssh", host: "gsx{n}" } }],
    }),
    path: "servers[0].platforms[0].guests[0].connection.host",
    message: /'\{n\}' is a server's number in a group \(count\): not for this host/,
  },
  // ------------------------------------------------------------ benchmarks
  {
    what: "a benchmark without an id",
    kind: "missing",
    config: bench({ repeats: 3 }),
    path: "benchmarks[0].id",
  },
  {
    what: "a benchmark id that is a number",
    kind: "wrong type",
    config: bench({ id: 5 }),
    path: "benchmarks[0].id",
    message: /expected string/,
  },
  {
    what: "an unknown benchmark id",
    kind: "unknown value",
    config: bench({ id: "spec2017" }),
    path: "benchmarks[0].id",
    message: /a benchmark id: unixbench, bonnie/,
  },
  {
    what: "a benchmark id that every object has (constructor)",
    kind: "unknown value",
    config: bench({ id: "constructor" }),
    path: "benchmarks[0].id",
    message: /^a benchmark id: /,
  },
  {
    what: "the same benchmark twice",
    kind: "duplicate name",
    config: { servers: [local], benchmarks: [{ id: "bonnie" }, { id: "bonnie", repeats: 5 }] },
    path: "benchmarks[1].id",
    message: /duplicate benchmark id 'bonnie' \(also benchmarks\[0\]\)/,
  },
  {
    what: "a benchmark key typo (params)",
    kind: "unknown key",
    config: bench({ id: "bonnie", params: {} }),
    path: "benchmarks[0].params",
  },
  {
    what: "an unknown benchmark profile",
    kind: "unknown profile",
    config: bench({ id: "bonnie", profile: "fast" }),
    path: "benchmarks[0].profile",
    message: /"full"\|"quick"/,
  },
  {
    what: "pairs for a benchmark that runs in one target",
    kind: "conflict",
    config: pairsOf([{ server: "local/baseline/host", client: "local/kvm/vm-0" }], "bonnie"),
    path: "benchmarks[0].pairs",
    message: /bonnie runs in one target; pairs are for ab, iperf, iperf3/,
  },
  {
    what: "a pair target without its platform",
    kind: "malformed",
    config: pairsOf([{ server: "local/vm-1", client: "local/kvm/vm-0" }]),
    path: "benchmarks[0].pairs[0].server",
    message: /<server>\/<platform>\/<guest>/,
  },
  {
    what: "a pair naming a guest the stack does not have",
    kind: "unknown value",
    config: pairsOf([{ server: "local/kvm/vm-2", client: "local/kvm/vm-0" }]),
    path: "benchmarks[0].pairs[0].server",
    message: /no target local\/kvm\/vm-2 in this stack/,
  },
  {
    what: "a pair of a target with itself",
    kind: "conflict",
    config: pairsOf([{ server: "local/kvm/vm-0", client: "local/kvm/vm-0" }]),
    path: "benchmarks[0].pairs[0]",
    message: /two targets/,
  },
  {
    what: "one target serving two pairs",
    kind: "duplicate name",
    config: pairsOf([
      { server: "local/baseline/host", client: "local/kvm/vm-0" },
      { server: "local/baseline/host", client: "local/kvm/vm-1" },
    ]),
    path: "benchmarks[0].pairs[1].server",
    message: /already serves pairs\[0\]/,
  },
  {
    what: "a VM guest's client against a container",
    kind: "conflict",
    config: pairsOf([{ server: "local/lxc/ct", client: "local/kvm/vm-0" }]),
    path: "benchmarks[0].pairs[0].client",
    message: /reached from its host only/,
  },
  {
    what: "a client in a container",
    kind: "conflict",
    config: pairsOf([{ server: "local/baseline/host", client: "local/lxc/ct" }]),
    path: "benchmarks[0].pairs[0].client",
    message: /on a server's host or in a kvm guest, not in lxc/,
  },
  {
    what: "a guest of one server with a client on another",
    kind: "conflict",
    config: pairsOf([{ server: "local/kvm/vm-0", client: "far/baseline/host" }]),
    path: "benchmarks[0].pairs[0]",
    message: /between their hosts/,
  },
  {
    what: "a pair across servers served by the local machine",
    kind: "conflict",
    config: pairsOf([{ server: "local/baseline/host", client: "far/baseline/host" }]),
    path: "benchmarks[0].pairs[0].server",
    message: /an IPv4 host and no jump host/,
  },
  {
    what: "a pair across servers served by a server whose key is ssh-agent's",
    kind: "conflict",
    config: {
      ...pairsOf([{ server: "far/baseline/host", client: "local/baseline/host" }]),
      servers: [
        local,
        { name: "far", connection: { type: "ssh", host: "127.0.0.1", port: 2222, agent: true } },
      ],
    },
    path: "benchmarks[0].pairs[0].server",
    message:
      /ssh-agent keeps on this machine: give it privateKeyFile or a key under testbed:sshKeys/,
  },
  {
    what: "a vmware guest named as a server (their keys would be one)",
    kind: "conflict",
    config: {
      servers: [
        { name: "web", connection: { type: "ssh", host: "192.0.2.1" } },
        {
          name: "blade2",
          connection: { type: "ssh", host: "192.0.2.2" },
          platforms: [
            { type: "vmware", guests: [{ name: "web", connection: { type: "ssh", host: "g1" } }] },
          ],
        },
      ],
    },
    path: "servers[1].platforms[0].guests[0].name",
    message:
      /vmware guest 'web' has the name of server 'web', and their SSH keys \(testbed:sshKeys\.web\) would be one/,
  },
  {
    what: "pairs and platforms together",
    kind: "conflict",
    config: pairsOf([{ server: "far/baseline/host", client: "local/baseline/host" }], "iperf3", {
      platforms: ["baseline"],
    }),
    path: "benchmarks[0].platforms",
  },
  {
    what: "pairs run at once",
    kind: "conflict",
    config: pairsOf([{ server: "far/baseline/host", client: "local/baseline/host" }], "iperf3", {
      concurrent: true,
    }),
    path: "benchmarks[0].concurrent",
  },
  {
    what: "an unknown key in a pair",
    kind: "unknown key",
    config: pairsOf([{ server: "far/baseline/host", client: "local/baseline/host", port: 1 }]),
    path: "benchmarks[0].pairs[0].port",
  },
  {
    what: "0 repeats",
    kind: "out of range",
    config: bench({ id: "bonnie", repeats: 0 }),
    path: "benchmarks[0].repeats",
  },
  {
    what: "repeats as a string",
    kind: "wrong type",
    config: bench({ id: "bonnie", repeats: "3" }),
    path: "benchmarks[0].repeats",
  },
  {
    what: "a trial timeout of 2000 minutes",
    kind: "out of range",
    config: bench({ id: "bonnie", trialTimeoutMinutes: 2000 }),
    path: "benchmarks[0].trialTimeoutMinutes",
    message: /<=\s*1440/,
  },
  {
    what: "an unknown platform to measure",
    kind: "unknown value",
    config: bench({ id: "bonnie", platforms: ["hyperv"] }),
    path: "benchmarks[0].platforms[0]",
  },
  {
    what: "an empty list of platforms to measure",
    kind: "out of range",
    config: bench({ id: "bonnie", platforms: [] }),
    path: "benchmarks[0].platforms",
    message: /at least one platform type \(leave platforms out for all\)/,
  },
  {
    what: "a platform to measure that no server has",
    kind: "unknown value",
    config: bench({ id: "bonnie", platforms: ["baseline", "xen"] }),
    path: "benchmarks[0].platforms[1]",
    message: /^no server has a xen platform to measure$/,
  },
  {
    what: "parameters as a list",
    kind: "wrong type",
    config: bench({ id: "bonnie", parameters: [1024] }),
    path: "benchmarks[0].parameters",
    message: /expected record/,
  },
  // ------------------------------------------------------------ benchmark module parameters
  {
    what: "a parameter typo (bonnie size)",
    kind: "unknown key",
    config: params("bonnie", { size: 1024 }),
    path: "benchmarks[0].parameters.size",
    message: /^unknown key$/,
  },
  {
    what: "a `__proto__` parameter",
    kind: "unknown key",
    config: json(
      '{"servers": [{"name": "a", "connection": {"type": "local"}}], "benchmarks": [{"id": "bonnie", "parameters": {"__proto__": {"sizeMiB": 1}}}]}',
    ),
    path: "benchmarks[0].parameters.__proto__",
  },
  {
    what: "bonnie sizeMiB as a string",
    kind: "wrong type",
    config: params("bonnie", { sizeMiB: "1G" }),
    path: "benchmarks[0].parameters.sizeMiB",
    message: /expected number/,
  },
  {
    what: "bonnie dataset smaller than twice the RAM",
    kind: "conflict",
    config: params("bonnie", { sizeMiB: 1000, ramMiB: 512 }),
    path: "benchmarks[0].parameters.sizeMiB",
    message: /at least twice ramMiB/,
  },
  {
    what: "'$(...)' in bonnie's directory",
    kind: "shell metacharacters",
    config: params("bonnie", { directory: "/tmp/$(id)" }),
    path: "benchmarks[0].parameters.directory",
  },
  {
    what: "';' in bonnie's file test spec",
    kind: "shell metacharacters",
    config: params("bonnie", { files: "16;reboot" }),
    path: "benchmarks[0].parameters.files",
  },
  {
    what: "iperf port 70000",
    kind: "out of range",
    config: params("iperf", { port: 70000 }),
    path: "benchmarks[0].parameters.port",
  },
  {
    what: "';' in the iperf3 server address",
    kind: "shell metacharacters",
    config: params("iperf3", { server: "127.0.0.1; reboot" }),
    path: "benchmarks[0].parameters.server",
  },
  {
    what: "iperf3 on port 22 in KVM guests (their SSH server's)",
    kind: "conflict",
    config: {
      ...platform({ type: "kvm", guests: [{ name: "vm" }] }),
      benchmarks: [{ id: "iperf3", platforms: ["kvm"], parameters: { port: 22 } }],
    },
    path: "benchmarks[0].parameters.port",
    message: /port 22 is the SSH server of the kvm guests iperf3 runs in/,
  },
  {
    what: "an iperf port among the KVM guests' loopback ports",
    kind: "conflict",
    config: {
      ...server({ platforms: [{ type: "baseline" }, { type: "kvm", guests: [{ name: "vm" }] }] }),
      benchmarks: [{ id: "iperf", parameters: { port: 25200 } }],
    },
    path: "benchmarks[0].parameters.port",
    message:
      /port 25200 is taken on server local: server local's KVM guests' ab forward ports are 25200 to 25200/,
  },
  {
    what: "a postal port that is the server's SSH port",
    kind: "conflict",
    config: {
      servers: [{ name: "blade", connection: { ...ssh, port: 2525 } }],
      benchmarks: [{ id: "postal", profile: "quick" }],
    },
    path: "benchmarks[0].parameters.port",
    message: /port 2525 is taken on server blade: its SSH server listens there/,
  },
  {
    what: "an unknown iperf direction",
    kind: "unknown value",
    config: params("iperf", { direction: "sideways" }),
    path: "benchmarks[0].parameters.direction",
  },
  {
    what: "';' in an openssl cipher name",
    kind: "shell metacharacters",
    config: params("openssl-speed", { ciphers: ["aes;reboot"] }),
    path: "benchmarks[0].parameters.ciphers[0]",
  },
  {
    what: "the same openssl cipher twice",
    kind: "duplicate name",
    config: params("openssl-speed", { ciphers: ["md5", "md5"] }),
    path: "benchmarks[0].parameters.ciphers",
    message: /no algorithm twice/,
  },
  {
    what: "ab with more concurrent requests than requests",
    kind: "conflict",
    config: params("ab", { requests: 5, concurrency: 10 }),
    path: "benchmarks[0].parameters.concurrency",
  },
  {
    what: "ab keepalive as a string",
    kind: "wrong type",
    config: params("ab", { keepalive: "yes" }),
    path: "benchmarks[0].parameters.keepalive",
  },
  {
    what: "postal for 1 minute (quick profile)",
    kind: "out of range",
    config: params("postal", { minutes: 1 }, { profile: "quick" }),
    path: "benchmarks[0].parameters.minutes",
  },
  {
    what: "';' in a UnixBench test name",
    kind: "shell metacharacters",
    config: params("unixbench", { tests: ["index; rm -rf /"], source: { path: "/srv/ub" } }),
    path: "benchmarks[0].parameters.tests[0]",
  },
  {
    what: "UnixBench with 1e308 copies",
    kind: "out of range",
    config: params("unixbench", { copies: [1, 1e308], source: { path: "/srv/ub" } }),
    path: "benchmarks[0].parameters.copies[1]",
    message: /^Too big: expected number to be <=1024$/,
  },
  {
    what: "UnixBench with a pass of 4 copies twice",
    kind: "duplicate name",
    config: params("unixbench", { copies: [4, 4], source: { path: "/srv/ub" } }),
    path: "benchmarks[0].parameters.copies",
    message: /no number of copies twice/,
  },
  {
    what: "UnixBench with 1e9 iterations",
    kind: "out of range",
    config: params("unixbench", { iterations: 1e9, source: { path: "/srv/ub" } }),
    path: "benchmarks[0].parameters.iterations",
    message: /<=\s*100$/,
  },
  {
    what: "UnixBench without a source",
    kind: "missing",
    config: bench({ id: "unixbench" }),
    path: "benchmarks[0].parameters",
    message: /set testbed benchmark parameter source\.url and source\.sha256, or source\.path/,
  },
  {
    what: "a UnixBench URL without its checksum",
    kind: "missing",
    config: params("unixbench", { source: { url: "https://example.org/ub.tgz" } }),
    path: "benchmarks[0].parameters.source",
    message: /source\.url needs source\.sha256/,
  },
  {
    what: "HEP-SPEC06 without spec2006Path",
    kind: "missing",
    config: bench({ id: "hepspec06" }),
    path: "benchmarks[0].parameters",
    message: /set testbed benchmark parameter spec2006Path/,
  },
  {
    what: "HEP-SPEC06 with 1e308 copies",
    kind: "out of range",
    config: params("hepspec06", { spec2006Path: "/opt/cpu2006", copies: 1e308 }),
    path: "benchmarks[0].parameters.copies",
    message: /^Too big: expected number to be <=1024$/,
  },
  {
    what: "HEP-SPEC06 with 1000 iterations",
    kind: "out of range",
    config: params("hepspec06", { spec2006Path: "/opt/cpu2006", iterations: 1000 }),
    path: "benchmarks[0].parameters.iterations",
    message: /<=\s*10$/,
  },
  {
    what: "a HEP-SPEC06 path with a newline",
    kind: "malformed",
    config: params("hepspec06", { spec2006Path: "/opt/cpu2006\nrm" }),
    path: "benchmarks[0].parameters.spec2006Path",
    message: /without control characters/,
  },
  {
    what: "'/' in the HEP-SPEC06 config name",
    kind: "shell metacharacters",
    config: params("hepspec06", { spec2006Path: "/opt/cpu2006", config: "../../etc/passwd" }),
    path: "benchmarks[0].parameters.config",
  },
];

/** The Pulumi config a stack with these `testbed:` keys gives the program. */
const asStackConfig = (config: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(config).map(([k, v]) => [`testbed:${k}`, JSON.stringify(v)]));

describe("testbed config", () => {
  it("accepts the default stack's config and fills in defaults", () => {
    const cfg = parseTestbedConfig({ servers: [local] });
    expect(cfg.servers[0]).toEqual({
      ...local,
      count: 1,
      group: "local",
      profile: "auto",
      strictProfile: false,
      platforms: [{ type: "baseline" }],
      guestSshPortBase: 22200,
      packageLockTimeoutSeconds: 600,
      probe: { kvmTimeoutSeconds: 20, tcgTimeoutSeconds: 120 },
    });
  });

  it("accepts what the checks above stop just short of", () => {
    // The nearest valid neighbours of some cases: the checks are not too broad.
    const ok = [
      platform({ type: "kvm", guests: [{ name: "vm", count: 2 }, { name: "vm-2" }] }),
      platform({
        type: "openvz",
        guests: [
          { name: "a", count: 2 },
          { name: "b", ctid: 1003 },
        ],
      }),
      platform({
        type: "openvz",
        guests: [
          { name: "a", ctid: 200, count: 2 },
          { name: "b", ctid: 202 },
        ],
      }),
      // The last guest's ab forward at 65535.
      server({
        guestSshPortBase: 62408,
        platforms: [
          {
            type: "kvm",
            guests: [
              { name: "a", count: 64 },
              { name: "b", count: 64 },
            ],
          },
        ],
      }),
      kvmGuest({ vcpus: 256, memoryMiB: 128, count: 64, disk: { sizeGiB: 4096 } }),
      { servers: [local], benchmarks: [{ id: "bonnie" }, { id: "ab" }] },
      // Every kind of pair that reaches: guest -> host, guest <-> guest, a
      // container from its host, host <-> host across servers, either way round.
      pairsOf([
        { server: "local/baseline/host", client: "local/kvm/vm-0" },
        { server: "local/kvm/vm-1", client: "local/kvm/vm-0" },
        { server: "local/lxc/ct", client: "local/baseline/host" },
        { server: "far/baseline/host", client: "local/baseline/host" },
      ]),
      pairsOf([{ server: "local/kvm/vm-0", client: "local/kvm/vm-1" }], "ab"),
      // A pair benchmark on a port of its own: the KVM guests forward it (kvmForwards, below).
      { ...kvmGuest({}), benchmarks: [{ id: "iperf3", parameters: { port: 5300 } }] },
      { ...kvmGuest({}), benchmarks: [{ id: "iperf", parameters: { port: 8088 } }, { id: "ab" }] },
      // Hosts: names, addresses, a group up to its last valid address.
      ...["blade-1.example.org", "example.org.", "localhost", "10.0.0.1", "::1", "fe80::2"].map(
        (host) => server({ connection: { ...ssh, host } }),
      ),
      { servers: [{ name: "b", count: 255, connection: { type: "ssh", host: "10.0.0.{n}" } }] },
      server({ connection: { ...ssh, jump: { host: "gw.example.org" } } }),
      {
        servers: [
          { name: "b", count: 2, connection: { ...ssh, host: "b{n}", jump: { host: "gw" } } },
        ],
      },
      // No platforms, for a server whose host serves a pair.
      {
        servers: [local, { name: "far", connection: { ...ssh, host: "10.0.0.2" }, platforms: [] }],
        benchmarks: [
          { id: "iperf3", pairs: [{ server: "far/baseline/host", client: "local/baseline/host" }] },
        ],
      },
      // Two local servers apart: other names, ports next to each other.
      {
        servers: [
          { ...local, platforms: [{ type: "kvm", guests: [{ name: "a", count: 2 }] }] },
          {
            name: "other",
            connection: { type: "local" },
            guestSshPortBase: 22202,
            platforms: [{ type: "kvm", guests: [{ name: "b" }] }],
          },
        ],
      },
      // The same guest name on two machines.
      {
        servers: [
          { name: "a", connection: ssh, platforms: [{ type: "kvm", guests: [{ name: "vm" }] }] },
          {
            name: "b",
            connection: { ...ssh, host: "blade2" },
            platforms: [{ type: "kvm", guests: [{ name: "vm" }] }],
          },
        ],
      },
      // A listening port next to the KVM guests' (22200, 23200 ...), and 22 on bare metal alone.
      {
        ...server({ platforms: [{ type: "baseline" }, { type: "kvm", guests: [{ name: "vm" }] }] }),
        benchmarks: [{ id: "iperf", parameters: { port: 22201 } }],
      },
      { servers: [local], benchmarks: [{ id: "iperf3", parameters: { port: 22 } }] },
      guest("lxc", { cpus: "0-8191" }),
      guest("lxc", { cpus: "0", cpuQuotaPercent: 95 }),
      guest("lxc", { cpuQuotaPercent: 6400, count: 2 }),
      guest("openvz", { ctid: 2147483646, count: 2 }),
      params("hepspec06", { spec2006Path: "/opt/cpu 2006", copies: 1024, iterations: 10 }),
      params("unixbench", { copies: [1, 1024], iterations: 100, source: { path: "/srv/ub" } }),
    ];
    for (const c of ok) expect(verdict(c)).toBe("ok");
  });

  it.each(cases.map((c) => [c.kind, c.what, c] as const))(
    "rejects %s: %s, naming the key",
    (_kind, _what, c) => {
      const message = verdict(c.config);
      expect(message).toMatch(/^invalid stack configuration:\n/);
      const lines = named(message);
      // The case's key, and no other: each case tests what it says.
      expect(lines.map(([p]) => p)).toEqual([c.path]);
      if (c.message) expect(lines[0][1]).toMatch(c.message);
    },
  );

  it("covers every kind of bad value at every level of the config", () => {
    const kinds = new Set(cases.map((c) => c.kind));
    for (const k of [
      "missing",
      "wrong type",
      "out of range",
      "unknown key",
      "unknown profile",
      "shell metacharacters",
      "duplicate name",
    ] as Kind[]) {
      expect([k, kinds.has(k)]).toEqual([k, true]);
    }
    const level = (p: string) =>
      /^benchmarks\[\d+\]\.parameters/.test(p)
        ? "parameters"
        : /^benchmarks/.test(p)
          ? "benchmarks"
          : /\.guests/.test(p)
            ? "guests"
            : /\.platforms/.test(p)
              ? "platforms"
              : /\.connection/.test(p)
                ? "connection"
                : /^servers\[/.test(p)
                  ? "servers"
                  : "top level";
    const byLevel = new Map<string, Set<Kind>>();
    for (const c of cases) {
      const l = level(c.path);
      byLevel.set(l, (byLevel.get(l) ?? new Set()).add(c.kind));
    }
    for (const l of [
      "top level",
      "servers",
      "connection",
      "platforms",
      "guests",
      "benchmarks",
      "parameters",
    ]) {
      const kinds = byLevel.get(l) ?? new Set();
      // Each level has something missing or of the wrong type, and an unknown key.
      expect([
        l,
        kinds.has("missing") || kinds.has("wrong type"),
        kinds.has("unknown key"),
      ]).toEqual([l, true, true]);
    }
    // The guests' fields the issue names, each with a bad value.
    for (const field of ["vcpus", "memoryMiB", "disk.sizeGiB", "network.model", "count"]) {
      expect([field, cases.some((c) => c.path.endsWith(`guests[0].${field}`))]).toEqual([
        field,
        true,
      ]);
    }
  });

  it("lists every bad key at once, the checks across keys too", () => {
    // A field's failure does not hide another server's duplicate, nor is it
    // checked across keys itself (a count of 1e308 once took 32 s and 1.4 GB).
    const started = Date.now();
    const mixed = verdict({
      servers: [
        { ...local, platforms: [{ type: "kvm", guests: [{ name: "vm", count: 1e308 }] }] },
        {
          name: "b",
          connection: { type: "local" },
          guestSshPortBase: 30000,
          platforms: [{ type: "lxc", guests: [{ name: "x" }, { name: "x" }] }],
        },
      ],
      benchmarks: [{ id: "bonnie", repeats: "3" }, { id: "ab" }, { id: "ab" }],
    });
    expect(named(mixed).map(([p]) => p)).toEqual([
      "benchmarks[0].repeats",
      "servers[0].platforms[0].guests[0].count",
      "benchmarks[2].id",
      "servers[1].platforms[0].guests[1].name",
    ]);
    expect(Date.now() - started).toBeLessThan(1000);
    const msg = verdict({
      servers: [{ name: "Bad Name", connection: { type: "local" }, profile: "x" }],
      colour: "red",
    });
    expect(named(msg).map(([p]) => p)).toEqual(["servers[0].name", "servers[0].profile", "colour"]);
  });

  it("forwards each pair benchmark's configured port from KVM guests", () => {
    const forwards = (benchmarks: object[]) =>
      kvmForwards(parseTestbedConfig({ ...kvmGuest({}), benchmarks }).benchmarks);
    // Without pair benchmarks, as before: a guest is not redefined (replaced) for one.
    expect(forwards([])).toEqual({ 5201: 1000, 5001: 2000, 8088: 3000 });
    expect(forwards([{ id: "iperf3", parameters: { port: 5300 } }])).toEqual({
      5300: 1000,
      5001: 2000,
      8088: 3000,
    });
    // Two on one port share its forward (they run in turn).
    expect(forwards([{ id: "iperf", parameters: { port: 8088 } }, { id: "ab" }])).toEqual({
      5201: 1000,
      8088: 2000,
    });
  });
});

describe("the stack's config as Pulumi gives it", () => {
  afterEach(() => pulumi.runtime.setAllConfig({}));

  it("reads every testbed: key but the SSH keys, and no other namespace's", () => {
    pulumi.runtime.setAllConfig({
      "testbed:servers": JSON.stringify([local]),
      "testbed:colour": "red",
      "testbed:sshKeys": JSON.stringify({ local: "not a key" }),
      "libvirt:uri": "qemu:///system",
    });
    expect(stackConfigValues()).toEqual({ servers: [local], colour: "red" });
  });

  it.each(cases.map((c) => [c.what, c] as const))(
    "loadTestbedConfig rejects %s with the same message",
    (_what, c) => {
      pulumi.runtime.setAllConfig(asStackConfig(c.config));
      expect(() => loadTestbedConfig()).toThrow(verdict(c.config));
    },
  );
});

/**
 * Runs index.ts under Pulumi mocks in a fresh module registry, with this
 * stack config: its error, if it threw, and the resources it registered.
 */
async function runProgram(config: Record<string, unknown>) {
  const registered: string[] = [];
  const inputs = new Map<string, Record<string, unknown>>();
  let error: unknown;
  await jest.isolateModulesAsync(async () => {
    const p = await import("@pulumi/pulumi");
    await p.runtime.setMocks(
      {
        newResource: (args) => {
          registered.push(`${args.type} ${args.name}`);
          inputs.set(args.name, args.inputs);
          const stdout = recordedStdout(args.name);
          return { id: `${args.name}-id`, state: { ...args.inputs, stdout, exitCode: 0 } };
        },
        call: (args) => args.inputs,
      },
      "virt-testbed",
      "unit",
      false,
    );
    p.runtime.setAllConfig(asStackConfig(config));
    try {
      await import("../../index");
    } catch (e) {
      error = e;
    }
    // Registrations are asynchronous: give any that were started time to arrive.
    await new Promise((resolve) => setTimeout(resolve, 200));
  });
  return { error, registered, inputs };
}

/** What the server's and guests' steps print, as in graph.test.ts (a key pair's shape only). */
function recordedStdout(name: string): string {
  const recorded = /-(facts|accel-probe)$/.exec(name);
  if (recorded) {
    const file = path.join(__dirname, "..", "fixtures", `${recorded[1]}-go-firecracker.txt`);
    return fs.readFileSync(file, "utf8");
  }
  const d = "/var/cache/virt-testbed/images/k";
  if (name.endsWith("-image-build"))
    return `image: ${d}\nrootfs: ${d}/rootfs\ndisk: ${d}/disk.qcow2\nkernel: ${d}/vmlinuz\ninitrd: ${d}/initrd.img\nbuilt: now\n`;
  if (name.endsWith("-keygen"))
    return "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n@@@\nssh-ed25519 AAAA k\n";
  if (name.endsWith("-libvirtd")) return "libvirt: 9.0.0\nqemu: QEMU 7.2.22\nstarted: \n";
  if (name.endsWith("-ssh")) return "kernel: 6.1.0-56-cloud-amd64\n";
  return "";
}

describe("bad config under the real program", () => {
  it("a good config registers resources (so zero below means something)", async () => {
    const { error, registered } = await runProgram({ servers: [local] });
    expect(error).toBeUndefined();
    expect(registered).toContain("testbed:index:PhysicalServer local");
  }, 30_000);

  it("a KVM guest's pair benchmark on a port of its own is forwarded and run", async () => {
    // Once "guest ...: port 5300 is not forwarded", a stack trace after a valid config.
    const { error, registered, inputs } = await runProgram({
      ...kvmGuest({}),
      benchmarks: [{ id: "iperf3", profile: "quick", parameters: { port: 5300 } }],
    });
    expect(error).toBeUndefined();
    expect(registered).toContain("pulumi-nodejs:dynamic/testbed:Command local-iperf3-trials");
    // The guest's iperf3 listens on 5300, forwarded from its SSH port + 1000; the client connects there.
    const xslt = (inputs.get("local-kvm-g-domain")?.xml as { xslt: string }).xslt;
    expect(xslt).toContain("hostfwd=tcp:127.0.0.1:23200-:5300");
    // A TCG guest's default virtio NIC sends on a timer (domain-xslt.ts).
    expect(xslt).toContain("virtio-net-pci,tx=timer,netdev=vtbnet0,");
    const env = (
      inputs.get("local-iperf3-trials")?.environment as {
        value: Record<string, string>;
      }
    ).value;
    // The guest is the interleaved run's unit 0: its client's and its server's ports.
    expect(env.VTB_U0_EXPORTS).toContain("export VTB_IPERF_PORT='23200'");
    expect(env.VTB_U0_PAIR_SERVER_EXPORTS).toContain("export VTB_IPERF_PORT='5300'");
  }, 30_000);

  // Through index.ts (2 s each): a top-level key, a guest's name and a module's
  // parameter, each checked at another stage; it stops with the message, before any
  // resource. The other cases fail in the same call (loadTestbedConfig, above).
  const through = [
    "a top-level key typo (testbed:benchmark)",
    "'$(...)' in a guest name",
    "';' in the iperf3 server address",
  ].map((what) => cases.find((c) => c.what === what)!);
  it.each(through.map((c) => [c.kind, c.what, c] as const))(
    "%s (%s): the program stops before any resource is registered",
    async (_kind, _what, c) => {
      const { error, registered } = await runProgram(c.config);
      expect(registered).toEqual([]);
      expect((error as Error)?.constructor?.name).toBe("RunError");
      expect((error as Error).message).toBe(verdict(c.config));
    },
    30_000,
  );
});

describe("a group of identical servers (count)", () => {
  const cfg = parseTestbedConfig({
    servers: [
      local,
      {
        name: "blade",
        count: 3,
        connection: { type: "ssh", host: "blade-{n}.example", jump: { host: "gw{n}" } },
      },
    ],
  });

  it("becomes one server per member, each with its own name and host", () => {
    expect(cfg.servers.map((s) => [s.name, s.group, s.count])).toEqual([
      ["local", "local", 1],
      ["blade-0", "blade", 1],
      ["blade-1", "blade", 1],
      ["blade-2", "blade", 1],
    ]);
    expect(
      cfg.servers.map((s) =>
        s.connection.type === "ssh" ? [s.connection.host, s.connection.jump?.host] : null,
      ),
    ).toEqual([
      null,
      ["blade-0.example", "gw0"],
      ["blade-1.example", "gw1"],
      ["blade-2.example", "gw2"],
    ]);
  });

  it("shares the group's key unless a member has its own", () => {
    expect(() => checkSshKeys(cfg, undefined)).toThrow(
      /testbed:sshKeys\.blade: required \(the SSH private key for servers blade-0 \.\.\. \(count\)\)/,
    );
    // Named once for the whole group.
    expect(() => checkSshKeys(cfg, undefined)).toThrow(/^[^\n]*\n[^\n]*\n[^\n]*\n[^\n]*\n[^\n]*$/);
    expect(() => checkSshKeys(cfg, { blade: "k" })).not.toThrow();
    const keys = { blade: "group", "blade-1": "own" };
    expect(cfg.servers.map((s) => serverKey(keys, s))).toEqual([
      undefined,
      "group",
      "own",
      "group",
    ]);
  });
});

describe("SSH keys", () => {
  const cfg = parseTestbedConfig({
    servers: [local, { name: "blade1", connection: { type: "ssh", host: "blade1.example" } }],
  });

  it("names the key to set for an SSH server without one", () => {
    expect(() => checkSshKeys(cfg, undefined)).toThrow(
      /testbed:sshKeys\.blade1: required \(the SSH private key for server blade1\)[\s\S]*config set --secret --path 'testbed:sshKeys\.blade1'/,
    );
  });

  it("is satisfied when every SSH server has a key", () => {
    expect(() => checkSshKeys(cfg, { blade1: "placeholder, not a key" })).not.toThrow();
  });
});

// docs/faults.md, section "Bad configuration": the cases above with their messages,
// between two markers. VTB_WRITE_FAULTS_DOC=1 rewrites the table (then run prettier).
describe("docs/faults.md lists these cases", () => {
  const doc = path.join(__dirname, "..", "..", "docs", "faults.md");
  const begin = "<!-- config-cases: begin (generated by test/unit/config.test.ts) -->";
  const end = "<!-- config-cases: end -->";
  const cell = (s: string) => s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|");
  const rows = () =>
    cases.map((c) => {
      const [, problem] = named(verdict(c.config))[0];
      return [cell(c.what), c.kind, `\`${c.path}\``, cell(problem)];
    });
  const unescape = (s: string) => s.replace(/\\([\\|])/g, "$1");

  it("row for row, with the messages the config gets", () => {
    let text = fs.readFileSync(doc, "utf8");
    const a = text.indexOf(begin);
    const b = text.indexOf(end);
    expect([a >= 0, b > a]).toEqual([true, true]);
    if (process.env.VTB_WRITE_FAULTS_DOC === "1") {
      // Written, then read back below like any other time.
      const table = [
        "| case | kind | key path | message |",
        "| --- | --- | --- | --- |",
        ...rows().map((r) => `| ${r.join(" | ")} |`),
      ].join("\n");
      text = `${text.slice(0, a + begin.length)}\n\n${table}\n\n${text.slice(b)}`;
      fs.writeFileSync(doc, text);
    }
    const inDoc = text
      .slice(text.indexOf(begin) + begin.length, text.indexOf(end))
      .split("\n")
      .filter((l) => l.startsWith("|"))
      .slice(2)
      .map((l) =>
        l
          .replace(/^\|/, "")
          .replace(/\|\s*$/, "")
          .split(/(?<!\\)\|/)
          .map((c) => unescape(c.trim())),
      );
    expect(inDoc).toEqual(rows().map((r) => r.map(unescape)));
  });
});

describe("a server's key given as a file (privateKeyFile)", () => {
  const dir = scratchDir("vtb-keyfile-");
  const key =
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaA==\n-----END OPENSSH PRIVATE KEY-----\n";
  const at = "testbed:servers[0].connection.privateKeyFile";
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string, mode: number) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text, { mode });
    fs.chmodSync(f, mode);
    return f;
  };

  it("reads a key only its owner can read", () => {
    expect(readKeyFile(file("ok", key, 0o600), at)).toBe(key);
  });

  it("refuses what ssh would refuse, or what is no key, naming the setting", () => {
    const open = file("open", key, 0o644);
    expect(() => readKeyFile(open, at)).toThrow(
      `${at}: refusing ${open}: readable or writable by others (mode 644): chmod 600 it`,
    );
    // A link is followed, as ssh follows it: what counts is the file it names.
    const link = path.join(dir, "link");
    fs.symlinkSync(file("target", key, 0o600), link);
    expect(readKeyFile(link, at)).toBe(key);
    const openLink = path.join(dir, "open-link");
    fs.symlinkSync(open, openLink);
    expect(() => readKeyFile(openLink, at)).toThrow(
      `${at}: refusing ${openLink}: readable or writable by others (mode 644)`,
    );
    const fifo = path.join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    expect(() => readKeyFile(fifo, at)).toThrow(`${at}: refusing ${fifo}: not a regular file`);
    expect(() => readKeyFile(dir, at)).toThrow(`${at}: refusing ${dir}: not a regular file`);
    const notKey = file("pub", "ssh-ed25519 AAAA user@host\n", 0o600);
    expect(() => readKeyFile(notKey, at)).toThrow(
      `${at}: ${notKey} holds no PEM or OpenSSH private key`,
    );
    expect(() => readKeyFile(path.join(dir, "missing"), at)).toThrow(
      `${at}: cannot read ${path.join(dir, "missing")}: ENOENT`,
    );
  });

  it("needs no key at all for a server whose key is ssh-agent's; not both", () => {
    const cfg = parseTestbedConfig({
      servers: [{ name: "blade", connection: { ...ssh, agent: true } }],
    });
    expect(() => checkSshKeys(cfg, undefined)).not.toThrow();
    expect(
      verdict({
        servers: [
          { name: "b", connection: { ...ssh, agent: true, privateKeyFile: "/root/.ssh/k" } },
        ],
      }),
    ).toMatch(
      /testbed:servers\[0\]\.connection\.agent: set privateKeyFile or agent: true, not both/,
    );
    // A VMware guest's key is used by its server too: a key, not an agent.
    expect(
      verdict({
        servers: [
          {
            name: "b",
            platforms: [
              { type: "vmware", guests: [{ name: "g", connection: { ...ssh, agent: true } }] },
            ],
          },
        ],
      }),
    ).toMatch(/agent/);
  });

  it("needs no secret under testbed:sshKeys for a server that names its key file", () => {
    const cfg = parseTestbedConfig({
      servers: [{ name: "blade", connection: { ...ssh, privateKeyFile: "/root/.ssh/id_ed25519" } }],
    });
    expect(() => checkSshKeys(cfg, undefined)).not.toThrow();
    expect(
      verdict({ servers: [{ name: "b", connection: { ...ssh, privateKeyFile: "key" } }] }),
    ).toMatch(/testbed:servers\[0\]\.connection\.privateKeyFile: an absolute path/);
  });
});

describe("secrets at rest in the stack file", () => {
  const file = "Pulumi.s.yaml";
  it("refuses a private key in plain text", () => {
    const text =
      "config:\n  testbed:sshKeys:\n    a: |\n      -----BEGIN OPENSSH PRIVATE KEY-----\n";
    expect(secretsAtRest(file, text, [], {}).error).toMatch(
      /Pulumi\.s\.yaml: holds a private key in plain text; remove it and set it with --secret/,
    );
  });
  it("warns of secrets under an empty passphrase, naming them and the fix", () => {
    const salted = "encryptionsalt: v1:abc\nconfig: {}\n";
    const w = secretsAtRest(file, salted, ["testbed:sshKeys"], { PULUMI_CONFIG_PASSPHRASE: "" });
    expect(w.warning).toMatch(/^testbed:sshKeys: secret, but the stack's passphrase is empty/);
    expect(w.warning).toMatch(/change-secrets-provider passphrase/);
    expect(
      secretsAtRest(file, salted, ["testbed:sshKeys"], { PULUMI_CONFIG_PASSPHRASE: "x" }),
    ).toEqual({});
    expect(secretsAtRest(file, salted, [], { PULUMI_CONFIG_PASSPHRASE: "" })).toEqual({});
    // Another secrets provider (no salt in the stack file): no passphrase to speak of.
    const unsalted = secretsAtRest(file, "config: {}\n", ["testbed:sshKeys"], {
      PULUMI_CONFIG_PASSPHRASE: "",
    });
    expect(unsalted).toEqual({});
    // A key read from its file is kept in the state too: the same warning, and
    // the fix that keeps keys out of the state altogether.
    const fromFile = secretsAtRest(file, salted, [], { PULUMI_CONFIG_PASSPHRASE: "" }, [
      "/root/.ssh/id_ed25519",
    ]);
    expect(fromFile.warning).toMatch(
      /^the key in \/root\/\.ssh\/id_ed25519 \(kept in the state\): secret, but the stack's passphrase is empty/,
    );
    expect(fromFile.warning).toMatch(/agent: true/);
  });
});

describe("servers that are all this machine (oneCpuWarning)", () => {
  const emulated = (name: string, sshPort: number, platforms?: unknown[]) => ({
    name,
    connection: { type: "emulated", sshPort },
    ...(platforms ? { platforms } : {}),
  });
  const warn = (servers: unknown[]) => oneCpuWarning(parseTestbedConfig({ servers }).servers);

  it("warns when the local server and an emulated one both measure", () => {
    expect(
      warn([{ name: "local", connection: { type: "local" } }, emulated("blade", 22100)]),
    ).toMatch(/^servers local, blade are all this machine .*run at the same time on one CPU/);
  });

  it("warns for two emulated servers, not for one, nor for SSH servers beside it", () => {
    expect(warn([emulated("a", 22100), emulated("b", 22101)])).toMatch(/^servers a, b /);
    const ssh = { name: "far", connection: { type: "ssh", host: "blade1" } };
    expect(warn([emulated("a", 22100), ssh])).toBeUndefined();
  });
});

describe("an emulated server behind another (connection.jump)", () => {
  it("takes a jump host that measures nothing, and no port of its own for the one behind", () => {
    const cfg = parseTestbedConfig({
      servers: [
        { name: "b", connection: { type: "emulated", jump: "gw" } },
        { name: "gw", connection: { type: "emulated", memoryMiB: 512 }, platforms: [] },
      ],
    });
    expect(cfg.servers.map((s) => s.name)).toEqual(["b", "gw"]);
    // Both have the default sshPort: only the one in front uses it.
    expect(
      cfg.servers.map((s) => s.connection.type === "emulated" && s.connection.sshPort),
    ).toEqual([22022, 22022]);
  });
});
