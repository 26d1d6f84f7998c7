import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { scratchDir } from "./scratch";

/** A real OpenSSH server on 127.0.0.1 for tests, with a throwaway host key and client key. */
export interface TestSshd {
  port: number;
  user: string;
  privateKey: string;
  /** Its host key's public half, "ssh-ed25519 AAAA...". */
  hostKey: string;
  /** The listener's PID (the sessions it started are their own processes). */
  readonly pid: number;
  /** Starts the listener again, as it was, once something stopped it (waits up to 5 s for that). */
  restart(): Promise<void>;
  stop(): void;
}

/** A loopback port nothing listens on (for now). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

async function listening(port: number, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.end();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sshd did not listen on 127.0.0.1:${port}`);
}

export async function startSshd(): Promise<TestSshd> {
  const dir = scratchDir("vtb-sshd-");
  const keygen = (file: string) =>
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", file]);
  keygen(path.join(dir, "host_key"));
  keygen(path.join(dir, "client_key"));
  fs.copyFileSync(path.join(dir, "client_key.pub"), path.join(dir, "authorized_keys"));
  fs.mkdirSync("/run/sshd", { recursive: true });
  const port = await freePort();
  const config = [
    `ListenAddress 127.0.0.1:${port}`,
    `HostKey ${dir}/host_key`,
    `AuthorizedKeysFile ${dir}/authorized_keys`,
    `PidFile ${dir}/sshd.pid`,
    "PermitRootLogin prohibit-password",
    "PasswordAuthentication no",
    "StrictModes no",
    "AllowTcpForwarding yes",
    "UsePAM no",
  ].join("\n");
  fs.writeFileSync(path.join(dir, "sshd_config"), config + "\n");
  const start = async () => {
    const p: ChildProcess = spawn(
      "/usr/sbin/sshd",
      ["-D", "-e", "-f", path.join(dir, "sshd_config")],
      {
        stdio: "ignore",
      },
    );
    await listening(port, Date.now() + 10_000);
    return p;
  };
  let proc = await start();
  return {
    get pid() {
      return proc.pid!;
    },
    async restart() {
      // Only once the listener is gone: a second one could not take the port.
      if (proc.exitCode === null && proc.signalCode === null) {
        await new Promise((resolve) => {
          proc.once("exit", resolve);
          setTimeout(resolve, 5_000);
        });
        if (proc.exitCode === null && proc.signalCode === null) return;
      }
      proc = await start();
    },
    port,
    user: os.userInfo().username,
    privateKey: fs.readFileSync(path.join(dir, "client_key"), "utf8"),
    hostKey: fs
      .readFileSync(path.join(dir, "host_key.pub"), "utf8")
      .split(" ")
      .slice(0, 2)
      .join(" "),
    stop() {
      proc.kill("SIGTERM");
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
