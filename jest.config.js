/** Unit tests run in parallel under Pulumi mocks; end-to-end tests drive the real CLI one at a time. */
const common = { preset: "ts-jest", testEnvironment: "node" };
module.exports = {
  globalSetup: "<rootDir>/test/helpers/global-setup.ts",
  testSequencer: "<rootDir>/test/helpers/sequencer.js",
  projects: [
    { ...common, displayName: "unit", testMatch: ["<rootDir>/test/unit/**/*.test.ts"] },
    { ...common, displayName: "e2e", testMatch: ["<rootDir>/test/e2e/**/*.test.ts"] },
  ],
};
