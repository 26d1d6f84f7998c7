import * as pulumi from "@pulumi/pulumi";
import { keygenOutput, mockStdout } from "../helpers/mock-steps";

// A Xen guest on a server behind a bastion (`connection.jump`) is reached
// through the server, and the server through the bastion, with the server's
// key: the chain the provider follows hop by hop (test/unit/remote-command's
// real sshd takes the same chain). Under Pulumi mocks.

// A throwaway key: the server's, and (with its public half) the guests' keygen step's output.
const keygen = keygenOutput();
const serverKey = keygen.split("@@@\n")[0];
const stdoutFor = (name: string) => mockStdout(name, keygen);

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
    "testbed:servers": JSON.stringify([
      {
        name: "blade",
        connection: {
          type: "ssh",
          host: "192.0.2.10",
          connectTimeoutSeconds: 45,
          jump: { host: "bastion.example.org", port: 2222, user: "ops" },
        },
        platforms: [{ type: "xen", guests: [{ name: "para", mode: "para", memoryMiB: 512 }] }],
      },
    ]),
    "testbed:sshKeys": JSON.stringify({ blade: serverKey }),
    "testbed:benchmarks": JSON.stringify([{ id: "openssl-speed", repeats: 1 }]),
  });
});

// Pulumi's mark of a secret value in a resource's inputs.
const secretSig = "4dabf18193072939515e22adb298388d";
const plain = (v: unknown) => {
  const o = v as Record<string, unknown>;
  return (o[secretSig] ? o.value : o) as Record<string, unknown>;
};

it("reaches a guest through its server, and the server through its bastion with the server's key", async () => {
  const program = await import("../../index");
  // Dynamic resources register asynchronously: wait until the last outputs resolve.
  await new Promise((resolve) => pulumi.output(program.testbed).apply(resolve));
  await new Promise((resolve) => pulumi.output(program.results).apply(resolve));
  await new Promise((resolve) => pulumi.output(program.archive).apply(resolve));
  const server = plain(created.find((c) => c.name === "blade-facts")!.inputs.connection);
  expect(server).toMatchObject({
    host: "192.0.2.10",
    jump: { host: "bastion.example.org", port: 2222, user: "ops" },
  });
  const guest = plain(created.find((c) => c.name === "blade-xen-para-ssh")!.inputs.connection);
  expect(guest.host).toMatch(/^10\.198\.0\.\d+$/);
  // Each hop with the server's own handshake limit, not the guest's 10 s.
  expect(guest.jump).toEqual({
    host: "192.0.2.10",
    port: 22,
    user: "root",
    privateKey: serverKey,
    connectTimeoutSeconds: 45,
    jump: {
      host: "bastion.example.org",
      port: 2222,
      user: "ops",
      privateKey: serverKey,
      connectTimeoutSeconds: 45,
    },
  });
}, 60_000);
