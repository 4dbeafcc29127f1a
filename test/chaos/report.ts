// Printing a checked History: the summary line's companions on failure (the seed,
// each anomaly, and the minimal failing window of each non-linearizable key).
import type { CheckReport } from './checker/index.js';
import type { History, Op } from './history.js';

export function formatOp(op: Op): string {
  const t = (ms: number | undefined): string => (ms === undefined ? '∞' : (ms / 1000).toFixed(3));
  const out = op.out ? ` -> ${op.out.value}@${op.out.rv}` : '';
  const items = op.items ? ` -> ${JSON.stringify(op.items)}` : '';
  const node = op.node === undefined ? 'any' : `n${op.node}`;
  return (
    `  op ${op.id} c${op.client}(${node}) [${t(op.invokeMs)}, ${t(op.completeMs)}] ` +
    `${op.kind} ${op.key ?? ''}${op.value ? `=${op.value}` : ''} ${op.result ?? 'unknown'}` +
    `${op.error ? ` (${op.error})` : ''}${out}${items}`
  );
}

export function formatFailure(h: History, r: CheckReport, historyFile?: string): string {
  const lines = [`chaos: seed ${h.seed} (${h.nodes} nodes, ${h.runtime}, ${h.seconds} s) FAILED`];
  for (const a of r.anomalies) lines.push(`- ${a}`);
  for (const f of r.nonLinearizable) {
    if (f.window.length === 0) continue;
    lines.push(`minimal failing window of key ${f.key}:`);
    for (const op of f.window) lines.push(formatOp(op));
  }
  if (historyFile)
    lines.push(
      `full history: ${historyFile} (replay: npm run test:chaos -- --replay ${historyFile})`,
    );
  return lines.join('\n');
}
