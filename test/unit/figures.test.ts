import { resourceSteps, textTable } from "../../scripts/figures";

describe("resourceSteps", () => {
  it("reads a preview's summary", () => {
    const out = "Previewing update (scale-8):\n...\nResources:\n    + 1531 to create\n\n";
    expect(resourceSteps(out)).toEqual({ create: 1531 });
  });

  it("reads an update's summary, the last one printed", () => {
    const out =
      "Resources:\n    + 3 to create\n\nUpdating (harness):\n...\nResources:\n    ~ 1 updated\n    +-18 replaced\n    44 unchanged\n\nDuration: 16m";
    expect(resourceSteps(out)).toEqual({ updated: 1, replaced: 18, unchanged: 44 });
  });

  it("finds nothing in output without a summary", () => {
    expect(resourceSteps("error: argument list too long")).toEqual({});
  });
});

describe("textTable", () => {
  const rows = [
    ["servers", "wall s"],
    ["8", "20.0"],
  ];
  it("right-aligns every column by default", () => {
    expect(textTable(rows)).toBe("servers  wall s\n      8    20.0");
  });
  it("left-aligns the first column when asked", () => {
    expect(textTable(rows, "left")).toBe("servers  wall s\n8          20.0");
  });
});
