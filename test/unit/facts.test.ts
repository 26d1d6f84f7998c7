import * as fs from "fs";
import * as path from "path";
import { parseFacts } from "../../components/server/facts";

const fixture = (name: string) =>
  fs.readFileSync(path.join(__dirname, "..", "fixtures", name), "utf8");

describe("parseFacts", () => {
  // Recorded by running components/server/facts.sh on a `go` machine (a Firecracker VM).
  const raw = fixture("facts-go-firecracker.txt");

  it("reads the recorded output of facts.sh", () => {
    const f = parseFacts(raw);
    expect(f.cpu.model).toBe("Intel(R) Xeon(R) Processor");
    expect(f.cpu.vendor).toBe("GenuineIntel");
    expect(f.cpu).toMatchObject({
      sockets: 1,
      coresPerSocket: 2,
      threadsPerCore: 1,
      logicalCpus: 2,
    });
    expect(f.cpu.mhz).toBe(2100);
    expect(f.cpu.caches).toContainEqual({ level: 1, type: "Data", sizeKiB: 48 });
    expect(f.cpu.caches).toContainEqual({ level: 3, type: "Unified", sizeKiB: 307200 });
    expect(f.memory).toEqual({ totalMiB: 24152, swapMiB: 0 });
    expect(f.disks).toEqual([
      { name: "vda", sizeBytes: 274877906944, rotational: true, model: null },
    ]);
    expect(f.kernel.release).toBe("6.18.44-fc-v657");
    expect(f.os).toMatchObject({ id: "debian", versionId: "12" });
    expect(f.platform).toMatchObject({ vm: "kvm", container: "docker" });
    expect(f.virtualization).toEqual({ cpuFlag: "none", devKvm: true });
  });

  it("rejects truncated output, naming the missing sections", () => {
    const cut = raw.slice(0, raw.indexOf("@@@ meminfo"));
    expect(() => parseFacts(cut)).toThrow(/missing section\(s\) meminfo, disks/);
  });

  it("rejects garbled lscpu JSON instead of guessing", () => {
    const bad = raw.replace('"lscpu": [', '"lscpu": [[');
    expect(() => parseFacts(bad)).toThrow(/^lscpu: not valid JSON/);
  });

  it("rejects a non-numeric socket count", () => {
    const bad = raw.replace(/("field": "Socket\(s\):",\s*"data": )"1"/, '$1"one"');
    expect(() => parseFacts(bad)).toThrow(/lscpu Socket\(s\): expected an integer, got "one"/);
  });

  it("rejects an unreadable cache line", () => {
    const bad = raw.replace("1 Data 48K", "1 Data lots");
    expect(() => parseFacts(bad)).toThrow(/cache: cannot read line "1 Data lots"/);
  });

  it("rejects output with no memory total", () => {
    const bad = raw.replace(/^MemTotal:.*$/m, "");
    expect(() => parseFacts(bad)).toThrow(/meminfo: no MemTotal/);
  });

  it("reads the nested lscpu layout of newer util-linux", () => {
    // util-linux >= 2.38.1 nests per-model fields under "Vendor ID" as children.
    const nested = raw.replace(
      /"field": "Vendor ID:",\s*"data": "GenuineIntel"\s*\},\{\s*"field": "Model name:",\s*"data": "Intel\(R\) Xeon\(R\) Processor"\s*\}/,
      '"field": "Vendor ID:", "data": "GenuineIntel", "children": [{"field": "Model name:", "data": "Intel(R) Xeon(R) Processor"}]}',
    );
    expect(nested).not.toBe(raw);
    expect(parseFacts(nested).cpu.model).toBe("Intel(R) Xeon(R) Processor");
  });
});
