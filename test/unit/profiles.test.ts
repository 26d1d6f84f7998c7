import * as fs from "fs";
import * as path from "path";
import { Facts, parseFacts } from "../../components/server/facts";
import { checkProfile } from "../../components/server/profiles";

const here = parseFacts(
  fs.readFileSync(path.join(__dirname, "..", "fixtures", "facts-go-firecracker.txt"), "utf8"),
);

/** These facts as an E5420 blade would report them. */
function asBlade(f: Facts): Facts {
  return {
    ...f,
    cpu: {
      ...f.cpu,
      model: "Intel(R) Xeon(R) CPU           E5420  @ 2.50GHz",
      sockets: 2,
      coresPerSocket: 4,
      threadsPerCore: 1,
      mhz: 2493.8,
      caches: [{ level: 2, type: "Unified", sizeKiB: 6144 }],
    },
    memory: { totalMiB: 16045, swapMiB: 0 },
  };
}

describe("checkProfile", () => {
  it("accepts anything for the auto profile", () => {
    expect(checkProfile("auto", here)).toEqual({ profile: "auto", matches: true, mismatches: [] });
  });

  it("reports each field where this machine is not a PIII testbed", () => {
    const c = checkProfile("piii-800-testbed", here);
    expect(c.matches).toBe(false);
    const fields = c.mismatches.map((m) => m.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        "cpu.model",
        "cpu.sockets",
        "cpu.mhz",
        "memory.totalMiB",
        "disks[0].sizeBytes",
      ]),
    );
    expect(c.mismatches.find((m) => m.field === "cpu.sockets")).toEqual({
      field: "cpu.sockets",
      expected: "2",
      actual: "1",
    });
  });

  it("matches a blade within tolerance", () => {
    expect(checkProfile("dual-e5420-blade", asBlade(here))).toMatchObject({ matches: true });
  });

  it("catches a blade with half its memory", () => {
    const f = asBlade(here);
    const c = checkProfile("dual-e5420-blade", { ...f, memory: { totalMiB: 8000, swapMiB: 0 } });
    expect(c.mismatches.map((m) => m.field)).toEqual(["memory.totalMiB"]);
  });

  it("rejects an unknown profile name", () => {
    expect(() => checkProfile("cray-1", here)).toThrow(/unknown hardware profile 'cray-1'/);
  });
});
