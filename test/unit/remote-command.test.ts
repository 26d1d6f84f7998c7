import { execFileSync } from "child_process";
import { exportLines, runRemoteScript, SshConnection } from "../../components/command";
import { startSshd, TestSshd } from "../helpers/sshd";

// A real sshd on 127.0.0.1: the SSH path of the command resource, without Pulumi.
let sshd: TestSshd;
let conn: SshConnection;
beforeAll(async () => {
  sshd = await startSshd();
  conn = {
    host: "127.0.0.1",
    port: sshd.port,
    user: sshd.user,
    privateKey: sshd.privateKey,
    connectTimeoutSeconds: 10,
  };
});
afterAll(() => sshd?.stop());

describe("runRemoteScript", () => {
  it("runs the script with its environment, quoted so the shell never expands it", async () => {
    const hostile = 'it\'s $(id) `id` "$HOME" \\ ;|&';
    const run = await runRemoteScript(conn, 'printf %s "$V"', { V: hostile }, 20, "remote echo");
    expect(run.stdout).toBe(hostile);
  });

  it("names the step and the host when the script fails", async () => {
    await expect(
      runRemoteScript(conn, "echo nope >&2; exit 4", {}, 20, "remote step"),
    ).rejects.toThrow(
      new RegExp(`^remote step: exited with code 4 on .*@127\\.0\\.0\\.1:${sshd.port}\\nnope`),
    );
  });

  it("stops the remote script at its timeout, leaving no process behind", async () => {
    const marker = `vtb-remote-timeout-${Date.now()}`;
    await expect(
      runRemoteScript(
        conn,
        `(exec -a ${marker} sleep 300) & exec -a ${marker} sleep 300`,
        {},
        2,
        "slow",
      ),
    ).rejects.toThrow(/^slow: timed out after 2s/);
    await new Promise((r) => setTimeout(r, 500));
    expect(execFileSync("ps", ["-eo", "args"]).toString()).not.toContain(marker);
  });

  it("reaches the host through a jump host", async () => {
    const viaJump = { ...conn, jump: { host: "127.0.0.1", port: sshd.port, user: sshd.user } };
    const run = await runRemoteScript(viaJump, "echo hop", {}, 20, "jump");
    expect(run.stdout).toBe("hop\n");
  });

  it("fails clearly when the key is refused", async () => {
    const wrong = execFileSync("bash", [
      "-c",
      'd=$(mktemp -d); ssh-keygen -q -t ed25519 -N "" -f $d/k; cat $d/k; rm -rf $d',
    ]).toString();
    await expect(
      runRemoteScript({ ...conn, privateKey: wrong }, "true", {}, 20, "auth"),
    ).rejects.toThrow(
      /^auth: ssh .*@127\.0\.0\.1:\d+: All configured authentication methods failed/,
    );
  });
});

describe("exportLines", () => {
  it("refuses names that are not shell variable names", () => {
    expect(() => exportLines({ "A;rm": "x" })).toThrow(/bad environment variable name/);
  });
});
