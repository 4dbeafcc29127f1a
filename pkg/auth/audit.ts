// The audit log: one JSON line per mutating request (apply, create, update,
// status update, delete, transfer-leader), allowed or not, appended to a file
// on the node that served it. Lines are written one at a time in call order;
// when the next line would take the file past maxBytes it is rotated first
// (FILE -> FILE.1 -> FILE.2 ..., keeping maxFiles old files). A failing disk
// never fails the request: the error is logged once per episode.
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface AuditRecord {
  /** RFC 3339 time the request was answered. */
  readonly time: string;
  /** The node that served the request. */
  readonly node: string;
  readonly protocol: 'grpc' | 'rest';
  readonly user: string;
  readonly groups: readonly string[];
  /** certificate | token | anonymous | node, or '' when authentication failed. */
  readonly via: string;
  readonly verb: string;
  readonly resource: string;
  readonly namespace: string;
  readonly name: string;
  readonly dryRun?: boolean;
  /** success, or failure with the reason (Unauthorized, Forbidden, Invalid, Conflict, ...). */
  readonly result: 'success' | 'failure';
  readonly reason?: string;
  readonly message?: string;
}

export interface AuditSink {
  record(r: AuditRecord): Promise<void>;
}

export interface AuditLogOptions {
  readonly path: string;
  /** Rotate before the file would exceed this (default 10 MiB). */
  readonly maxBytes?: number;
  /** Old files kept: FILE.1 (newest) .. FILE.N (default 5; 0 keeps none). */
  readonly maxFiles?: number;
  /** Where write failures are reported. */
  readonly onError?: (err: unknown) => void;
}

export const DEFAULT_AUDIT_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_AUDIT_MAX_FILES = 5;

export class AuditLog implements AuditSink {
  private readonly maxBytes: number;
  private readonly maxFiles: number;
  private file: FileHandle | undefined;
  private size = 0;
  private chain: Promise<void> = Promise.resolve();
  private failing = false;
  private closed = false;

  constructor(private readonly o: AuditLogOptions) {
    this.maxBytes = o.maxBytes ?? DEFAULT_AUDIT_MAX_BYTES;
    this.maxFiles = o.maxFiles ?? DEFAULT_AUDIT_MAX_FILES;
  }

  /** Appends one line; resolves once it is written (never rejects). */
  record(r: AuditRecord): Promise<void> {
    const line = `${JSON.stringify(r)}\n`;
    this.chain = this.chain.then(() => this.write(line));
    return this.chain;
  }

  /** Waits for pending lines and closes the file. */
  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
    await this.file?.close().catch(() => {});
    this.file = undefined;
  }

  private async write(line: string): Promise<void> {
    if (this.closed) return;
    try {
      const bytes = Buffer.byteLength(line);
      const file = await this.handle();
      if (this.size > 0 && this.size + bytes > this.maxBytes) await this.rotate();
      await (this.file ?? file).appendFile(line);
      this.size += bytes;
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.o.onError?.(err);
      this.failing = true;
      await this.file?.close().catch(() => {});
      this.file = undefined;
    }
  }

  private async handle(): Promise<FileHandle> {
    if (this.file) return this.file;
    await mkdir(dirname(this.o.path), { recursive: true });
    this.file = await open(this.o.path, 'a', 0o600);
    this.size = (await stat(this.o.path)).size;
    return this.file;
  }

  private async rotate(): Promise<void> {
    await this.file?.close();
    this.file = undefined;
    const path = this.o.path;
    if (this.maxFiles === 0) {
      await rm(path, { force: true });
    } else {
      for (let i = this.maxFiles - 1; i >= 1; i--) {
        await rename(`${path}.${i}`, `${path}.${i + 1}`).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        });
      }
      await rename(path, `${path}.1`);
    }
    await this.handle();
  }
}
