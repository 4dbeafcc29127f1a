// grpc-js serializers that encode into one protobuf writer kept per message
// type. The generated ones (gen/*.ts: Buffer.from(Msg.encode(value).finish()))
// start every message with a new BinaryWriter, whose buffer grows by doubling
// (a copy each time); finish() copies the bytes out, and Buffer.from copies
// them once more. On the hot paths (each API answer, each Raft batch of
// entries) that is three or four copies of every byte and the garbage they
// leave. Here the writer's buffer is kept between messages, finish() makes the
// one copy a message needs, and the Buffer handed to grpc-js is a view of it.
// Encoding is synchronous, so one writer per message type is never shared.
// The bytes are exactly the generated serializer's (reused-writer.test.ts).
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import type * as grpc from '@grpc/grpc-js';

/** A generated message type's encoder (ts-proto's MessageFns). */
export interface Encoder<T> {
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
}

/** A writer that grew past this for one message is dropped, so it holds no more for long. */
const KEEP_BYTES = 1 << 20;

/** A serializer of `type` that reuses one writer (see above). */
export function reusedWriterSerializer<T>(type: Encoder<T>): (value: T) => Buffer {
  let writer = new BinaryWriter();
  return (value) => {
    let bytes: Uint8Array;
    try {
      bytes = type.encode(value, writer).finish();
    } catch (err) {
      // A failed encode leaves the writer mid-message: start afresh.
      writer = new BinaryWriter();
      throw err;
    }
    if (bytes.byteLength > KEEP_BYTES) writer = new BinaryWriter();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

/** Which of a method's messages to serialize with a reused writer. */
export interface MethodEncoders {
  // Typed loosely (encode is a method, so any message type's encoder fits).
  readonly request?: Encoder<unknown>;
  readonly response?: Encoder<unknown>;
}

/** `definition` with the serializers of the methods in `encoders` replaced by reusedWriterSerializer. */
export function withReusedWriters<D extends grpc.ServiceDefinition>(
  definition: D,
  encoders: { readonly [K in keyof D]?: MethodEncoders },
): D {
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = { ...definition };
  for (const [name, enc] of Object.entries(encoders) as [string, MethodEncoders][]) {
    const method = definition[name];
    if (!method) throw new Error(`no method ${name} in the service definition`);
    out[name] = {
      ...method,
      ...(enc.request ? { requestSerialize: reusedWriterSerializer(enc.request) } : {}),
      ...(enc.response ? { responseSerialize: reusedWriterSerializer(enc.response) } : {}),
    };
  }
  return out as unknown as D;
}
