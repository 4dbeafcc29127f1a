// `jobd certs --out DIR --nodes N [--users NAME:GROUP+GROUP,...] [--hosts H,...] [--days D]`:
// a cluster CA plus node and user certificates for local and small clusters
// (pkg/tls/certs.ts). Prints what it wrote and how to use it.
import { resolve } from 'node:path';
import yargs from 'yargs';
import { generateCerts, parseUsers } from './certs.js';

/** Runs the subcommand with `argv` (after "certs"); returns the exit code. */
export async function runCertsCommand(argv: readonly string[]): Promise<number> {
  let failed = false;
  const a = await yargs([...argv])
    .scriptName('jobd certs')
    .usage('$0 --out DIR --nodes N [--users admin:system:masters,ci:dev+ops]')
    .option('out', { type: 'string', demandOption: true, describe: 'output directory' })
    .option('nodes', { type: 'number', default: 3, describe: 'node certificates node-1..node-N' })
    .option('users', {
      type: 'string',
      describe: 'client certificates NAME[:GROUP[+GROUP...]],... (CN = name, O = each group)',
    })
    .option('hosts', {
      type: 'string',
      describe:
        'extra SANs of the node certificates (besides 127.0.0.1 and localhost), comma-separated',
    })
    .option('days', { type: 'number', default: 365, describe: 'validity' })
    .strict()
    .help()
    .version(false)
    .fail((msg, err) => {
      process.stderr.write(`jobd certs: ${msg ?? err?.message}\n`);
      failed = true;
    })
    .parseAsync();
  if (failed) return 2;
  if (!Number.isInteger(a.nodes) || a.nodes < 0 || a.nodes > 99) {
    process.stderr.write('jobd certs: --nodes must be between 0 and 99\n');
    return 2;
  }
  try {
    const out = resolve(a.out);
    const res = await generateCerts({
      out,
      nodes: a.nodes,
      users: a.users ? parseUsers(a.users) : [],
      hosts: a.hosts
        ? a.hosts
            .split(',')
            .map((h) => h.trim())
            .filter(Boolean)
        : [],
      days: a.days,
    });
    process.stdout.write(`CA: ${res.ca} (key ${out}/ca-key.pem: keep it private)\n`);
    for (const n of res.nodes) {
      process.stdout.write(
        `node ${n.id}: jobd --tls-ca ${res.ca} --tls-cert ${n.cert} --tls-key ${n.key} ...\n`,
      );
    }
    for (const u of res.users) {
      process.stdout.write(
        `user ${u.name}: jobctl --ca ${res.ca} --cert ${u.cert} --key ${u.key} ...\n`,
      );
    }
    return 0;
  } catch (err) {
    process.stderr.write(`jobd certs: ${(err as Error).message}\n`);
    return 1;
  }
}
