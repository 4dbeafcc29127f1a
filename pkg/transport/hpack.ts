// HPACK (RFC 7541), as much of it as the one-call HTTP/2 client of a
// `jobctl get` needs (./h2c-unary.ts): header blocks to send, written as
// plain literals (no table, no Huffman: always allowed), and a decoder for
// the server's blocks with the static and dynamic tables and the Huffman code.
//
// The decoder knows the Huffman codes of up to 15 bits, which are every
// printable ASCII character but "\" (and NUL). A string using a longer code
// (other control characters, bytes above 0x7f, "\") is not decoded: the
// block gives undefined and the caller treats the answer as unclean (it asks
// again through grpc-js). The headers of a successful gRPC answer (status,
// content type, grpc-status, grpc-encoding, ...) are plain ASCII.

/** A decoded header: [name, value], names lowercase as HTTP/2 sends them. */
export type Header = readonly [name: string, value: string];

/** RFC 7541 Appendix A: entries 1..61. */
const staticTable: readonly Header[] = [
  [':authority', ''],
  [':method', 'GET'],
  [':method', 'POST'],
  [':path', '/'],
  [':path', '/index.html'],
  [':scheme', 'http'],
  [':scheme', 'https'],
  [':status', '200'],
  [':status', '204'],
  [':status', '206'],
  [':status', '304'],
  [':status', '400'],
  [':status', '404'],
  [':status', '500'],
  ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'],
  ['accept-language', ''],
  ['accept-ranges', ''],
  ['accept', ''],
  ['access-control-allow-origin', ''],
  ['age', ''],
  ['allow', ''],
  ['authorization', ''],
  ['cache-control', ''],
  ['content-disposition', ''],
  ['content-encoding', ''],
  ['content-language', ''],
  ['content-length', ''],
  ['content-location', ''],
  ['content-range', ''],
  ['content-type', ''],
  ['cookie', ''],
  ['date', ''],
  ['etag', ''],
  ['expect', ''],
  ['expires', ''],
  ['from', ''],
  ['host', ''],
  ['if-match', ''],
  ['if-modified-since', ''],
  ['if-none-match', ''],
  ['if-range', ''],
  ['if-unmodified-since', ''],
  ['last-modified', ''],
  ['link', ''],
  ['location', ''],
  ['max-forwards', ''],
  ['proxy-authenticate', ''],
  ['proxy-authorization', ''],
  ['range', ''],
  ['referer', ''],
  ['refresh', ''],
  ['retry-after', ''],
  ['server', ''],
  ['set-cookie', ''],
  ['strict-transport-security', ''],
  ['transfer-encoding', ''],
  ['user-agent', ''],
  ['vary', ''],
  ['via', ''],
  ['www-authenticate', ''],
];

/**
 * The symbols of the Huffman code (RFC 7541 Appendix B) with codes of 5 to
 * 15 bits, by code length, each group in symbol order. The code is
 * canonical: codes are handed out in order of length, then symbol, so these
 * lengths are the whole table for them. (After the last 15-bit code comes
 * 15 ones, the prefix of every longer code: the counts add up exactly.)
 */
const huffmanGroups: readonly (readonly [bits: number, symbols: string])[] = [
  [5, '012aceiost'],
  [6, ' %-./3456789=A_bdfghlmnpru'],
  [7, ':BCDEFGHIJKLMNOPQRSTUVWYjkqvwxyz'],
  [8, '&*,;XZ'],
  [10, '!"()?'],
  [11, "'+|"],
  [12, '#>'],
  [13, '\0$@[]~'],
  [14, '^}'],
  [15, '<`{'],
];
const longestKnownCode = 15;

/** Canonical decoding: per code length, the first code and where its symbols start. */
interface HuffmanLength {
  readonly first: number;
  readonly count: number;
  readonly symbols: string;
}
const huffmanByLength: readonly (HuffmanLength | undefined)[] = (() => {
  const out: (HuffmanLength | undefined)[] = [];
  let code = 0;
  let bits = huffmanGroups[0]?.[0] ?? 0;
  for (const [len, symbols] of huffmanGroups) {
    code <<= len - bits;
    bits = len;
    out[len] = { first: code, count: symbols.length, symbols };
    code += symbols.length;
  }
  return out;
})();

/** A Huffman-coded string, or undefined (a code this table lacks, or bad padding). */
function huffmanDecode(bytes: Uint8Array): string | undefined {
  let out = '';
  let code = 0;
  let len = 0;
  for (const byte of bytes) {
    for (let bit = 7; bit >= 0; bit--) {
      code = (code << 1) | ((byte >> bit) & 1);
      len++;
      const group = huffmanByLength[len];
      if (group && code - group.first < group.count && code >= group.first) {
        out += group.symbols[code - group.first];
        code = 0;
        len = 0;
      } else if (len >= longestKnownCode) {
        return undefined;
      }
    }
  }
  // Padding: fewer than 8 bits, all ones (the start of the end-of-string code).
  return len < 8 && code === (1 << len) - 1 ? out : undefined;
}

/** The integer of RFC 7541 §5.1 to append for `value` with an N-bit prefix. */
function encodeInt(value: number, prefixBits: number, firstByte: number, out: number[]): void {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out.push(firstByte | value);
    return;
  }
  out.push(firstByte | max);
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
}

/** Headers whose values must never be stored by an intermediary's table. */
const sensitive = new Set(['authorization']);

/**
 * A header block of `headers` (names lowercase, pseudo-headers first), each
 * a literal with a new name and no indexing, strings without Huffman coding.
 * Values are sent as Latin-1 bytes, as HTTP/2 header values are.
 */
export function encodeHeaderBlock(headers: readonly Header[]): Buffer {
  const out: number[] = [];
  for (const [name, value] of headers) {
    // 0x00: literal without indexing; 0x10: never indexed.
    out.push(sensitive.has(name) ? 0x10 : 0x00);
    for (const s of [name, value]) {
      const bytes = Buffer.from(s, 'latin1');
      encodeInt(bytes.length, 7, 0x00, out);
      for (const b of bytes) out.push(b);
    }
  }
  return Buffer.from(out);
}

/** RFC 7541 §4.1: an entry's size is its name and value octets plus 32. */
const entrySize = ([name, value]: Header): number => name.length + value.length + 32;

/**
 * The decoder of one connection's header blocks, which must be given every
 * block the server sends, in order: they share the dynamic table.
 */
export class HpackDecoder {
  private readonly dynamic: Header[] = [];
  private size = 0;
  private maxSize: number;

  /** `limit`: the SETTINGS_HEADER_TABLE_SIZE this side announced (4096 by default). */
  constructor(private readonly limit = 4096) {
    this.maxSize = limit;
  }

  /**
   * The headers of one complete block, or undefined when it cannot be
   * decoded. After undefined the dynamic table may be out of step with the
   * server's: the connection must not be used for more answers.
   */
  decode(block: Uint8Array): Header[] | undefined {
    const headers: Header[] = [];
    let pos = 0;
    const int = (prefixBits: number): number | undefined => {
      const max = (1 << prefixBits) - 1;
      let value = (block[pos++] ?? 0) & max;
      if (value < max) return value;
      for (let shift = 0; shift <= 21; shift += 7) {
        const b = block[pos++];
        if (b === undefined) return undefined;
        value += (b & 0x7f) * 2 ** shift;
        if ((b & 0x80) === 0) return value;
      }
      return undefined; // longer than any size this side accepts
    };
    const str = (): string | undefined => {
      const huffman = ((block[pos] ?? 0) & 0x80) !== 0;
      const length = int(7);
      if (length === undefined || pos + length > block.length) return undefined;
      const bytes = block.subarray(pos, pos + length);
      pos += length;
      return huffman ? huffmanDecode(bytes) : Buffer.from(bytes).toString('latin1');
    };
    const entry = (index: number): Header | undefined =>
      index === 0
        ? undefined
        : index <= staticTable.length
          ? staticTable[index - 1]
          : this.dynamic[index - staticTable.length - 1];

    while (pos < block.length) {
      const first = block[pos] ?? 0;
      if (first & 0x80) {
        // Indexed header field.
        const index = int(7);
        const h = index === undefined ? undefined : entry(index);
        if (!h) return undefined;
        headers.push(h);
        continue;
      }
      if ((first & 0xe0) === 0x20) {
        // Dynamic table size update.
        const size = int(5);
        if (size === undefined || size > this.limit) return undefined;
        this.maxSize = size;
        this.evict(0);
        continue;
      }
      // A literal: with incremental indexing (01xxxxxx, 6-bit index), or
      // without / never indexed (000xxxxx, 4-bit index).
      const indexing = (first & 0xc0) === 0x40;
      const index = int(indexing ? 6 : 4);
      if (index === undefined) return undefined;
      const name = index === 0 ? str() : entry(index)?.[0];
      const value = name === undefined ? undefined : str();
      if (name === undefined || value === undefined) return undefined;
      const h: Header = [name, value];
      headers.push(h);
      if (indexing) this.add(h);
    }
    return headers;
  }

  private add(h: Header): void {
    const size = entrySize(h);
    this.evict(size);
    // An entry larger than the table empties it and is not stored (§4.4).
    if (size > this.maxSize) return;
    this.dynamic.unshift(h);
    this.size += size;
  }

  /** Drops the oldest entries until `room` more octets fit. */
  private evict(room: number): void {
    while (this.size + room > this.maxSize && this.dynamic.length > 0) {
      const old = this.dynamic.pop();
      if (old) this.size -= entrySize(old);
    }
  }
}
