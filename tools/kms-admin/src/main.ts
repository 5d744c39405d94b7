#!/usr/bin/env node
import type { ClientsView, ReadinessView, StatusView } from '@kmsgrid/admin-api';
import { clientsQuery, parseCli, USAGE, type CliOptions, type Command } from './args.js';
import { formatClients, formatDlv, formatHealth } from './format.js';
import { AdminCallError, getJson } from './http.js';

/** Runs one command; returns the exit code (0 ok, 1 API error or not ready, 2 usage, 3 network). */
async function run(command: Command, o: CliOptions): Promise<number> {
  switch (command.kind) {
    case 'dlv': {
      const { body } = await getJson(o.url, '/v1/status', o.timeoutMs);
      process.stdout.write(o.json ? `${JSON.stringify(body, null, 2)}\n` : `${formatDlv(body as StatusView, o.url)}\n`);
      return 0;
    }
    case 'clients': {
      const { body } = await getJson(o.url, `/v1/clients${clientsQuery(command.filters)}`, o.timeoutMs);
      process.stdout.write(o.json ? `${JSON.stringify(body, null, 2)}\n` : `${formatClients(body as ClientsView, command.wide)}\n`);
      return 0;
    }
    case 'health': {
      const live = await getJson(o.url, '/healthz', o.timeoutMs);
      const ready = await getJson(o.url, '/readyz', o.timeoutMs, [503]);
      const view = ready.body as ReadinessView;
      process.stdout.write(
        o.json ? `${JSON.stringify({ healthz: live.body, readyz: view }, null, 2)}\n` : `${formatHealth(live.status === 200, view)}\n`,
      );
      return ready.status === 200 ? 0 : 1;
    }
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const cli = parseCli(argv, process.env);
  if (cli.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (cli.kind === 'error') {
    process.stderr.write(`kms-admin: ${cli.message} (see --help)\n`);
    return 2;
  }
  try {
    return await run(cli.command, cli.options);
  } catch (e) {
    if (!(e instanceof AdminCallError)) throw e;
    process.stderr.write(`kms-admin: ${e.message}\n`);
    return e.exitCode;
  }
}

// A closed pipe (`kms-admin clients | head`) is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`kms-admin: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
