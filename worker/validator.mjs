// Compiles docs/trace.schema.json into build/trace-validator.mjs with
// ajv's standalone mode: plain JavaScript with no eval, which Workers
// forbid. entry.mjs hands it to the Go handler, which checks every shared
// trace with it (a Go JSON Schema validator in the Worker would cost
// ~60 ms of CPU per request in package initialization alone).
//
//   node validator.mjs   (build.sh runs it)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import standaloneCode from 'ajv/dist/standalone/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const schema = JSON.parse(fs.readFileSync(path.join(here, '..', 'docs', 'trace.schema.json'), 'utf8'));
const ajv = new Ajv2020({ code: { source: true, esm: true }, allErrors: false, strict: false });
const validate = ajv.compile(schema);
fs.mkdirSync(path.join(here, 'build'), { recursive: true });
fs.writeFileSync(path.join(here, 'build', 'trace-validator.mjs'), standaloneCode(ajv, validate));
