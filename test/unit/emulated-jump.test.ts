import * as pulumi from "@pulumi/pulumi";
import { keygenOutput, mockStdout } from "../helpers/mock-steps";

// An emulated server behind another (`connection.jump`), under Pulumi mocks:
// the one in front serves a private link and is made first, the one behind
// joins it, has no port here, and every step on it (and on its Xen guest) goes
// through the one in front with that server's own key and pinned host key.
// The real run is test/e2e/emulated.test.ts.

// One key pair per emulated server, told apart by the step's name.
const keys = { gw: keygenOutput(), blade: keygenOutput() };
const stdoutFor = (name: string) => mockStdout(name, name.startsWith("gw-") ? keys.gw : keys.blade);
const privateOf = (k: string) => k.split("@@@\n")[0];
const publicOf = (k: string) => k.split("@@@\n")[1].trim();

const created: { name: string; inputs: Record<string, unknown> }[] = [];

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        created.push({ name: args.name, inputs: args.inputs });
        const stdout = stdoutFor(args.name);
        return { id: `${args.name}-id`, state: { ...args.inputs, stdout, stderr: "" } };
      },
      call: (args) => args.inputs,
    },
    "virt-testbed",
    "unit",
    false,
  );
  pulumi.runtime.setAllConfig({
    // Listed behind first: the one in front is made first all the same.
    "testbed:servers": JSON.stringify([
      {
        name: "blade",
        connection: { type: "emulated", jump: "gw", memoryMiB: 3072 },
        platforms: [
          { type: "baseline" },
          { type: "xen", guests: [{ name: "para", mode: "para", memoryMiB: 512 }] },
        ],
      },
      {
        name: "gw",
        connection: { type: "emulated", sshPort: 22110, memoryMiB: 512 },
        platforms: [],
      },
    ]),
    "testbed:benchmarks": JSON.stringify([{ id: "openssl-speed", repeats: 1 }]),
  });
});

// Pulumi's mark of a secret value in a resource's inputs.
const secretSig = "4dabf18193072939515e22adb298388d";
const plain = (v: unknown) => {
  const o = v as Record<string, unknown>;
  return (o[secretSig] ? o.value : o) as Record<string, unknown>;
};
const inputs = (name: string) => {
  const c = created.find((c) => c.name === name);
  if (!c) throw new Error(`no resource ${name}: ${created.map((c) => c.name).join(", ")}`);
  return c.inputs;
};
const env = (name: string) => plain(inputs(name).environment);

it("links the two QEMUs, reaches the one behind only through the one in front, and its guest through both", async () => {
  const program = await import("../../index");
  await new Promise((resolve) => pulumi.output(program.testbed).apply(resolve));
  await new Promise((resolve) => pulumi.output(program.results).apply(resolve));
  await new Promise((resolve) => pulumi.output(program.archive).apply(resolve));

  // The link: the front listens on a socket in its own directory, the one behind joins it.
  expect(env("gw-emulated-emu-machine")).toMatchObject({
    LAB: "front",
    LAB_SOCKET: "/var/lib/virt-testbed/emulated/gw/lab.sock",
    LAB_ADDRESS: "10.223.0.1",
  });
  expect(env("blade-emulated-emu-machine")).toMatchObject({
    LAB: "behind",
    LAB_SOCKET: "/var/lib/virt-testbed/emulated/gw/lab.sock",
    LAB_ADDRESS: "10.223.0.2",
    // A front made again makes it again (QEMU 7.2's stream netdev never reconnects).
    FRONT_NAME: "gw",
    FRONT_DIR: "/var/lib/virt-testbed/emulated/gw",
    FRONT_INSTANCE: "gw-emulated-emu-machine-id",
  });
  // Each seed gets its own end's address.
  expect(env("gw-emulated-emu-keys")).toMatchObject({ LAB_ADDRESS: "10.223.0.1" });
  expect(env("blade-emulated-emu-keys")).toMatchObject({ LAB_ADDRESS: "10.223.0.2" });

  const front = {
    host: "127.0.0.1",
    port: 22110,
    user: "root",
    privateKey: privateOf(keys.gw),
    hostKey: publicOf(keys.gw),
    connectTimeoutSeconds: 10,
  };
  const server = plain(inputs("blade-facts").connection);
  expect(server).toMatchObject({
    host: "10.223.0.2",
    port: 22,
    privateKey: privateOf(keys.blade),
    hostKey: publicOf(keys.blade),
    emulator: "/var/lib/virt-testbed/emulated/blade",
    jump: front,
  });
  // The guest: through the server behind, and it through the one in front.
  const guest = plain(inputs("blade-xen-para-ssh").connection);
  expect(guest.jump).toMatchObject({
    host: "10.223.0.2",
    port: 22,
    privateKey: privateOf(keys.blade),
    hostKey: publicOf(keys.blade),
    jump: front,
  });
  // The guest image is copied in through the one in front.
  expect(env("blade-image-seed")).toMatchObject({
    SSH_HOST: "10.223.0.2",
    JUMP_DIR: "/var/lib/virt-testbed/emulated/gw",
    JUMP_PORT: "22110",
  });
  // The one in front measures nothing: it has no runs.
  expect(created.filter((c) => c.name.startsWith("gw-") && c.name.endsWith("-trials"))).toEqual([]);
}, 60_000);
