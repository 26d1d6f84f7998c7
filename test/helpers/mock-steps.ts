import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

/** A fixture file's text (test/fixtures). */
export const fixture = (name: string) =>
  fs.readFileSync(path.join(__dirname, "..", "fixtures", name), "utf8");

/** A throwaway key pair as the keys steps print it: the private key, "@@@", the public key. */
export const keygenOutput = (): string =>
  execFileSync("bash", [
    "-c",
    'd=$(mktemp -d); ssh-keygen -q -t ed25519 -N "" -f "$d/k"; cat "$d/k"; echo "@@@"; cut -d" " -f1,2 "$d/k.pub"; rm -rf "$d"',
  ]).toString();

/**
 * What a step of the program prints, by its resource name, for Pulumi mocks
 * of a server with Xen: facts, the accelerator probe, keys, the guest image,
 * xl info and an emulated server's disk; "" for any other step.
 */
export function mockStdout(name: string, keys: string): string {
  if (name.endsWith("-facts")) return fixture("facts-go-firecracker.txt");
  if (name.endsWith("-accel-probe")) return fixture("accel-probe-go-firecracker.txt");
  if (name.endsWith("-emu-keys") || name.endsWith("-keygen")) return keys;
  if (name.endsWith("-image-build") || name.endsWith("-image-build-here")) {
    const d = "/var/cache/virt-testbed/images/0123456789abcdef";
    return `image: ${d}\nrootfs: ${d}/rootfs\ndisk: ${d}/disk.qcow2\nkernel: ${d}/vmlinuz\ninitrd: ${d}/initrd.img\nbuilt: now\n`;
  }
  if (name.endsWith("-xl-info")) return "xen_version            : 4.17.7\n";
  if (name.endsWith("-emu-disk")) {
    return "disk: /var/cache/virt-testbed/servers/bookworm-0123456789abcdef/disk.qcow2\nbuilt: now\n";
  }
  return "";
}
