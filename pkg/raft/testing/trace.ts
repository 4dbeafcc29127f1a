// The simulation's event trace. Every event feeds a running FNV-1a hash, so two
// runs of one seed can be compared exactly and cheaply ("same seed => same
// trace"), while only the last few events are kept as text for error messages.
// Keeping the whole trace is opt-in (replay), because a long soak would
// otherwise hold millions of strings.

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

export class Trace {
  private readonly ring: string[];
  private next = 0;
  private size = 0;
  private hash = FNV_OFFSET;
  private events = 0;
  /** Every event, when constructed with keepAll (replay and debugging). */
  readonly all: string[] | undefined;

  constructor(
    private readonly capacity = 40,
    keepAll = false,
  ) {
    this.ring = new Array<string>(capacity);
    this.all = keepAll ? [] : undefined;
  }

  record(step: number, text: string): void {
    const line = `${step}: ${text}`;
    let h = this.hash;
    for (let i = 0; i < line.length; i++) {
      h ^= line.charCodeAt(i);
      h = Math.imul(h, FNV_PRIME);
    }
    // A separator so that ["ab","c"] and ["a","bc"] hash differently.
    this.hash = Math.imul(h ^ 0x0a, FNV_PRIME) >>> 0;
    this.events++;
    this.ring[this.next] = line;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
    this.all?.push(line);
  }

  /** The last `n` events, oldest first. */
  tail(n = this.capacity): string[] {
    const count = Math.min(n, this.size);
    const out: string[] = [];
    for (let i = count; i > 0; i--) {
      const line = this.ring[(this.next - i + this.capacity) % this.capacity];
      if (line !== undefined) out.push(line);
    }
    return out;
  }

  /** A digest of every event so far (count and hash). */
  digest(): string {
    return `${this.events}:${this.hash.toString(16).padStart(8, '0')}`;
  }
}
