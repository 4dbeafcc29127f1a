// The ajv instance and the compiled validator of each kind: built on first use and
// kept for the life of the process (a module-level lazy singleton).
//
// ajv (and its code generation) costs tens of milliseconds to load and compile, so it
// is loaded with require() only when the first manifest is validated. A CLI verb that
// never validates (get, logs, explain) never pays for it.

import { createRequire } from 'node:module';
import type * as Ajv2020Module from 'ajv/dist/2020.js';
import type { Ajv2020 as Ajv2020Type, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { FORMATS, quantityError } from './formats.js';
import { KINDS, SCHEMA_BASE, loadSchemas, type Kind } from './schemas.js';

export type { ErrorObject };

const require = createRequire(import.meta.url);

let ajvInstance: Ajv2020Type | undefined;
const validators = new Map<Kind, ValidateFunction>();

function createAjv(): Ajv2020Type {
  const { Ajv2020 } = require('ajv/dist/2020.js') as typeof Ajv2020Module;
  const ajv = new Ajv2020({
    allErrors: true, // every error at once, not just the first
    useDefaults: true, // fill in the schemas' defaults while validating
    verbose: true, // errors carry the offending data and schema, for our messages
    strict: true,
    allowUnionTypes: true, // command: string | string[]; env: map | list
    coerceTypes: false, // "3" is not an integer
    // The schemas are checked against the JSON Schema meta-schema by the unit tests;
    // compiling the meta-schema here would double the start-up cost.
    validateSchema: false,
    inlineRefs: false, // shared $defs compile once, not once per kind that uses them
  });
  for (const [name, format] of Object.entries(FORMATS)) {
    ajv.addFormat(name, { type: 'string', validate: format.validate });
  }
  ajv.addKeyword({
    keyword: 'quantity',
    type: ['string', 'number'],
    schemaType: 'string',
    errors: false,
    validate: (kind: string, data: unknown) => quantityError(kind, data) === undefined,
  });
  return ajv;
}

/**
 * The compiled validator for a kind's schema. Each kind compiles on first use (shared
 * $defs once), so `apply` of a file of Jobs never pays for the other kinds.
 */
export function validatorFor(kind: Kind): ValidateFunction {
  let fn = validators.get(kind);
  if (fn !== undefined) return fn;
  if (ajvInstance === undefined) {
    ajvInstance = createAjv();
    for (const [file, schema] of loadSchemas()) ajvInstance.addSchema(schema, SCHEMA_BASE + file);
  }
  fn = ajvInstance.getSchema(SCHEMA_BASE + KINDS[kind].file);
  if (fn === undefined) throw new Error(`schema ${KINDS[kind].file} did not compile`);
  validators.set(kind, fn);
  return fn;
}

/**
 * Compiles the validators of `kinds` now. jobd does so for the kinds it
 * admits on every node (Jobs, its own Node) while it starts, before Raft runs:
 * compiling the Job schema takes a few hundred milliseconds of one core, which
 * the first apply after a start would otherwise wait for, on every node.
 */
export function compileValidators(kinds: readonly Kind[]): void {
  for (const kind of kinds) validatorFor(kind);
}
