// `npm run parse`: what it reads (regular files, up to a limit), which ids it
// knows (own keys only), and how long and how readable its errors are.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { main } from "../../scripts/parse";
import { scratchDir } from "../helpers/scratch";

const fixtures = path.join(__dirname, "../fixtures/benchmarks");
const postalFixture = path.join(
  fixtures,
  "postal/postal-0.76-postfix-3.7.11-bookworm-loopback-3min-4threads.txt",
);
const bonnieFixture = path.join(fixtures, "bonnie/bonnie-2.00a-bookworm-quick.csv");

function parse(...argv: string[]) {
  let out = "";
  let err = "";
  const code = main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const scratch = () => scratchDir("vtb-parse-");

describe("npm run parse", () => {
  it("parses a raw output with the parameters.json beside it", () => {
    const dir = scratch();
    const raw = path.join(dir, "trial-1.txt");
    fs.copyFileSync(postalFixture, raw);
    fs.writeFileSync(path.join(dir, "parameters.json"), JSON.stringify({ minutes: 3 }));
    const r = parse("postal", raw);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ benchmark: "postal" });
    // Without it, postal's default of 5 minutes does not match a 3-minute run.
    fs.rmSync(path.join(dir, "parameters.json"));
    expect(parse("postal", raw)).toMatchObject({ code: 1, err: expect.stringMatching(/minutes/) });
  });

  it.each([["--help"], ["-h"]])(
    "%s prints the usage, the ids and the limits, and exits 0",
    (flag) => {
      const r = parse(flag);
      expect(r.code).toBe(0);
      expect(r.err).toBe("");
      expect(r.out).toMatch(/^usage: npm run --silent parse -- <benchmark-id> <raw-output-file>/);
      expect(r.out).toMatch(/benchmark ids: .*bonnie/);
      expect(r.out).toMatch(/at most 64 MiB/);
      expect(r.out).toMatch(/at most 1 MiB/);
    },
  );

  it("gives the usage and exit code 2 without arguments, or with one too many", () => {
    expect(parse()).toMatchObject({ code: 2, err: expect.stringMatching(/^usage: /) });
    const r = parse("bonnie", bonnieFixture, "p.json", "extra");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unexpected argument "extra"/);
  });

  it.each(["constructor", "toString", "hasOwnProperty", "__proto__", "valueOf"])(
    "does not take %s, which every object inherits, for a benchmark",
    (id) => {
      const r = parse(id, bonnieFixture);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(new RegExp(`^parse: unknown benchmark "${id}" \\(known: .*bonnie`));
    },
  );

  it("quotes a long or hostile id shortly, its newlines as escapes", () => {
    const id = `x\n\u001b[2J${"y".repeat(100000)}`;
    const r = parse(id, bonnieFixture);
    expect(r.code).toBe(2);
    expect(r.err.length).toBeLessThan(400);
    expect(r.err).toContain('"x\\n\\u001b[2J');
    expect(r.err.split("\n").filter(Boolean)).toHaveLength(1);
  });

  it("refuses /dev/zero at once instead of reading it until memory runs out", () => {
    const r = parse("postal", "/dev/zero");
    expect(r.code).toBe(2);
    expect(r.err).toBe("parse: /dev/zero: a character device, not a regular file: not read\n");
  });

  it("refuses a FIFO without waiting for a writer, and a directory", () => {
    const dir = scratch();
    const fifo = path.join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    expect(parse("postal", fifo).err).toBe(
      `parse: ${fifo}: a FIFO, not a regular file: not read\n`,
    );
    expect(parse("postal", dir).err).toMatch(/a directory, not a regular file/);
    // A link to a device is the device.
    const link = path.join(dir, "zero");
    fs.symlinkSync("/dev/zero", link);
    expect(parse("postal", link).err).toMatch(/a character device/);
  });

  it("refuses a raw output over 64 MiB, naming the file and the limit", () => {
    const dir = scratch();
    const big = path.join(dir, "trial-1.txt");
    // Sparse: 64 MiB and a byte, without writing them.
    fs.writeFileSync(big, "");
    fs.truncateSync(big, 64 * 1024 * 1024 + 1);
    const r = parse("postal", big);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `parse: ${big}: larger than 64 MiB, the limit for a raw output: not read (67108865 bytes)\n`,
    );
    fs.truncateSync(big, 64 * 1024 * 1024);
    // At the limit it is read (and then does not parse: it is all zero bytes).
    expect(parse("postal", big).code).toBe(1);
  });

  it("names a missing file", () => {
    expect(parse("postal", "/nonexistent/trial-1.txt").err).toBe(
      "parse: /nonexistent/trial-1.txt: cannot read: no such file\n",
    );
  });

  it("states bad parameters as key path: message lines, not zod's JSON", () => {
    const dir = scratch();
    const raw = path.join(dir, "trial-1.txt");
    fs.copyFileSync(postalFixture, raw);
    fs.writeFileSync(
      path.join(dir, "parameters.json"),
      JSON.stringify({ minutes: 3, threads: 0, bogus: 1 }),
    );
    const r = parse("postal", raw);
    expect(r.code).toBe(2);
    const lines = r.err.trimEnd().split("\n");
    expect(lines[0]).toBe(`parse: ${path.join(dir, "parameters.json")}: not parameters of postal:`);
    expect(lines.slice(1).sort()).toEqual([
      "  bogus: unknown key",
      expect.stringMatching(/^ {2}threads: Too small: expected number to be >=1$/),
    ]);
    expect(r.err).not.toMatch(/"code"|\[\s*\{/);
  });

  it("refuses a __proto__ key in parameters.json, which zod would drop silently", () => {
    const dir = scratch();
    const params = path.join(dir, "p.json");
    fs.writeFileSync(params, '{"minutes": 3, "__proto__": {"threads": 0}}');
    const r = parse("postal", postalFixture, params);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`parse: ${params}: __proto__: a key named __proto__\n`);
  });

  it("bounds the parser's error when the output has a megabyte-long line", () => {
    const dir = scratch();
    const raw = path.join(dir, "trial-1.txt");
    const text = fs.readFileSync(postalFixture, "utf8");
    fs.writeFileSync(raw, text.replace(/^(time,.*)$/m, `$1\n${"noise ".repeat(200000)}`));
    fs.writeFileSync(path.join(dir, "parameters.json"), JSON.stringify({ minutes: 3 }));
    const r = parse("postal", raw);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^parse: .*trial-1\.txt: postal: cannot read "noise noise/);
    expect(r.err).toMatch(/… \(\d+ more characters\)\n$/);
    expect(r.err.length).toBeLessThan(700);
  });

  describe("ab's own output, as a run by hand prints it", () => {
    const framedFile = path.join(
      fixtures,
      "ab/ab-2.3-lighttpd-1.4.69-bookworm-loopback-keepalive-64k.txt",
    );
    const framed = fs.readFileSync(framedFile, "utf8");
    // What ab itself printed: the framed file's "ab" section.
    const own = framed.slice(framed.indexOf("@@@ ab\n") + 7, framed.indexOf("@@@ end"));
    const write = (text: string) => {
      const f = path.join(scratch(), "ab.txt");
      fs.writeFileSync(f, text);
      return f;
    };

    it("reads it without parameters, saying the run it describes, with the framed output's figures", () => {
      const r = parse("ab", write(own));
      expect(r.code).toBe(0);
      expect(r.err).toMatch(
        /^parse: read as ab's own output; the run it describes: \{.*"keepalive":true/,
      );
      const inFrame = parse(
        "ab",
        framedFile,
        write(JSON.stringify({ requests: 2000, keepalive: true, fileKiB: 64 })),
      );
      expect(inFrame.code).toBe(0);
      expect(JSON.parse(r.out)).toEqual(JSON.parse(inFrame.out));
    });

    it("takes another server and document, as a lab's own runs have", () => {
      const elsewhere = own
        .replace(/^Server Hostname:.*$/m, "Server Hostname:        www.example.org")
        .replace(/^Document Path:.*$/m, "Document Path:          /index.html");
      const r = parse("ab", write(elsewhere));
      expect(r.code).toBe(0);
      expect(r.err).toContain('"host":"www.example.org"');
      expect(r.err).toContain('"path":"/index.html"');
    });

    it("warns when ab counted failures or error pages, and refuses ab -l's variable length", () => {
      const errors = own.replace(/^(Failed requests:.*)$/m, "$1\nNon-2xx responses:      2000");
      const r = parse("ab", write(errors));
      expect(r.code).toBe(0);
      expect(r.err).not.toContain("non2xx");
      expect(r.err).toMatch(
        /warning: 2000 responses that were not 2xx \(error pages\): the rates include them/,
      );
      const variable = own.replace(/^Document Length:.*$/m, "Document Length:        Variable");
      expect(parse("ab", write(variable))).toMatchObject({
        code: 1,
        err: expect.stringMatching(/Document Length: Variable \(ab -l\)/),
      });
    });

    it("refuses a changed figure, a missing banner and a parameters.json, saying which", () => {
      const changed = own.replace(
        /^(Requests per second:\s+)(\d)/m,
        (_m, a: string, d: string) => `${a}${(Number(d) + 1) % 10}`,
      );
      expect(parse("ab", write(changed))).toMatchObject({
        code: 1,
        err: expect.stringMatching(/Requests per second .* disagrees with/),
      });
      const noBanner = own.replace(/^This is ApacheBench.*\n/m, "");
      expect(parse("ab", write(noBanner))).toMatchObject({
        code: 1,
        err: expect.stringMatching(/no "This is ApacheBench, Version x\.y" banner/),
      });
      expect(parse("ab", write(own), write("{}"))).toMatchObject({
        code: 2,
        err: expect.stringMatching(
          /ab's own output says how it was run; a parameters\.json is for/,
        ),
      });
    });
  });

  describe("bonnie++'s own output, as a run by hand prints it", () => {
    const csvOf = (name: string) =>
      fs
        .readFileSync(path.join(fixtures, "bonnie", name), "utf8")
        .split("\n")
        .filter((l) => /^\d/.test(l))[0];
    const write = (text: string) => {
      const f = path.join(scratch(), "bonnie.out");
      fs.writeFileSync(f, text);
      return f;
    };

    it("reads a CSV of any data-set size without parameters, which the defaults refused", () => {
      const csv = csvOf("bonnie-2.00a-bookworm-4g-files.csv");
      const r = parse("bonnie", write(`${csv}\n`));
      expect(r.code).toBe(0);
      expect(r.err).toMatch(
        /the run it describes: \{"machine":"[^"]+","concurrency":"1","dataset":"4G",.*"files":"16,/,
      );
      expect(JSON.parse(r.out).metrics.length).toBeGreaterThan(10);
      // An archived run's raw output, its parameters.json beside it, is still checked against them.
      const dir = scratch();
      fs.writeFileSync(path.join(dir, "trial-1.txt"), `${csv}\n`);
      fs.writeFileSync(path.join(dir, "parameters.json"), "{}");
      expect(parse("bonnie", path.join(dir, "trial-1.txt"))).toMatchObject({
        code: 1,
        err: expect.stringMatching(/output of another run/),
      });
    });

    it("takes the CSV line that ends bonnie++'s full report, and refuses two runs in one file", () => {
      const csv = csvOf("bonnie-2.00a-bookworm-quick.csv");
      const report =
        "Version 2.00a       ------Sequential Output------ --Sequential Input- --Random-\n" +
        "                    -Per Chr- --Block-- -Rewrite- -Per Chr- --Block-- --Seeks--\n" +
        `${csv}\n`;
      expect(parse("bonnie", write(report)).code).toBe(0);
      expect(parse("bonnie", write(`${csv}\n${csv}\n`))).toMatchObject({
        code: 1,
        err: expect.stringMatching(/expected one bonnie\+\+ CSV line .* got 2/),
      });
    });
  });
});
