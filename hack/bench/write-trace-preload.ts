// Loaded into each jobd of `compare` with BENCH_TRACE=DIR (node --import
// this file): timestamps the steps of a replicated write in this process,
// for write-trace.ts to put together. Nothing in jobd changes; the methods of
// the write path are wrapped here, on their prototypes:
//   api.apply            ApiService.apply (the API's admit layer), entry and answer
//   batch.send           CommandBatcher.sendBatch: an entry leaves the batcher
//   ready                RaftNode.handleReady, with how many entries it appends
//   wal                  Wal.writeBatch: write + fdatasync
//   sm.apply             ResourceStore.apply of one committed entry
//   net.send, net.recv   Raft messages handed to / received from the gRPC transport
// Lines "<epoch µs> <event> <detail>" go to DIR/<pid>.log, only while the
// file DIR/on exists (looked at every 200 ms), so that only the runs the
// bench wants traced are.
import { appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ApiService } from '../../pkg/api/service.js';
import { CommandBatcher } from '../../pkg/api/command-batcher.js';
import { RaftNode } from '../../pkg/raft/node.js';
import { Wal } from '../../pkg/raft/storage/wal.js';
import type { Message, Ready } from '../../pkg/raft/types.js';
import { ResourceStore } from '../../pkg/store/store.js';
import { GrpcTransport } from '../../pkg/transport/grpc-raft.js';
import { epochMicros } from './write-trace.js';

const dir = process.env.BENCH_TRACE;
if (dir) install(dir);

function install(traceDir: string): void {
  const file = join(traceDir, `${process.pid}.log`);
  const gate = join(traceDir, 'on');
  let on = false;
  let lines: string[] = [];
  const flush = (): void => {
    if (lines.length === 0) return;
    appendFileSync(file, `${lines.join('\n')}\n`);
    lines = [];
  };
  setInterval(() => {
    on = existsSync(gate);
    flush();
  }, 200).unref();
  process.on('exit', flush);
  const note = (event: string, detail = ''): void => {
    if (on) lines.push(`${epochMicros()} ${event} ${detail}`);
  };

  /** Notes `label>` when the method is called and `label<` when it (or its promise) ends. */
  const wrap = (
    proto: object,
    method: string,
    label: string,
    detail?: (...args: never[]) => string,
  ) => {
    const original = Reflect.get(proto, method) as (...args: unknown[]) => unknown;
    Reflect.set(proto, method, function (this: unknown, ...args: unknown[]) {
      note(`${label}>`, detail ? detail(...(args as never[])) : '');
      const result = original.apply(this, args);
      if (result instanceof Promise) {
        result.then(
          () => note(`${label}<`),
          () => note(`${label}<`, 'failed'),
        );
      } else note(`${label}<`);
      return result;
    });
  };
  const types = (msgs: readonly Message[]): string => msgs.map((m) => m.type).join(',');

  wrap(ApiService.prototype, 'apply', 'api.apply');
  wrap(CommandBatcher.prototype, 'sendBatch', 'batch.send');
  wrap(RaftNode.prototype, 'handleReady', 'ready', (rd: Ready) => `entries=${rd.entries.length}`);
  wrap(Wal.prototype, 'writeBatch', 'wal');
  wrap(
    ResourceStore.prototype,
    'apply',
    'sm.apply',
    (_i: number, d: Uint8Array) => `bytes=${d.length}`,
  );
  wrap(GrpcTransport.prototype, 'send', 'net.send', (msgs: readonly Message[]) => types(msgs));
  const onMessage = Reflect.get(GrpcTransport.prototype, 'onMessage') as (
    this: GrpcTransport,
    h: (m: Message) => void,
  ) => void;
  Reflect.set(
    GrpcTransport.prototype,
    'onMessage',
    function (this: GrpcTransport, h: (m: Message) => void) {
      onMessage.call(this, (m: Message) => {
        note('net.recv', m.type);
        h(m);
      });
    },
  );
}
