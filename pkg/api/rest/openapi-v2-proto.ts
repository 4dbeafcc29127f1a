// The Swagger 2.0 document in the protobuf form kubectl downloads
// (`Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`) and
// parses as gnostic's openapi.v2.Document. Only what openapiV2() produces is
// encoded: info, paths (operations, parameters, responses, vendor
// extensions) and definitions (schemas). Field numbers are those of
// openapi/v2/OpenAPIv2.proto in github.com/google/gnostic-models; a vendor
// extension's value travels as YAML text, and JSON is YAML.
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

type Json = Record<string, unknown>;
type Encode<T> = (w: BinaryWriter, value: T) => void;

const str = (w: BinaryWriter, field: number, value: unknown): void => {
  if (typeof value === 'string' && value !== '')
    w.tag(field, WireType.LengthDelimited).string(value);
};
const strs = (w: BinaryWriter, field: number, value: unknown): void => {
  if (Array.isArray(value)) for (const s of value) str(w, field, String(s));
};
const bool = (w: BinaryWriter, field: number, value: unknown): void => {
  if (value === true) w.tag(field, WireType.Varint).bool(true);
};
const double = (w: BinaryWriter, field: number, value: unknown): void => {
  if (typeof value === 'number') w.tag(field, WireType.Bit64).double(value);
};
const int64 = (w: BinaryWriter, field: number, value: unknown): void => {
  if (typeof value === 'number') w.tag(field, WireType.Varint).int64(value);
};
function message<T>(w: BinaryWriter, field: number, value: T | undefined, encode: Encode<T>): void {
  if (value === undefined || value === null) return;
  w.tag(field, WireType.LengthDelimited).fork();
  encode(w, value);
  w.join();
}

/** Any { string yaml = 2 } */
const anyValue: Encode<unknown> = (w, v) => str(w, 2, JSON.stringify(v));
/** NamedAny { name = 1; Any value = 2 } for every x-* key of `o`. */
function vendorExtensions(w: BinaryWriter, field: number, o: Json): void {
  for (const [name, value] of Object.entries(o)) {
    if (!name.startsWith('x-') || value === undefined) continue;
    message(w, field, value, (w2, v) => {
      str(w2, 1, name);
      message(w2, 2, v, anyValue);
    });
  }
}

const schema: Encode<Json> = (w, s) => {
  str(w, 1, s.$ref);
  str(w, 2, s.format);
  str(w, 3, s.title);
  str(w, 4, s.description);
  if (s.default !== undefined) message(w, 5, s.default, anyValue);
  double(w, 7, s.maximum);
  bool(w, 8, s.exclusiveMaximum);
  double(w, 9, s.minimum);
  bool(w, 10, s.exclusiveMinimum);
  int64(w, 11, s.maxLength);
  int64(w, 12, s.minLength);
  str(w, 13, s.pattern);
  int64(w, 14, s.maxItems);
  int64(w, 15, s.minItems);
  bool(w, 16, s.uniqueItems);
  strs(w, 19, s.required);
  if (Array.isArray(s.enum)) for (const e of s.enum) message(w, 20, e as unknown, anyValue);
  const extra = s.additionalProperties;
  if (typeof extra === 'boolean') message(w, 21, extra, (w2, b) => bool(w2, 2, b));
  else if (typeof extra === 'object' && extra !== null) {
    message(w, 21, extra as Json, (w2, x) => message(w2, 1, x, schema));
  }
  if (typeof s.type === 'string') message(w, 22, s.type, (w2, t) => str(w2, 1, t));
  if (typeof s.items === 'object' && s.items !== null) {
    message(w, 23, s.items as Json, (w2, x) => message(w2, 1, x, schema));
  }
  if (typeof s.properties === 'object' && s.properties !== null) {
    message(w, 25, s.properties as Record<string, Json>, (w2, props) => {
      for (const [name, value] of Object.entries(props)) {
        message(w2, 1, value, (w3, v) => {
          str(w3, 1, name);
          message(w3, 2, v, schema);
        });
      }
    });
  }
  vendorExtensions(w, 31, s);
};

/** ParametersItem { Parameter parameter = 1 }: a body, query or path parameter. */
const parameter: Encode<Json> = (w, p) =>
  message(w, 1, p, (w2, q) => {
    if (q.in === 'body') {
      // Parameter.body_parameter = 1: BodyParameter { description 1, name 2, in 3, required 4, schema 5 }
      message(w2, 1, q, (w3, b) => {
        str(w3, 1, b.description);
        str(w3, 2, b.name);
        str(w3, 3, b.in);
        bool(w3, 4, b.required);
        message(w3, 5, b.schema as Json, schema);
      });
      return;
    }
    // Parameter.non_body_parameter = 2: NonBodyParameter { query = 3 | path = 4 }
    message(w2, 2, q, (w3, nb) => {
      const isPath = nb.in === 'path';
      message(w3, isPath ? 4 : 3, nb, (w4, x) => {
        // Both sub-schemas: required 1, in 2, description 3, name 4; then type is 5 (path) or 6 (query).
        bool(w4, 1, x.required);
        str(w4, 2, x.in);
        str(w4, 3, x.description);
        str(w4, 4, x.name);
        str(w4, isPath ? 5 : 6, x.type);
      });
    });
  });

const operation: Encode<Json> = (w, op) => {
  str(w, 3, op.description);
  str(w, 5, op.operationId);
  strs(w, 6, op.produces);
  strs(w, 7, op.consumes);
  for (const p of (op.parameters as Json[] | undefined) ?? []) message(w, 8, p, parameter);
  message(w, 9, op.responses as Record<string, Json> | undefined, (w2, responses) => {
    for (const [code, r] of Object.entries(responses)) {
      // NamedResponseValue { name 1, ResponseValue { Response response = 1 { description 1, SchemaItem schema 2 { Schema schema = 1 } } } }
      message(w2, 1, r, (w3, rv) => {
        str(w3, 1, code);
        message(w3, 2, rv, (w4, x) =>
          message(w4, 1, x, (w5, resp) => {
            str(w5, 1, resp.description);
            message(w5, 2, resp.schema as Json | undefined, (w6, sch) =>
              message(w6, 1, sch, schema),
            );
          }),
        );
      });
    }
  });
  vendorExtensions(w, 13, op);
};

/** PathItem fields by method. */
const METHOD_FIELDS: Readonly<Record<string, number>> = {
  get: 2,
  put: 3,
  post: 4,
  delete: 5,
  options: 6,
  head: 7,
  patch: 8,
};

/** Encodes a Swagger 2.0 document (as openApiV2 builds it) as openapi.v2.Document. */
export function swaggerToProtobuf(doc: Json): Uint8Array {
  const w = new BinaryWriter();
  str(w, 1, doc.swagger);
  message(w, 2, doc.info as Json | undefined, (w2, info) => {
    str(w2, 1, info.title);
    str(w2, 2, info.version);
  });
  message(w, 8, doc.paths as Record<string, Json> | undefined, (w2, paths) => {
    for (const [path, item] of Object.entries(paths)) {
      // Paths.path = 2: NamedPathItem { name 1, PathItem value 2 }
      message(w2, 2, item, (w3, it) => {
        str(w3, 1, path);
        message(w3, 2, it, (w4, x) => {
          for (const [method, op] of Object.entries(x)) {
            const field = METHOD_FIELDS[method];
            if (field !== undefined) message(w4, field, op as Json, operation);
          }
          for (const p of (x.parameters as Json[] | undefined) ?? []) message(w4, 9, p, parameter);
        });
      });
    }
  });
  message(w, 9, doc.definitions as Record<string, Json> | undefined, (w2, defs) => {
    for (const [name, s] of Object.entries(defs)) {
      message(w2, 1, s, (w3, x) => {
        str(w3, 1, name);
        message(w3, 2, x, schema);
      });
    }
  });
  return w.finish();
}
