#!/usr/bin/env node
import { activate } from '@kmsgrid/kms-client';
import { parseCli, USAGE } from './args.js';
import { formatConnection, formatDiscovery, formatJson, formatLastLine, formatTrying } from './format.js';

/** kms-client: a vlmcs-like KMS client. Exit codes: 0 ok, 1 activation failed, 2 usage, 3 network or DNS. */
async function main(argv: readonly string[]): Promise<number> {
  const cli = parseCli(argv);
  if (cli.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (cli.kind === 'error') {
    process.stderr.write(`kms-client: run with --help for the options\nkms-client: FAILED: usage: ${cli.message}\n`);
    return 2;
  }
  const { options, output } = cli;
  const result = await activate({
    ...options,
    ...(!output.json && {
      onConnection: (c) => {
        const block = formatConnection(c, options.requests, output.verbose);
        if (block !== '') process.stdout.write(`${block}\n\n`);
      },
      onDiscovery: (e) => {
        if (e.kind === 'resolved') {
          if (output.verbose) process.stdout.write(`${formatDiscovery(e.discovery)}\n\n`);
        } else {
          process.stdout.write(`${formatTrying(e)}\n`);
        }
      },
    }),
  });
  if (output.json) {
    process.stdout.write(`${formatJson(result)}\n`);
    return result.exitCode;
  }
  if (result.suggestions && result.suggestions.length > 0) {
    process.stdout.write(`Close matches:\n${result.suggestions.map((s) => `  ${s}`).join('\n')}\n\n`);
  }
  // A failed lookup sent no 'resolved' event: say which server was asked.
  if (output.verbose && result.discovery && result.discovery.hosts.length === 0) process.stdout.write(`${formatDiscovery(result.discovery)}\n\n`);
  // The last line goes to stdout with the report it summarises, failure or not.
  process.stdout.write(`${formatLastLine(result)}\n`);
  return result.exitCode;
}

// A closed pipe (`kms-client … | head`) is not an activation failure.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`kms-client: FAILED: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
