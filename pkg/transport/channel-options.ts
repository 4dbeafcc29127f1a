// grpc-js channel options shared by node<->node (Raft, peer API) and client
// channels: fast reconnects on loopback/LAN, keepalives that notice a dead
// peer within seconds, and room for big messages (snapshots, long listings).
// No channelz statistics (see server-options.ts): nothing reads them, and
// grpc-js would otherwise update them on every call and message.
import type * as grpc from '@grpc/grpc-js';

export const channelOptions: grpc.ChannelOptions = {
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.min_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1000,
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
  'grpc.max_send_message_length': 64 * 1024 * 1024,
  'grpc.enable_channelz': 0,
};
