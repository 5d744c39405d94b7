import { connect, type Socket } from 'node:net';
import { RpcClientConnection } from '@kmsgrid/kms-protocol';
import { ERROR_KINDS, socketErrorKind, type ErrorKind, type Target } from './activation.js';
import type { BenchOptions, Scenario } from './args.js';
import { builtFromHead, scenarioLabel, startHost, type BenchDeps } from './bench.js';
import { defaultWorkspaceRoot } from './hosts.js';
import { emptyErrors } from './load.js';
import { describeMachine, gitCommit, machineInfo, type MachineInfo } from './machine.js';
import { HostMonitor } from './monitor.js';

/** Result of --connections-held. */
export interface HeldReport {
  readonly tool: 'kms-bench';
  readonly mode: 'connections-held';
  readonly scenario: Scenario;
  readonly label: string;
  readonly startedAt: string;
  readonly machine: MachineInfo;
  readonly commit: string;
  readonly command: string;
  readonly host: { readonly description: string; readonly pids: readonly number[] };
  readonly requested: number;
  /** Connections bound and still open when the RSS was read. */
  readonly held: number;
  readonly errors: Readonly<Record<ErrorKind, number>>;
  /** Connections the host closed while they were held (idle timeout, cap). */
  readonly closedWhileHeld: number;
  readonly openSeconds: number;
  readonly rssBeforeMb?: number;
  readonly rssHeldMb?: number;
  readonly perConnectionKb?: number;
  readonly aborted?: string;
}

const OPENING = 256;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

/** Opens one connection and binds it; resolves with the socket or the error kind. */
function openBound(target: Target, timeoutMs: number): Promise<Socket | ErrorKind> {
  return new Promise((resolve) => {
    const rpc = new RpcClientConnection({ ndr32: true, ndr64: true, btfn: true, multiplex: true });
    const socket = connect({ host: target.host, port: target.port, noDelay: true });
    let done = false;
    const finish = (r: Socket | ErrorKind) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (typeof r === 'string') socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    socket.once('connect', () => socket.write(rpc.bind()));
    socket.on('data', (chunk: Buffer) => {
      for (const ev of rpc.receive(chunk)) {
        if (ev.kind === 'bound') finish(socket);
        else if (ev.kind === 'bind_rejected') finish('bind-rejected');
        else if (ev.kind === 'error') finish('protocol');
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => finish(socketErrorKind(err.code)));
    socket.on('close', () => finish('closed'));
  });
}

/** Max of a few RSS readings, so a reading taken mid-GC does not decide the figure. */
async function settledRss(monitor: HostMonitor): Promise<number> {
  let kb = 0;
  for (let i = 0; i < 4; i++) {
    await sleep(250);
    kb = Math.max(kb, monitor.rssKb());
  }
  return kb;
}

/**
 * Held-connections mode: N bound, idle connections to one ingress (opened
 * OPENING at a time), and what they cost the host in RSS.
 */
export async function runHeld(options: BenchOptions, deps: BenchDeps): Promise<HeldReport> {
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  const requested = options.connectionsHeld!;
  const host = await startHost(options, deps);
  const pids = [...new Set([...host.pids, ...(options.scenario === 'target' ? [] : options.hostPids)])];
  const monitor = new HostMonitor(pids);
  const errors = emptyErrors();
  const sockets: Socket[] = [];
  let closedWhileHeld = 0;
  let aborted: string | undefined;
  let rssBefore: number | undefined;
  let rssHeld: number | undefined;
  let openSeconds = 0;
  try {
    deps.log(`host: ${host.description}`);
    if (monitor.watching) rssBefore = await settledRss(monitor);
    const t0 = performance.now();
    let next = 0;
    const opener = async () => {
      while (next < requested) {
        next++;
        const r = await openBound(host.target, options.timeoutMs);
        if (typeof r === 'string') errors[r]++;
        else {
          sockets.push(r);
          r.on('close', () => closedWhileHeld++);
          r.on('error', () => {});
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(OPENING, requested) }, opener));
    openSeconds = round((performance.now() - t0) / 1000, 2);
    deps.log(`opened ${sockets.length} of ${requested} connections in ${openSeconds} s`);
    if (monitor.watching) rssHeld = await settledRss(monitor);
  } catch (e) {
    aborted = e instanceof Error ? e.message : String(e);
  }
  const closedByHost = closedWhileHeld;
  const held = sockets.length - closedByHost;
  for (const s of sockets) s.destroy();
  await host.stop();
  return {
    tool: 'kms-bench',
    mode: 'connections-held',
    scenario: options.scenario,
    label: scenarioLabel(options),
    startedAt,
    machine,
    commit: gitCommit(deps.workspaceRoot ?? defaultWorkspaceRoot(), builtFromHead(options)),
    command: deps.command,
    host: { description: host.description, pids },
    requested,
    held,
    errors,
    closedWhileHeld: closedByHost,
    openSeconds,
    ...(rssBefore !== undefined && { rssBeforeMb: round(rssBefore / 1024) }),
    ...(rssHeld !== undefined && { rssHeldMb: round(rssHeld / 1024) }),
    ...(rssBefore !== undefined && rssHeld !== undefined && held > 0 && { perConnectionKb: round((rssHeld - rssBefore) / held, 2) }),
    ...(aborted !== undefined && { aborted }),
  };
}

export function formatHeld(r: HeldReport): string {
  const errs = ERROR_KINDS.filter((k) => r.errors[k] > 0).map((k) => `${k} ${r.errors[k]}`);
  const mb = (n: number | undefined) => (n === undefined ? '-' : `${n} MB`);
  return [
    `kms-bench ${r.label} --connections-held ${r.requested}, ${r.startedAt}, commit ${r.commit}`,
    `machine: ${describeMachine(r.machine)}`,
    `command: ${r.command}`,
    `host: ${r.host.description}`,
    '',
    `held ${r.held} of ${r.requested} bound idle connections (opened in ${r.openSeconds} s; ${r.closedWhileHeld} closed by the host while held)`,
    `host RSS: ${mb(r.rssBeforeMb)} before, ${mb(r.rssHeldMb)} holding them${r.perConnectionKb === undefined ? '' : `, ${r.perConnectionKb} kB per connection`}`,
    `errors: ${errs.length ? errs.join(', ') : '0'}`,
    ...(r.aborted ? [`aborted: ${r.aborted}`] : []),
  ].join('\n');
}
