// `get`'s tables: the columns of pkg/api/columns (the same ones the server's
// Table gives kubectl), with the CLI's extras (EVENT in watch mode, NAMESPACE
// with -A) and colour applied per column.
import { printerColumns, type CellContext, type PrinterColumn } from '../../api/columns/index.js';
import type { KindInfo } from '../../store/kinds.js';
import type { Resource } from '../../store/types.js';
import type { Palette } from './color.js';
import type { Cell, Row } from './columns.js';

export interface RowContext extends CellContext {
  readonly palette: Palette;
}

export interface TableShape {
  readonly wide: boolean;
  /** Adds a NAMESPACE column first (-A on namespaced kinds). */
  readonly withNamespace: boolean;
  /** Adds an EVENT column first (watch mode). */
  readonly withEvent: boolean;
}

function shown(info: KindInfo, shape: TableShape): readonly PrinterColumn[] {
  return printerColumns(info.kind).filter((c) => c.priority === 0 || shape.wide);
}

/** A cell, coloured as its column says: phases by meaning, Warning like an unknown phase. */
function tinted(column: PrinterColumn, text: string, palette: Palette): Cell | string {
  if (column.tint === 'phase') return { text, paint: (t) => palette.phase(text, t) };
  if (column.tint === 'warning' && text === 'Warning') {
    return { text, paint: (t) => palette.phase('Unknown', t) };
  }
  return text;
}

export function tableHeaders(info: KindInfo, shape: TableShape): string[] {
  return [
    ...(shape.withEvent ? ['EVENT'] : []),
    ...(shape.withNamespace ? ['NAMESPACE'] : []),
    ...shown(info, shape).map((c) => c.name),
  ];
}

export function tableRow(
  info: KindInfo,
  o: Resource,
  shape: TableShape,
  ctx: RowContext,
  event?: string,
): Row {
  return [
    ...(shape.withEvent ? [event ?? ''] : []),
    ...(shape.withNamespace ? [o.metadata.namespace] : []),
    ...shown(info, shape).map((c) => tinted(c, c.cell(o, ctx), ctx.palette)),
  ];
}
