// `npm run benchmarks`: every module, its parameters' defaults as the module parses them.
import { benchmarks } from "../../benchmarks";
import { main } from "../../scripts/benchmarks";

function run(...argv: string[]) {
  let out = "";
  let err = "";
  const code = main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe("npm run benchmarks", () => {
  it("lists every benchmark with each parameter's default as its module gives it", () => {
    const r = run();
    expect(r.code).toBe(0);
    for (const [id, m] of Object.entries(benchmarks)) {
      expect(r.out.split("\n\n").some((b) => b.startsWith(`${id}: ${m.description}\n`))).toBe(true);
      const defaults = m.parameters.safeParse({});
      if (!defaults.success) continue; // a required parameter (HEP-SPEC06's installation) has none
      const block = r.out.split("\n\n").find((b) => b.startsWith(`${id}: `))!;
      for (const [k, v] of Object.entries(defaults.data as object)) {
        const line = block.split("\n").find((l) => l.startsWith(`    ${k}: `));
        // A default that is an object of its own defaults (UnixBench's source) is the module's {}.
        if (typeof v !== "object" || Array.isArray(v))
          expect(line).toContain(`default ${JSON.stringify(v)}`);
        else expect(line).toMatch(/default /);
      }
    }
  });

  it("gives one benchmark, JSON for tools, and names an unknown one", () => {
    const one = run("iperf3");
    expect(one.out.split("\n\n")).toHaveLength(1);
    expect(one.out).toMatch(/profile quick: \{/);
    const j = JSON.parse(run("--json").out) as Record<
      string,
      { parameters: { properties: object } }
    >;
    expect(Object.keys(j)).toEqual(Object.keys(benchmarks));
    expect(Object.keys(j.bonnie.parameters.properties)).toContain("sizeMiB");
    expect(run("bonie")).toMatchObject({
      code: 2,
      err: expect.stringMatching(/unknown benchmark bonie \(known: /),
    });
  });
});
