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

let validators: ReadonlyMap<Kind, ValidateFunction> | undefined;

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

/** The compiled validator for a kind's schema. */
export function validatorFor(kind: Kind): ValidateFunction {
  if (validators === undefined) {
    const ajv = createAjv();
    for (const [file, schema] of loadSchemas()) ajv.addSchema(schema, SCHEMA_BASE + file);
    const map = new Map<Kind, ValidateFunction>();
    for (const k of Object.keys(KINDS) as Kind[]) {
      const fn = ajv.getSchema(SCHEMA_BASE + KINDS[k].file);
      if (fn === undefined) throw new Error(`schema ${KINDS[k].file} did not compile`);
      map.set(k, fn);
    }
    validators = map;
  }
  const fn = validators.get(kind);
  if (fn === undefined) throw new Error(`no schema for kind ${kind}`);
  return fn;
}
