// npm run schema: writes schema/stack.schema.json, the JSON Schema of a stack
// file made from the config's own zod schemas (components/stack-file-schema.ts).
// Stack files name it in their first line, so editors with YAML support
// (yaml-language-server) complete and check them:
//   # yaml-language-server: $schema=schema/stack.schema.json
import * as fs from "fs";
import * as path from "path";
import { stackFileSchemaText } from "../components/stack-file-schema";

export const schemaFile = path.join(__dirname, "..", "schema", "stack.schema.json");

if (require.main === module) {
  if (process.argv.includes("--help") || process.argv.includes("-h")) {
    process.stdout.write(
      "usage: npm run schema\nWrites schema/stack.schema.json from the config's schema; a test checks it is in sync.\n",
    );
  } else {
    fs.mkdirSync(path.dirname(schemaFile), { recursive: true });
    fs.writeFileSync(schemaFile, stackFileSchemaText());
    process.stdout.write(`${schemaFile}\n`);
  }
}
