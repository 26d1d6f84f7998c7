import { execFileSync, spawn } from "child_process";
import * as net from "net";
import { exportLines, runRemoteScript, SshConnection } from "../../components/command";
import { freePort, startSshd, TestSshd } from "../helpers/sshd";

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

  it("checks a pinned host key before authenticating: the right one passes, another is refused", async () => {
    const pinned = { ...conn, hostKey: sshd.hostKey };
    expect((await runRemoteScript(pinned, "echo in", {}, 20, "pinned")).stdout).toBe("in\n");
    const other = execFileSync("bash", [
      "-c",
      'd=$(mktemp -d); ssh-keygen -q -t ed25519 -N "" -f "$d/k"; cut -d" " -f1,2 "$d/k.pub"; rm -rf "$d"',
    ])
      .toString()
      .trim();
    await expect(
      runRemoteScript({ ...conn, hostKey: other }, "touch /nonexistent-dir/x", {}, 20, "impostor"),
    ).rejects.toThrow(/^impostor: ssh .*@127\.0\.0\.1:\d+: .*verification failed/);
    // A malformed pin refuses too, never passes as "no pin".
    await expect(
      runRemoteScript({ ...conn, hostKey: "ssh-ed25519" }, "true", {}, 20, "broken pin"),
    ).rejects.toThrow(/verification failed/);
  });

  it("names the step and the host when the script fails", async () => {
    await expect(
      runRemoteScript(conn, "echo nope >&2; exit 4", {}, 20, "remote step"),
    ).rejects.toThrow(
      new RegExp(`^remote step: exited with code 4 on .*@127\\.0\\.0\\.1:${sshd.port}\\nnope`),
    );
  });

  it("says a step was cut off, not an exit code, when its session goes away under it", async () => {
    // The session's sshd dies as a reboot would take it: no exit status comes back.
    const killOwnSshd =
      'p=$$; while [ "$(ps -o comm= -p "$p")" != sshd ]; do p=$(ps -o ppid= -p "$p" | tr -d " "); done; kill -9 "$p"; sleep 5';
    await expect(runRemoteScript(conn, killOwnSshd, {}, 20, "cut step")).rejects.toThrow(
      /^cut step: cut off on .* before it ended \(the server rebooted/,
    );
  }, 30_000);

  it("says a step was killed by a signal, not timed out, when one ends it before its timeout", async () => {
    // SIGKILL of the step's shell, as the OOM killer would: timeout(1) passes the signal on.
    await expect(runRemoteScript(conn, "kill -9 $$", {}, 20, "oom")).rejects.toThrow(
      /^oom: killed by SIGKILL on /,
    );
  }, 30_000);

  it("fails a step whose stdout is over the limit, as a local step does", async () => {
    const big = "head -c 3000 /dev/zero | tr '\\0' x";
    await expect(runRemoteScript(conn, big, {}, 20, "remote big", 2999)).rejects.toThrow(
      new RegExp(
        `^remote big: printed 3000 bytes \\(0\\.0 MiB\\) on stdout on .*@127\\.0\\.0\\.1:${sshd.port}, ` +
          "more than the 2999 bytes \\(0\\.0 MiB\\) a step may print",
      ),
    );
    const run = await runRemoteScript(
      conn,
      `${big}; echo oops >&2`,
      {},
      20,
      "remote at limit",
      3000,
    );
    expect(run.stdout).toBe("x".repeat(3000));
    // The remote pid line is taken off stderr, and nothing else.
    expect(run.stderr).toBe("oops\n");
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

  it("stops the remote script when the pulumi engine that started it is gone (SIGKILLed)", async () => {
    // The engine's address is the provider's argument; here a listener stands in for it.
    const engine = net.createServer().listen(0, "127.0.0.1");
    await new Promise((r) => engine.once("listening", r));
    const address = `127.0.0.1:${(engine.address() as net.AddressInfo).port}`;
    process.argv.push(address);
    const marker = `vtb-remote-orphan-${Date.now()}`;
    const ps = () => execFileSync("ps", ["-eo", "stat=,args="]).toString();
    const live = () =>
      ps()
        .split("\n")
        .filter((l) => !l.startsWith("Z") && l.includes(marker));
    try {
      // One of them in a process group of its own, as `timeout` makes one.
      const run = runRemoteScript(
        conn,
        `timeout 600 bash -c 'exec -a ${marker} sleep 300' & exec -a ${marker} sleep 300`,
        {},
        600,
        "long remote step",
      );
      await new Promise((r) => setTimeout(r, 2500));
      expect(live()).toHaveLength(3);
      const t0 = Date.now();
      engine.close();
      await expect(run).rejects.toThrow(
        /^long remote step: stopped: the pulumi engine that started it is gone/,
      );
      expect(Date.now() - t0).toBeLessThan(8000);
      await new Promise((r) => setTimeout(r, 500));
      expect(live()).toEqual([]);
    } finally {
      process.argv.splice(process.argv.indexOf(address), 1);
      engine.close();
    }
  }, 30_000);

  it("reaches the host through a jump host", async () => {
    const viaJump = { ...conn, jump: { host: "127.0.0.1", port: sshd.port, user: sshd.user } };
    const run = await runRemoteScript(viaJump, "echo hop", {}, 20, "jump");
    expect(run.stdout).toBe("hop\n");
  });

  it("reaches the host through a chain of jump hosts: a guest through its server through a bastion", async () => {
    const hop = { host: "127.0.0.1", port: sshd.port, user: sshd.user };
    const chain = { ...conn, jump: { ...hop, jump: hop } };
    expect((await runRemoteScript(chain, "echo hops", {}, 20, "chain")).stdout).toBe("hops\n");
    // The first hop is the bastion: nothing answers at it, and the error names it.
    const closed = await freePort();
    const noBastion = { ...conn, jump: { ...hop, jump: { ...hop, port: closed } } };
    await expect(runRemoteScript(noBastion, "true", {}, 20, "chain")).rejects.toThrow(
      new RegExp(`^chain: ssh root@127\\.0\\.0\\.1:${closed}: .*ECONNREFUSED`),
    );
    // The server behind it does not answer: the bastion says so, naming the server.
    const noServer = { ...conn, jump: { ...hop, port: closed, jump: hop } };
    await expect(runRemoteScript(noServer, "true", {}, 20, "chain")).rejects.toThrow(
      new RegExp(`^chain: ssh root@127\\.0\\.0\\.1:${closed} through 127\\.0\\.0\\.1: `),
    );
  });

  it("gives up on a host behind a jump host that never answers its connect, at the handshake limit", async () => {
    // A listener whose queue is full drops further SYNs, as a host that is down
    // leaves them unanswered: the jump host's own connect would retry for minutes.
    const full = spawn("python3", [
      "-c",
      "import socket,sys,time\ns=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(0)\n" +
        "print(s.getsockname()[1], flush=True)\ntime.sleep(120)",
    ]);
    const held: net.Socket[] = [];
    try {
      const port = Number(
        await new Promise<string>((r) => full.stdout.once("data", (d: Buffer) => r(d.toString()))),
      );
      // Fill the accept queue, never accepted.
      for (let i = 0; i < 4; i++) held.push(net.connect(port, "127.0.0.1").on("error", () => {}));
      await new Promise((r) => setTimeout(r, 300));
      const hop = { host: "127.0.0.1", port: sshd.port, user: sshd.user };
      const behind = { ...conn, port, connectTimeoutSeconds: 3, jump: hop };
      const t0 = Date.now();
      await expect(runRemoteScript(behind, "true", {}, 20, "down")).rejects.toThrow(
        new RegExp(
          `^down: ssh root@127\\.0\\.0\\.1:${port} through 127\\.0\\.0\\.1: no connection within 3s`,
        ),
      );
      expect(Date.now() - t0).toBeLessThan(10_000);
    } finally {
      held.forEach((h) => h.destroy());
      full.kill();
    }
  }, 30_000);

  it("uses ssh-agent's keys when it has no key, through a jump host too", async () => {
    // A real agent holding the server's key, on a socket in a directory of our own.
    const dir = execFileSync("mktemp", ["-d"]).toString().trim();
    const sock = `${dir}/agent.sock`;
    const out = execFileSync("ssh-agent", ["-a", sock, "-s"]).toString();
    const agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(out)![1]);
    const saved = process.env.SSH_AUTH_SOCK;
    try {
      const agentless = { ...conn, privateKey: "" };
      delete process.env.SSH_AUTH_SOCK;
      await expect(runRemoteScript(agentless, "true", {}, 20, "agent")).rejects.toThrow(
        /^agent: ssh .*: no private key, and no ssh-agent to ask \(SSH_AUTH_SOCK is not set/,
      );
      process.env.SSH_AUTH_SOCK = sock;
      // An agent without the key is refused by the server.
      await expect(runRemoteScript(agentless, "true", {}, 20, "agent")).rejects.toThrow(
        /authentication methods failed/,
      );
      execFileSync("ssh-add", ["-q", "-"], { input: sshd.privateKey, env: { ...process.env } });
      expect((await runRemoteScript(agentless, "echo agent", {}, 20, "agent")).stdout).toBe(
        "agent\n",
      );
      const viaJump = {
        ...agentless,
        jump: { host: "127.0.0.1", port: sshd.port, user: sshd.user },
      };
      expect((await runRemoteScript(viaJump, "echo hop", {}, 20, "agent")).stdout).toBe("hop\n");
    } finally {
      if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = saved;
      process.kill(agentPid);
      execFileSync("rm", ["-rf", dir]);
    }
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
