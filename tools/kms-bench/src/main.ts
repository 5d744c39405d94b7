import { isMainThread } from 'node:worker_threads';
import { formatAb, runAb } from './ab.js';
import { parseArgs, parseTarget, USAGE } from './args.js';
import { runBench, type LevelReport } from './bench.js';
import { runHeld, formatHeld } from './held.js';
import { INGRESS_HOST_COMMAND } from './hosts.js';
import { startConstantIngress } from './ingress-host.js';
import { summarizeProfiles, formatProfileSummary } from './profile.js';
import { recordReport } from './record.js';
import { formatReport } from './report.js';
import { isLoadWorker, loadWorkerMain } from './threads.js';

/** The child process of ingress-only: serve until SIGTERM. */
async function ingressHostMain(address: string | undefined): Promise<void> {
  const target = address === undefined ? undefined : parseTarget(address);
  if (target === undefined) {
    console.error(`${INGRESS_HOST_COMMAND}: give HOST:PORT`);
    process.exit(2);
  }
  const { server, port } = await startConstantIngress(target.host, target.port);
  console.log(JSON.stringify({ listening: `${target.host}:${port}` }));
  const stop = () => {
    void server.close(2000).then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** Answers that must never happen: undecodable or wrong, or RPC that made no sense. */
const wrongAnswers = (levels: readonly LevelReport[]): number => levels.reduce((s, l) => s + l.errors['wrong-answer'] + l.errors.protocol, 0);

async function cliMain(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs(argv);
  if (parsed.kind === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (parsed.kind === 'error') {
    console.error(`kms-bench: ${parsed.message}\n\n${USAGE}`);
    return 2;
  }
  const options = parsed.options;
  const command = `npm run bench -- ${argv.join(' ')}`;
  const log = (line: string) => {
    if (!options.json) console.error(line);
  };
  const deps = { log, entry: new URL(import.meta.url), command };
  if (options.connectionsHeld !== undefined) {
    const held = await runHeld(options, deps);
    console.log(options.json ? JSON.stringify(held, null, 2) : formatHeld(held));
    if (options.record) log(`recorded in ${await recordReport(held, options.docsDir)}`);
    return held.aborted ? 1 : 0;
  }
  if (options.abPairs !== undefined) {
    const ab = await runAb(options, deps);
    console.log(options.json ? JSON.stringify(ab, null, 2) : formatAb(ab));
    return ab.aborted !== undefined || wrongAnswers(ab.pairs.flatMap((p) => [...p.head.levels, ...p.worktree.levels])) > 0 ? 1 : 0;
  }
  const report = await runBench(options, deps);
  const profile = report.profiles ? summarizeProfiles(report.profiles, report.windows, report.sourceRoot) : undefined;
  const full = profile ? { ...report, profile } : report;
  console.log(options.json ? JSON.stringify(full, null, 2) : formatReport(report) + (profile ? `\n\n${formatProfileSummary(profile)}` : ''));
  if (options.record) log(`recorded in ${await recordReport(full, options.docsDir)}`);
  return report.aborted || wrongAnswers(report.levels) > 0 ? 1 : 0;
}

if (!isMainThread && isLoadWorker()) {
  loadWorkerMain();
} else if (process.argv[2] === '__profile-summary') {
  // Summarizes .cpuprofile files written by any node process (the generator's own, for one).
  console.log(formatProfileSummary(summarizeProfiles(process.argv.slice(3))));
} else if (process.argv[2] === INGRESS_HOST_COMMAND) {
  await ingressHostMain(process.argv[3]);
} else {
  const code = await cliMain(process.argv.slice(2)).catch((e: unknown) => {
    console.error(`kms-bench: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  });
  process.exitCode = code;
}
