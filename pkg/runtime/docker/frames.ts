// Decoder for Docker's multiplexed stdout/stderr stream (non-TTY containers): each frame
// is an 8-byte header [stream, 0, 0, 0, size (uint32 big-endian)] and `size` bytes of
// payload. Frames arrive split across and merged within network chunks, so the decoder
// buffers until a frame is complete.

export interface Frame {
  /** 1 stdout, 2 stderr (0 stdin, never sent for logs). */
  readonly stream: number;
  readonly payload: Buffer;
}

const HEADER = 8;

export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  /** Feeds one chunk; returns every frame it completes. */
  push(chunk: Buffer): Frame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Frame[] = [];
    let i = 0;
    while (this.pending.length - i >= HEADER) {
      const size = this.pending.readUInt32BE(i + 4);
      if (this.pending.length - i < HEADER + size) break;
      frames.push({
        stream: this.pending[i] ?? 1,
        payload: this.pending.subarray(i + HEADER, i + HEADER + size),
      });
      i += HEADER + size;
    }
    this.pending = this.pending.subarray(i);
    return frames;
  }

  /** Bytes of an incomplete frame still held (non-zero at end of stream = truncated). */
  get buffered(): number {
    return this.pending.length;
  }
}
