import * as pulumi from "@pulumi/pulumi";
import { Command } from "../command";

/**
 * The stack's SSH key pair for its VM guests, made once by ssh-keygen on the
 * Pulumi host. The private key exists only as a Pulumi secret (the step's
 * output is stored encrypted); the public key reaches guests on their kernel
 * command line.
 */
export class GuestKey extends pulumi.ComponentResource {
  public readonly privateKey: pulumi.Output<string>;
  public readonly publicKey: pulumi.Output<string>;

  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("testbed:guest:Key", name, {}, opts);
    const keygen = new Command(
      `${name}-keygen`,
      {
        step: "guest SSH key",
        create:
          'd="$(mktemp -d)"; trap \'rm -rf "$d"\' EXIT\n' +
          'ssh-keygen -q -t ed25519 -N "" -C vtb-guest -f "$d/k"\ncat "$d/k"; echo "@@@"; cat "$d/k.pub"',
        timeoutSeconds: 30,
      },
      { parent: this, additionalSecretOutputs: ["stdout"] },
    );
    const parts = keygen.stdout.apply((out) => {
      const [priv, pub] = out.split("@@@\n");
      if (!priv?.includes("PRIVATE KEY") || !pub?.startsWith("ssh-ed25519 ")) {
        throw new Error("guest SSH key: ssh-keygen printed no key pair");
      }
      return { priv, pub: pub.trim() };
    });
    this.privateKey = pulumi.secret(parts.apply((p) => p.priv));
    this.publicKey = pulumi.unsecret(parts.apply((p) => p.pub));
    this.registerOutputs({ publicKey: this.publicKey });
  }
}
