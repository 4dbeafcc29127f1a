// The HPACK decoder of the fast `get` (pkg/transport/hpack.ts): RFC 7541's
// own examples, and header blocks that Node's HTTP/2 client (nghttp2, the
// same encoder a jobd's gRPC server uses) writes for every printable ASCII
// character, with Huffman coding and the dynamic table in use. Strings with
// a code the decoder does not carry give undefined, never a wrong string.
import assert from 'node:assert/strict';
import { connect } from 'node:http2';
import { createServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { HpackDecoder, encodeHeaderBlock, type Header } from '../../../pkg/transport/hpack.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** The header blocks of the requests an HTTP/2 client sends, read off the socket (no CONTINUATION). */
async function blocksSentBy(
  send: (url: string, blocks: readonly Buffer[]) => Promise<void>,
): Promise<Buffer[]> {
  const blocks: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    let buf = Buffer.alloc(0);
    let prefaceSeen = false;
    socket.write(Buffer.from('000000040000000000', 'hex')); // empty SETTINGS
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (!prefaceSeen) {
        if (buf.length < 24) return;
        buf = buf.subarray(24);
        prefaceSeen = true;
      }
      while (buf.length >= 9 && buf.length >= 9 + buf.readUIntBE(0, 3)) {
        const length = buf.readUIntBE(0, 3);
        const [type, flags] = [buf[3], buf[4] ?? 0];
        let payload = buf.subarray(9, 9 + length);
        buf = buf.subarray(9 + length);
        if (type !== 1) continue;
        assert.ok(flags & 0x4, 'END_HEADERS: one frame per block');
        if (flags & 0x8) payload = payload.subarray(1, payload.length - (payload[0] ?? 0));
        if (flags & 0x20) payload = payload.subarray(5);
        blocks.push(Buffer.from(payload));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  try {
    await send(`http://127.0.0.1:${port}`, blocks);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  }
  return blocks;
}

describe('HPACK', () => {
  it('decodes the request examples of RFC 7541 C.4 (Huffman, dynamic table)', () => {
    const d = new HpackDecoder();
    assert.deepEqual(d.decode(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff')), [
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
    ]);
    assert.deepEqual(d.decode(hex('8286 84be 5886 a8eb 1064 9cbf')), [
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
      ['cache-control', 'no-cache'],
    ]);
  });

  it("reads nghttp2's blocks for every printable ASCII character but a backslash", async () => {
    const printable = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i))
      .join('')
      .replace('\\', '');
    // Values in pieces, so that some are shorter in Huffman code and some not.
    const values = [printable, ...printable.match(/.{1,7}/g)!, 'abc', '0', 'OK', 'x y~z'];
    const sent: Header[] = values.map((v, i) => [`x-h${i}`, v.trim()]);
    const blocks = await blocksSentBy(async (url, seen) => {
      const session = connect(url);
      session.on('error', () => undefined);
      for (let i = 0; i < 3; i++) {
        const req = session.request({
          ':method': 'POST',
          ':path': '/p.S/M',
          ...Object.fromEntries(sent),
        });
        req.on('error', () => undefined);
        req.end();
      }
      // Wait until the server has read all three requests.
      for (let t = 0; t < 500 && seen.length < 3; t++) await new Promise((r) => setTimeout(r, 10));
      session.destroy();
    });
    assert.equal(blocks.length, 3);
    const d = new HpackDecoder();
    for (const block of blocks) {
      const got = d.decode(block);
      assert.ok(got, 'decoded');
      const byName = new Map(got);
      assert.equal(byName.get(':method'), 'POST');
      assert.equal(byName.get(':path'), '/p.S/M');
      for (const [name, value] of sent) assert.equal(byName.get(name), value, name);
    }
    // The later blocks refer to the first one's entries: the table was in use.
    const [first, second] = blocks;
    assert.ok(second && first && second.length < first.length / 4, 'indexed the second time');
  });

  it('gives undefined for a Huffman code longer than it carries, or bad padding', () => {
    // x: "\" — 19 bits 1111111111111110000, padded with ones.
    assert.equal(new HpackDecoder().decode(hex('00 01 78 83 fffe1f')), undefined);
    // x: "a" (00011) padded with zeros instead of ones.
    assert.equal(new HpackDecoder().decode(hex('00 01 78 81 18')), undefined);
    // x: "a" padded properly.
    assert.deepEqual(new HpackDecoder().decode(hex('00 01 78 81 1f')), [['x', 'a']]);
    // An index past the tables, and a truncated string.
    assert.equal(new HpackDecoder().decode(hex('be')), undefined);
    assert.equal(new HpackDecoder().decode(hex('00 05 78')), undefined);
  });

  it('keeps the dynamic table within its size, evicting the oldest entries', () => {
    const d = new HpackDecoder(100);
    // Two literals with incremental indexing, new names: 32+1+30 = 63 octets each.
    const literal = (name: string, value: string): Buffer =>
      Buffer.concat([Buffer.from([0x40, name.length]), Buffer.from(name), Buffer.from([value.length]), Buffer.from(value)]); // prettier-ignore
    assert.ok(d.decode(literal('a', 'x'.repeat(30))));
    assert.ok(d.decode(literal('b', 'y'.repeat(30))));
    assert.deepEqual(d.decode(hex('be')), [['b', 'y'.repeat(30)]]); // 62: the newest
    assert.equal(d.decode(hex('bf')), undefined, '"a" was evicted');
    // A size update above what this side announced is refused.
    assert.equal(d.decode(hex('3f 46')), undefined);
  });

  it('writes blocks that the decoder reads back (lengths past a one-byte prefix too)', () => {
    const headers: Header[] = [
      [':path', '/jobctl.api.v1.Jobctl/List'],
      ['authorization', `Bearer ${'t'.repeat(300)}`],
      ['te', 'trailers'],
    ];
    const block = encodeHeaderBlock(headers);
    assert.equal(block[0], 0x00, 'literal without indexing');
    assert.deepEqual(new HpackDecoder().decode(block), headers);
  });
});
