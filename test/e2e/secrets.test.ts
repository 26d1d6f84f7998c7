import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { root, TestStack } from "../helpers/stack";

// A value set as a secret with --path (a UnixBench source URL carrying a
// token) flows through a real `pulumi up`: into a step's environment, to curl
// on the server, into the step's error and the trial's, and into the archived
// parameters. It must show nowhere but in a --show-secrets export.
const name = "e2esecrets";
const stack = new TestStack(
  name,
  `config:
  testbed:benchmarks:
    - id: unixbench
      repeats: 1
      parameters:
        source:
          sha256: ${"ab".repeat(32)}
  testbed:servers:
    - name: local
      connection:
        type: local
      profile: auto
      platforms:
        - type: baseline
`,
);
let upStarted = false;

afterAll(() => {
  if (upStarted) {
    const r = stack.run("destroy", "--yes", "--skip-preview");
    if (r.status !== 0)
      console.error(`cleanup destroy failed; state in ${stack.backend}:\n${r.stderr}`);
  }
  stack.remove();
  fs.rmSync(path.join(root, "results", name), { recursive: true, force: true });
});

const filesUnder = (dir: string): string[] =>
  fs.existsSync(dir)
    ? fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).map((f) => path.join(dir, f))
    : [];

describe("a config value set as a secret, for real", () => {
  jest.setTimeout(15 * 60 * 1000);

  it("stays out of state, outputs, errors, the archive and other users' ps", async () => {
    const token = crypto.randomBytes(12).toString("hex");
    const seen: { url?: string; inPs?: boolean } = {};
    // The server the URL names: it holds the request long enough to look at
    // every process's arguments, then refuses (the trial fails, naming the URL).
    const server = http.createServer((req, res) => {
      seen.url = req.url;
      setTimeout(() => {
        seen.inPs = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }).includes(token);
        res.writeHead(404).end();
      }, 1500);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    const url = `http://127.0.0.1:${port}/unixbench-${token}.tgz`;
    try {
      stack.pulumi("stack", "init");
      const set = stack.runWithInput(
        url,
        "config",
        "set",
        "--secret",
        "--path",
        "testbed:benchmarks[0].parameters.source.url",
      );
      expect(set.status).toBe(0);
      upStarted = true;
      // Asynchronously: the test's own server must answer meanwhile.
      const up = await stack.start("up", "--yes", "--skip-preview").exited;
      const printed = up.stdout + up.stderr;
      expect(up.status).toBe(0);

      // The URL did reach curl (the test could fail), on its stdin, not its arguments.
      expect(seen.url).toBe(`/unixbench-${token}.tgz`);
      expect(seen.inPs).toBe(false);
      expect(printed).toMatch(/cannot download \[secret\]/);

      const outputs = stack.pulumi("stack", "output", "--json");
      const trial = JSON.parse(outputs).results.local.baseline.host.unixbench;
      expect(JSON.stringify(trial)).toMatch(/cannot download \[secret\]/);

      const plain = stack.pulumi("stack", "export");
      const withSecrets = stack.pulumi("stack", "export", "--show-secrets");
      expect(withSecrets).toContain(token);
      const archived = filesUnder(path.join(root, "results", name)).filter((f) =>
        fs.statSync(f).isFile(),
      );
      expect(archived.some((f) => f.endsWith("parameters.json"))).toBe(true);
      const archive = archived.map((f) => fs.readFileSync(f, "utf8")).join("\n");
      expect(archive).toContain(secretMarkJson);
      for (const [where, text] of Object.entries({ printed, outputs, plain, archive })) {
        expect({ where, leaks: text.includes(token) }).toEqual({ where, leaks: false });
      }
    } finally {
      server.close();
    }
  });
});

// parameters.json names the URL as "[secret]".
const secretMarkJson = '"url": "[secret]"';
