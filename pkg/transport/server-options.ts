// Options of the node's gRPC server (Raft and the Jobctl API share its port),
// chosen against hostile or broken clients:
// - message size: 64 MiB in and out. Raft batches (several MsgApp of up to
//   1 MiB, snapshot chunks) need room; API objects are refused far earlier, at
//   256 KiB of JSON by admission (and api-wire.ts refuses undecodable bytes).
// - keepalive: the server pings each connection every 60 s and drops it when the
//   answer takes over 20 s: a dead or stalled peer (or a socket that stopped
//   speaking HTTP/2, the gRPC slowloris) does not hold a connection forever.
// - max connection idle: a connection without any call for 5 minutes gets GOAWAY
//   (clients reconnect on their next call).
// - max concurrent streams: 1000 calls at once per connection.
// - channelz off: grpc-js keeps, by default, channelz statistics of every
//   call, message and session (counters, timestamps, trace events) for an
//   introspection service jobctl does not serve: a callback per message and
//   per call on the write path (`addMessageReceived` was 3-4% of a follower's
//   samples in a profile of 64 writers, a loaded machine).
// No max connection age: Watch and Logs streams and the Raft streams are meant to
// live for hours; forcing them to reconnect would cost resyncs for nothing.
import type { ServerOptions } from '@grpc/grpc-js';

export const GRPC_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export function nodeServerOptions(): ServerOptions {
  return {
    'grpc.max_receive_message_length': GRPC_MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': GRPC_MAX_MESSAGE_BYTES,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 5000,
    'grpc.keepalive_time_ms': 60_000,
    'grpc.keepalive_timeout_ms': 20_000,
    'grpc.max_connection_idle_ms': 5 * 60_000,
    'grpc.max_concurrent_streams': 1000,
    'grpc.enable_channelz': 0,
  };
}
