import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchReport } from './bench.js';
import type { HeldReport } from './held.js';
import { defaultWorkspaceRoot } from './hosts.js';
import { describeMachine } from './machine.js';
import { describeErrors, hostOverGenerator } from './report.js';
import { renderSweepSvg } from './svg.js';

/** The section this tool owns in docs/benchmarks.md (another tool owns "Protocol micro-benchmarks"). */
export const SECTION_HEADING = '## Activation benchmarks';

const FILE_HEADER = '# Benchmarks\n\nMeasured on this repository\'s machine; every figure names its machine, commit and command.\n';
const SECTION_INTRO =
  'Written by `npm run bench -- <scenario> --record` (tools/kms-bench): real KMS clients over loopback TCP, ' +
  'a new connection per activation (bind, one request, close), every answer decrypted and verified. ' +
  'Host CPU is user + system time of all the host\'s processes and threads (from /proc) per verified activation; ' +
  'the load generator runs on the same cores.\n';

/**
 * Puts `block` at the end of the "Activation benchmarks" section of `doc`, creating
 * the section (at the end) when absent; the rest of the document is untouched. Pure.
 */
export function appendToSection(doc: string, block: string): string {
  const lines = doc.length === 0 ? [] : doc.replace(/\n*$/, '').split('\n');
  const start = lines.findIndex((l) => l.trim() === SECTION_HEADING);
  const body = block.replace(/\n*$/, '').split('\n');
  if (start < 0) {
    const prefix = lines.length === 0 ? FILE_HEADER.replace(/\n*$/, '').split('\n') : lines;
    return [...prefix, '', SECTION_HEADING, '', ...SECTION_INTRO.replace(/\n*$/, '').split('\n'), '', ...body].join('\n') + '\n';
  }
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    if (/^##\s/.test(lines[i]!) && !/^###/.test(lines[i]!)) {
      end = i;
      break;
    }
  }
  let insertAt = end;
  while (insertAt > start + 1 && lines[insertAt - 1]!.trim() === '') insertAt--;
  const after = lines.slice(end);
  return [...lines.slice(0, insertAt), '', ...body, ...(after.length ? ['', ...after] : [])].join('\n') + '\n';
}

const cell = (n: number | undefined, digits = 1) => (n === undefined ? '-' : n.toFixed(digits));
const stamp = (iso: string) => iso.replace(/[-:]/g, '').replace(/\.\d+Z$/, '').replace('T', '-');

/** The markdown block of one sweep, linking its plot. */
export function sweepBlock(r: BenchReport, plotPath: string): string {
  const date = r.startedAt.replace('T', ' ').replace(/:\d\d\.\d+Z$/, ' UTC');
  const out = [
    `### ${r.label}, ${date}, commit ${r.commit}`,
    '',
    `- Machine: ${describeMachine(r.machine)}`,
    `- Command: \`${r.command}\``,
    `- Host: ${r.host.description}`,
    `- Workload: protocols ${r.workload.mix}; products ${r.workload.products}; ${r.workload.pool} CMIDs; ${r.workload.threads} generator thread(s); ` +
      `${r.workload.warmupS} s warm-up, ${r.workload.durationS} s measured per level`,
    '',
    `| Concurrency | Activations/s | p50 ms | p95 ms | p99 ms | Host CPU µs/activation | Generator CPU µs/activation | Host/generator CPU | Host RSS peak MB | Errors | Plot |`,
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|',
  ];
  for (const l of r.levels) {
    const host = l.hostCpuUsPerActivation === undefined ? '-' : r.host.inProcess ? `${cell(l.hostCpuUsPerActivation)} (with generator)` : cell(l.hostCpuUsPerActivation);
    out.push(
      `| ${l.concurrency} | ${l.rate >= 100 ? l.rate.toFixed(0) : l.rate.toFixed(1)} | ${cell(l.latencyMs.p50, 2)} | ${cell(l.latencyMs.p95, 2)} | ${cell(l.latencyMs.p99, 2)} | ` +
        `${host} | ${cell(l.generatorCpuUsPerActivation)} | ${cell(hostOverGenerator(r, l), 2)} | ${cell(l.hostRssPeakMb, 0)} | ${describeErrors(l)} | [svg](${plotPath}) |`,
    );
  }
  if (r.aborted) out.push('', `Aborted: ${r.aborted}`);
  out.push('', `![${r.label}: activations/s and p99 against concurrency](${plotPath})`);
  return out.join('\n');
}

export function heldBlock(r: HeldReport): string {
  const date = r.startedAt.replace('T', ' ').replace(/:\d\d\.\d+Z$/, ' UTC');
  return [
    `### ${r.label}, ${r.requested} connections held, ${date}, commit ${r.commit}`,
    '',
    `- Machine: ${describeMachine(r.machine)}`,
    `- Command: \`${r.command}\``,
    `- Host: ${r.host.description}`,
    '',
    '| Connections held | Host RSS before MB | Host RSS holding MB | kB per connection | Closed by host while held | Errors |',
    '|---:|---:|---:|---:|---:|---|',
    `| ${r.held} of ${r.requested} | ${cell(r.rssBeforeMb)} | ${cell(r.rssHeldMb)} | ${cell(r.perConnectionKb, 2)} | ${r.closedWhileHeld} | ` +
      `${Object.entries(r.errors).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || '0'} |`,
    ...(r.aborted ? ['', `Aborted: ${r.aborted}`] : []),
  ].join('\n');
}

/**
 * Appends a run to docs/benchmarks.md (and writes its SVG under docs/benchmarks/).
 * Returns the markdown file's path.
 */
export async function recordReport(report: BenchReport | HeldReport, docsDir = join(defaultWorkspaceRoot(), 'docs')): Promise<string> {
  const mdFile = join(docsDir, 'benchmarks.md');
  let block: string;
  if ('mode' in report) {
    block = heldBlock(report);
  } else {
    const name = `${report.scenario}-${stamp(report.startedAt)}-${report.commit.split(' ')[0]}.svg`;
    mkdirSync(join(docsDir, 'benchmarks'), { recursive: true });
    const svg = renderSweepSvg({
      title: `kms-bench ${report.label}: activations/s and p99 latency`,
      subtitle: `${report.machine.cpuModel}, ${report.machine.cores} cores, Node ${report.machine.node}, commit ${report.commit}`,
      points: report.levels.map((l) => ({ concurrency: l.concurrency, rate: l.rate, p99Ms: l.latencyMs.p99 })),
    });
    writeFileSync(join(docsDir, 'benchmarks', name), svg);
    block = sweepBlock(report, `benchmarks/${name}`);
  }
  // Read right before writing: another tool writes its own section of the same file.
  const doc = existsSync(mdFile) ? readFileSync(mdFile, 'utf8') : '';
  writeFileSync(mdFile, appendToSection(doc, block));
  return mdFile;
}
