// Public API of manifest validation: parse files, validate objects, explain fields.
export {
  validateManifest,
  mustValidateManifest,
  formatValidationErrors,
  ManifestInvalidError,
} from './validate.js';
export type {
  ValidateOptions,
  ValidationResult,
  ValidManifest,
  InvalidManifest,
  FieldError,
} from './validate.js';
export { compileValidators } from './compile.js';
export { parseManifests, MAX_YAML_ALIASES } from './parse.js';
export type { ParsedManifest, ParseResult } from './parse.js';
export { explain } from './explain.js';
export type { ExplainOptions } from './explain.js';
export {
  checkManifestSize,
  MAX_MANIFEST_BYTES,
  MAX_OBJECT_BYTES,
  MAX_COMMAND_BYTES,
} from './limits.js';
export { API_VERSION, KINDS, KNOWN_KINDS, kindFromName, isKind } from './schemas.js';
export type { Kind } from './schemas.js';
export type { JsonObject } from './normalize.js';
