import { checkSshKeys, parseTestbedConfig } from "../../components/config";

const local = { name: "local", connection: { type: "local" } };

/** The message a config gets, or "ok". */
function verdict(raw: Record<string, unknown>): string {
  try {
    parseTestbedConfig(raw);
    return "ok";
  } catch (e) {
    return (e as Error).message;
  }
}

describe("testbed config", () => {
  it("accepts the default stack's config and fills in defaults", () => {
    const cfg = parseTestbedConfig({ servers: [local] });
    expect(cfg.servers[0]).toEqual({
      ...local,
      profile: "auto",
      strictProfile: false,
      platforms: [{ type: "baseline" }],
      guestSshPortBase: 22200,
      probe: { kvmTimeoutSeconds: 20, tcgTimeoutSeconds: 120 },
    });
  });

  // Each bad value, and the key path its message must name.
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["no servers key", {}, /testbed:servers: required/],
    ["empty server list", { servers: [] }, /testbed:servers: at least one server/],
    [
      "missing name",
      { servers: [{ connection: { type: "local" } }] },
      /testbed:servers\[0\]\.name: required/,
    ],
    [
      "shell metacharacters in a name",
      { servers: [{ ...local, name: "a;rm -rf /" }] },
      /testbed:servers\[0\]\.name: lowercase letters/,
    ],
    [
      "name of the wrong type",
      { servers: [{ ...local, name: 7 }] },
      /testbed:servers\[0\]\.name: expected a string/,
    ],
    [
      "duplicate names",
      { servers: [local, local] },
      /testbed:servers\[1\]\.name: duplicate server name 'local'/,
    ],
    ["unknown key", { servers: [{ ...local, colour: "red" }] }, /testbed:servers\[0\]: .*"colour"/],
    [
      "unknown profile",
      { servers: [{ ...local, profile: "cray-1" }] },
      /testbed:servers\[0\]\.profile: .*"auto"/,
    ],
    [
      "ssh connection without a host",
      { servers: [{ ...local, connection: { type: "ssh" } }] },
      /testbed:servers\[0\]\.connection\.host: required/,
    ],
    [
      "ssh port out of range",
      { servers: [{ ...local, connection: { type: "ssh", host: "blade1", port: 70000 } }] },
      /testbed:servers\[0\]\.connection\.port: .*<=\s*65535/,
    ],
    [
      "shell metacharacters in an ssh host",
      { servers: [{ ...local, connection: { type: "ssh", host: "a;reboot" } }] },
      /testbed:servers\[0\]\.connection\.host: a host name or IP address/,
    ],
    [
      "unknown connection type",
      { servers: [{ ...local, connection: { type: "telnet" } }] },
      /testbed:servers\[0\]\.connection(\.type)?: expected \{ type: local \} or \{ type: ssh/,
    ],
    [
      "unknown platform type",
      { servers: [{ ...local, platforms: [{ type: "hyperv" }] }] },
      /testbed:servers\[0\]\.platforms\[0\](\.type)?: expected a platform type: baseline, kvm, xen/,
    ],
    [
      "the same platform twice",
      { servers: [{ ...local, platforms: [{ type: "lxc" }, { type: "lxc" }] }] },
      /testbed:servers\[0\]\.platforms\[1\]\.type: a second lxc platform on server 'local'/,
    ],
    [
      "xen and kvm on one server",
      { servers: [{ ...local, platforms: [{ type: "xen" }, { type: "kvm" }] }] },
      /testbed:servers\[0\]\.platforms: xen and kvm cannot run on server 'local' at once/,
    ],
    [
      "a para guest with an emulated NIC",
      {
        servers: [
          {
            ...local,
            platforms: [
              { type: "xen", guests: [{ name: "g", mode: "para", network: { model: "e1000" } }] },
            ],
          },
        ],
      },
      /testbed:servers\[0\]\.platforms\[0\]\.guests\[0\]\.network\.model: para guests only have netfront/,
    ],
    [
      "a xen guest without a mode",
      { servers: [{ ...local, platforms: [{ type: "xen", guests: [{ name: "g" }] }] }] },
      /testbed:servers\[0\]\.platforms\[0\]\.guests\[0\]\.mode: /,
    ],
    [
      "partition backing without a partition",
      {
        servers: [
          {
            ...local,
            platforms: [{ type: "kvm", guests: [{ name: "g", disk: { backing: "partition" } }] }],
          },
        ],
      },
      /testbed:servers\[0\]\.platforms\[0\]\.guests\[0\]\.disk\.partition: backing: partition needs a partition/,
    ],
    [
      "too little guest memory",
      {
        servers: [
          { ...local, platforms: [{ type: "kvm", guests: [{ name: "g", memoryMiB: 16 }] }] },
        ],
      },
      /testbed:servers\[0\]\.platforms\[0\]\.guests\[0\]\.memoryMiB: .*>=\s*128/,
    ],
    [
      "a guest count of zero",
      { servers: [{ ...local, platforms: [{ type: "lxc", guests: [{ name: "c", count: 0 }] }] }] },
      /testbed:servers\[0\]\.platforms\[0\]\.guests\[0\]\.count: .*>=\s*1/,
    ],
    [
      "a bad cpuset",
      {
        servers: [{ ...local, platforms: [{ type: "lxc", guests: [{ name: "c", cpus: "0;1" }] }] }],
      },
      /testbed:servers\[0\]\.platforms\[0\]\.guests\[0\]\.cpus: a cpuset list/,
    ],
    [
      "the same guest name on two platforms",
      {
        servers: [
          {
            ...local,
            platforms: [
              { type: "lxc", guests: [{ name: "g" }] },
              { type: "kvm", guests: [{ name: "g" }] },
            ],
          },
        ],
      },
      /testbed:servers\[0\]\.platforms\[1\]\.guests\[0\]\.name: duplicate guest name 'g'/,
    ],
    [
      "probe timeout out of range",
      { servers: [{ ...local, probe: { kvmTimeoutSeconds: 0 } }] },
      /testbed:servers\[0\]\.probe\.kvmTimeoutSeconds: .*>=\s*1/,
    ],
    [
      "relative probe kernel path",
      { servers: [{ ...local, probe: { kernel: "vmlinuz" } }] },
      /testbed:servers\[0\]\.probe\.kernel: an absolute path/,
    ],
  ];
  it.each(cases)("rejects %s, naming the key", (_what, raw, message) => {
    expect(verdict(raw)).toMatch(message);
  });

  it("lists every bad key at once", () => {
    const msg = verdict({
      servers: [{ name: "Bad Name", connection: { type: "local" }, profile: "x" }],
    });
    expect(msg).toMatch(/servers\[0\]\.name/);
    expect(msg).toMatch(/servers\[0\]\.profile/);
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
