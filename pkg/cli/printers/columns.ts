// A column table that can keep printing rows after its header (for get -w):
// widths are fixed by the header and the first batch of rows, later rows use
// at least those widths. Cells may carry a colour, applied after padding so
// escape codes never disturb the alignment.

export interface Cell {
  readonly text: string;
  /** Applied to the padded text. */
  readonly paint?: (text: string) => string;
}

export type Row = readonly (Cell | string)[];

const cellText = (c: Cell | string): string => (typeof c === 'string' ? c : c.text);

export class ColumnTable {
  private widths: number[];

  constructor(private readonly headers: readonly string[]) {
    this.widths = headers.map((h) => h.length);
  }

  /** Widens columns to fit these rows (call before the first format). */
  fit(rows: readonly Row[]): this {
    for (const row of rows) {
      row.forEach((c, i) => {
        this.widths[i] = Math.max(this.widths[i] ?? 0, cellText(c).length);
      });
    }
    return this;
  }

  /** Widens columns to at least these widths, by header (e.g. {NAME: 24} for get -w). */
  reserve(minWidths: Readonly<Record<string, number>>): this {
    this.headers.forEach((h, i) => {
      this.widths[i] = Math.max(this.widths[i] ?? 0, minWidths[h] ?? 0);
    });
    return this;
  }

  /** True when a cell (the last excepted: it is never padded) is wider than its column. */
  overflows(row: Row): boolean {
    return row.some((c, i) => i < row.length - 1 && cellText(c).length > (this.widths[i] ?? 0));
  }

  header(): string {
    return this.line(this.headers);
  }

  /** One row as a line (without the newline). */
  line(row: Row): string {
    const last = row.length - 1;
    return row
      .map((c, i) => {
        const text = cellText(c);
        const padded = i === last ? text : text.padEnd(this.widths[i] ?? 0);
        return typeof c !== 'string' && c.paint ? c.paint(padded) : padded;
      })
      .join('   ')
      .trimEnd();
  }

  /** Header and rows, newline-terminated. */
  render(rows: readonly Row[]): string {
    this.fit(rows);
    return [this.header(), ...rows.map((r) => this.line(r))].join('\n') + '\n';
  }
}
