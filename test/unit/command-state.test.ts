import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { commandProvider } from "../../components/command";

// What the provider returns goes to the engine as a protobuf Struct, which
// takes no `undefined`: a key without a value fails every step of an `up`
// ("Unexpected struct type"), which no test through the provider alone sees.
const toEngine = (o: object) => () => Struct.fromJavaScript(o as never);

describe("a step's record, as the engine receives it", () => {
  it("is encodable after a plain create, a create in rounds, and an update of a record older than both", async () => {
    const plain = await commandProvider.create({ step: "t", create: "echo hi" });
    expect(toEngine(plain.outs)).not.toThrow();
    const rounds = await commandProvider.create({
      step: "t",
      create: 'echo "round $VTB_ROUND"',
      rounds: { order: ["0", "0"], min: 2 },
      provenance: { commit: "abc" },
    });
    expect(rounds.outs.stdout).toBe("round 1\nround 2\n");
    expect(rounds.outs.measuredWith.commit).toBe("abc");
    expect(toEngine(rounds.outs)).not.toThrow();
    // A record written before rounds and provenance existed.
    const old = { step: "t", create: "echo hi", stdout: "hi\n", stderr: "", exitCode: 0 };
    const updated = await commandProvider.update!("id", old, { ...old, step: "t2" });
    expect(toEngine(updated.outs!)).not.toThrow();
    expect(updated.outs!.step).toBe("t2");
  });
});
