import { commandProvider } from "../../components/command";
import { configSecrets, redactor, secretMark } from "../../components/secrets";

// A stack file as `pulumi config set --secret --path` writes it (ciphertexts shortened).
const stackFile = `encryptionsalt: v1:LJj8rqtLt2U=:v1:q3tv
config:
  testbed:benchmarks:
    unixbench:
      source:
        url:
          secure: v1:TERDwGf3OcKL
      repeats: 3
  testbed:servers:
    - name: a
      tags:
        - plain-tag
        - secure: v1:KbAN5oH
  testbed:token:
    secure: v1:EwdKgMPc
  other:thing: 1
`;
const url = "https://user:tok-123456@example.org/ub.tgz";
const config = {
  "testbed:benchmarks": JSON.stringify({ unixbench: { source: { url }, repeats: 3 } }),
  "testbed:servers": JSON.stringify([{ name: "a", tags: ["plain-tag", "secret-tag"] }]),
  "testbed:token": "a plain token",
  "other:thing": "1",
};
const keys = ["testbed:benchmarks", "testbed:servers", "testbed:token"];

describe("config secrets", () => {
  it("are the values written secure: in the stack file, not the rest of their key", () => {
    const s = configSecrets(config, keys, stackFile, "testbed");
    expect(s.issues).toEqual([]);
    expect(s.guessed).toEqual([]);
    expect(s.values).toEqual([url, "a plain token", "secret-tag"]);
    // A setting beside a secret one (repeats, the server's name, the plain tag) is not secret.
    expect(s.values).not.toContain("plain-tag");
  });

  it("keys of the project written without their namespace are found", () => {
    const bare = stackFile.replace("  testbed:token:", "  token:");
    expect(configSecrets(config, ["testbed:token"], bare, "testbed").values).toEqual([
      "a plain token",
    ]);
  });

  it("without a stack file to tell which, every text of 6+ characters under a secret key is secret", () => {
    const s = configSecrets(config, keys, undefined, "testbed");
    expect(s.guessed).toEqual(keys);
    expect(s.values).toEqual(expect.arrayContaining([url, "plain-tag", "secret-tag"]));
    expect(s.values).not.toContain("a"); // too short to hide
  });

  it("a secret that is not text, or too short to hide, is an issue naming its key path", () => {
    const s = configSecrets(
      {
        "testbed:servers": JSON.stringify([{ name: "a", port: 22, tags: ["x", "abc"] }]),
      },
      ["testbed:servers"],
      `config:
  testbed:servers:
    - name: a
      port:
        secure: v1:x
      tags:
        - x
        - secure: v1:y
`,
      "testbed",
    );
    expect(s.values).toEqual([]);
    expect(s.issues.join("\n")).toMatch(
      /testbed:servers\[0\]\.port: set as a secret, but it is number/,
    );
    expect(s.issues.join("\n")).toMatch(/testbed:servers\[0\]\.tags\[1\]: .*shorter than 6/);
  });

  it("a whole list set as one secret keeps its every text secret", () => {
    const s = configSecrets(
      { "testbed:servers": JSON.stringify([{ name: "server-one", tags: ["t"] }]) },
      ["testbed:servers"],
      "config:\n  testbed:servers:\n    secure: v1:x\n",
      "testbed",
    );
    expect(s.values).toEqual(["server-one"]);
    expect(s.guessed).toEqual(["testbed:servers"]);
  });
});

describe("redactor", () => {
  const r = redactor(["tok-123456", "user:tok-123456@host"]);
  it("hides each secret in text, the longest first", () => {
    expect(r.text("fetch https://user:tok-123456@host/x and tok-123456 again")).toBe(
      `fetch https://${secretMark}/x and ${secretMark} again`,
    );
  });
  it("hides secrets in every string and key of a value, and finds them", () => {
    const v = { a: ["x tok-123456"], "tok-123456": { n: 3, s: "ok" } };
    expect(r.deep(v)).toEqual({ a: [`x ${secretMark}`], [secretMark]: { n: 3, s: "ok" } });
    expect(r.found(v)).toBe(true);
    expect(r.found({ a: ["tok-12345"], n: 123456 })).toBe(false);
  });
  it("hides a secret also where it reads JSON-escaped (a quote or backslash in it)", () => {
    const odd = redactor(['tok"en\\abc123']);
    const json = JSON.stringify({ url: 'https://h/x?sig=tok"en\\abc123' });
    expect(odd.text(json)).toBe(`{"url":"https://h/x?sig=${secretMark}"}`);
  });
  it("with no secrets, changes nothing", () => {
    const none = redactor([]);
    const v = { a: "b" };
    expect(none.deep(v)).toBe(v);
    expect(none.found(v)).toBe(false);
  });
});

describe("a step's record", () => {
  const secret = "s3cr3t-t0ken";
  const inputs = (create: string, extra: Record<string, unknown> = {}) => ({
    create,
    step: "test: secrets",
    environment: { TOKEN: secret },
    redact: [secret],
    ...extra,
  });

  it("shows [secret] in stdout and stderr where the step printed a secret", async () => {
    const r = await commandProvider.create(inputs('echo "out $TOKEN"; echo "err $TOKEN" >&2'));
    expect(r.outs.stdout).toBe(`out ${secretMark}\n`);
    expect(r.outs.stderr).toBe(`err ${secretMark}\n`);
  });

  it("and in the error of a failed step, or the failure of one that fails softly", async () => {
    await expect(
      commandProvider.create(inputs('echo "cannot fetch $TOKEN" >&2; exit 3')),
    ).rejects.toThrow(new RegExp(`cannot fetch \\[secret\\]`));
    await expect(
      commandProvider.create(inputs('echo "cannot fetch $TOKEN" >&2; exit 3')),
    ).rejects.not.toThrow(secret);
    const soft = await commandProvider.create(
      inputs('echo "cannot fetch $TOKEN" >&2; exit 3', { failSoftly: true }),
    );
    expect(soft.outs.failure).toMatch(/cannot fetch \[secret\]/);
    expect(soft.outs.failure).not.toContain(secret);
  });

  it("and in a kept record when a value it printed becomes secret later (an update, no rerun)", async () => {
    const olds = await commandProvider.create(inputs('echo "out $TOKEN"', { redact: [] }));
    expect(olds.outs.stdout).toBe(`out ${secret}\n`);
    const news = inputs('echo "out $TOKEN"');
    const d = await commandProvider.diff!("id", olds.outs, news);
    expect(d.replaces).toEqual([]);
    const updated = await commandProvider.update!("id", olds.outs, news);
    expect(updated.outs!.stdout).toBe(`out ${secretMark}\n`);
  });

  it("and in the error of a failed delete", async () => {
    await expect(
      commandProvider.delete!("id", inputs("true", { delete: 'echo "no $TOKEN" >&2; exit 1' })),
    ).rejects.toThrow(/no \[secret\]/);
  });
});

describe("a step's prelude (shared shell functions)", () => {
  const step = { step: "test: prelude", create: "echo made", delete: "true" };
  it("runs before create, and a change to it alone updates the step without rerunning create", async () => {
    const made = await commandProvider.create({
      ...step,
      prelude: "say() { echo from-prelude; }\n",
      create: "say",
    });
    expect(made.outs.stdout).toBe("from-prelude\n");
    const d = await commandProvider.diff!("id", made.outs, {
      ...step,
      prelude: "say() { echo changed; }\n",
      create: "say",
    });
    expect(d).toMatchObject({ changes: true, replaces: [] });
  });

  it("keeps a record made before preludes were apart (its create began with one)", async () => {
    const old = { ...step, create: "lib() { :; }\necho made" };
    const d = await commandProvider.diff!("id", old, { ...step, prelude: "lib() { :; }\n" });
    expect(d.replaces).toEqual([]);
    // Its own script changed: made again.
    const other = await commandProvider.diff!("id", old, {
      ...step,
      create: "echo other",
      prelude: "lib() { :; }\n",
    });
    expect(other.replaces).toEqual(["create"]);
  });
});
