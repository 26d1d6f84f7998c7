/**
 * Test file order: jest's own, or VTB_TEST_ORDER=reverse, or random:SEED, to
 * show that no test depends on what ran before it.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Sequencer = require("@jest/test-sequencer").default;

class OrderSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    const order = process.env.VTB_TEST_ORDER ?? "";
    if (order === "") return sorted;
    const out = order === "reverse" ? [...sorted].reverse() : this.shuffle(sorted, order);
    const root = `${process.cwd()}/`;
    process.stderr.write(
      `[test] order ${order}:\n${out.map((t) => `  ${t.path.replace(root, "")}`).join("\n")}\n`,
    );
    return out;
  }

  shuffle(sorted, order) {
    const m = /^random:(\d+)$/.exec(order);
    if (!m) throw new Error(`VTB_TEST_ORDER: expected reverse or random:SEED, got ${order}`);
    // A small seeded generator (mulberry32): the same seed, the same order.
    let s = Number(m[1]) >>> 0;
    const next = () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const out = [...sorted];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}

module.exports = OrderSequencer;
