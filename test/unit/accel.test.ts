import * as fs from "fs";
import * as path from "path";
import { parseAccelProbe } from "../../components/server/accel";

// Recorded by running components/server/accel-probe.sh on a `go` machine, where KVM guests hang.
const raw = fs.readFileSync(
  path.join(__dirname, "..", "fixtures", "accel-probe-go-firecracker.txt"),
  "utf8",
);

describe("parseAccelProbe", () => {
  it("chooses TCG when the KVM guest hangs", () => {
    const p = parseAccelProbe(raw);
    expect(p.accel).toBe("tcg");
    expect(p.kvm).toMatchObject({ result: "hang", seconds: 10, serialLines: 0 });
    expect(p.tcg).toMatchObject({ result: "boots", serialLines: 326 });
  });

  it("chooses KVM only when a KVM guest booted", () => {
    const p = parseAccelProbe(raw.replace("kvm result=hang", "kvm result=boots"));
    expect(p.accel).toBe("kvm");
  });

  it("chooses none when neither boots", () => {
    const p = parseAccelProbe(raw.replace("tcg result=boots", "tcg result=error"));
    expect(p.accel).toBe("none");
  });

  it("rejects output without a line per accelerator", () => {
    expect(() => parseAccelProbe(raw.split("\n")[0])).toThrow(/no tcg line/);
    expect(() => parseAccelProbe("")).toThrow(/no kvm line/);
  });

  it("rejects an unknown result", () => {
    expect(() => parseAccelProbe(raw.replace("result=hang", "result=maybe"))).toThrow(
      /accel probe: kvm: /,
    );
  });
});
