import { activate, randomGuidV4, type FailureKind, type KmsProtocolVersion } from '@kmsgrid/kms-client';
import { findProductByName } from '@kmsgrid/kms-catalog';
import type { Guid } from '@kmsgrid/kms-protocol';

/** One simulated client machine of the load: its CMID, product and protocol. */
export interface LoadMachine {
  readonly product: string;
  readonly applicationId: string;
  readonly cmid: Guid;
  /** The CMID in lower case, as the event store holds it. */
  readonly cmidKey: string;
  readonly workstation: string;
  readonly protocol: KmsProtocolVersion;
  readonly nPolicy: number;
}

const withKey = (cmid: Guid) => ({ cmid, cmidKey: cmid.toLowerCase() });

/**
 * `count` machines per product, protocols cycling v4, v5, v6 (a KMS host
 * answers every version for every product; kms-bench mixes them the same way).
 */
export function loadMachines(spec: Readonly<Record<string, number>>, prefix: string): LoadMachine[] {
  const out: LoadMachine[] = [];
  for (const [product, count] of Object.entries(spec)) {
    const match = findProductByName(product);
    if (match === undefined) throw new Error(`the catalog does not know ${product}`);
    for (let i = 0; i < count; i++) {
      out.push({
        product,
        applicationId: match.application.id.toLowerCase(),
        ...withKey(randomGuidV4()),
        workstation: `${prefix}-${out.length + 1}.faults.test`,
        protocol: ([4, 5, 6] as const)[out.length % 3]!,
        nPolicy: match.kmsItem.nPolicy,
      });
    }
  }
  return out;
}

/** What one request of the load got. */
export interface Shot {
  readonly machine: LoadMachine;
  readonly target: string;
  readonly startedAt: number;
  readonly endedAt: number;
  /** ClientTime sent (FILETIME, decimal), when the request was built. */
  readonly clientFileTime?: string;
  /**
   * `activated`: a response that passed every client check; `hresult`: a refusal;
   * `failed`: refused / timeout / closed / network (no answer); `wrong`: anything
   * else (a response failing a check, an RPC or protocol error).
   */
  readonly status: 'activated' | 'hresult' | 'failed' | 'wrong';
  readonly count?: number;
  readonly hresult?: number;
  readonly failureKind?: FailureKind;
  readonly detail?: string;
}

/** Failures that mean "no answer", which a fault may cause; anything else is a wrong answer. */
const NO_ANSWER: ReadonlySet<FailureKind> = new Set(['refused', 'timeout', 'closed', 'network']);

/**
 * One activation's limit: above the ingress's 5 s wait for the policy, so a
 * request lost in a fault ends as the host closing the connection, and a slow
 * answer on a loaded machine is not taken for a fault.
 */
const DEFAULT_TIMEOUT_MS = 8000;

let lastNow = 0;
/** Distinct ClientTimes (ms resolution): (CMID, ClientTime) names one request in the event store. */
function uniqueNow(): Date {
  lastNow = Math.max(Date.now(), lastNow + 1);
  return new Date(lastNow);
}

/** One activation as a real client does it: new connection, bind, one request, close; every answer verified. */
export async function shoot(target: string, machine: LoadMachine, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Shot> {
  const startedAt = Date.now();
  const now = uniqueNow();
  const r = await activate({
    target,
    product: machine.product,
    protocol: machine.protocol,
    cmid: machine.cmid,
    workstation: machine.workstation,
    fresh: () => ({ cmid: machine.cmid, workstation: machine.workstation, now }),
    timeoutMs,
  });
  const endedAt = Date.now();
  const base = { machine, target, startedAt, endedAt };
  const outcome = r.connections[0]?.requests[0];
  if (outcome === undefined) {
    const f = r.connections[0]?.failure ?? r.failure;
    const kind = f?.kind;
    return { ...base, status: kind !== undefined && NO_ANSWER.has(kind) ? 'failed' : 'wrong', ...(kind && { failureKind: kind }), detail: f?.message ?? 'no request sent' };
  }
  const sent = { ...base, clientFileTime: outcome.request.clientFileTime };
  switch (outcome.status) {
    case 'activated': {
      const bad = outcome.checks.filter((c) => !c.ok);
      if (outcome.response === undefined || bad.length > 0 || outcome.response.cmid.toLowerCase() !== machine.cmidKey) {
        return { ...sent, status: 'wrong', detail: `activated but: ${JSON.stringify(bad)} ${outcome.response?.cmid}` };
      }
      return { ...sent, status: 'activated', count: outcome.response.count };
    }
    case 'hresult':
      return { ...sent, status: 'hresult', ...(outcome.hresult !== undefined && { hresult: outcome.hresult }) };
    case 'check-failed':
      return { ...sent, status: 'wrong', detail: `check failed: ${JSON.stringify(outcome.checks.filter((c) => !c.ok))}` };
    default: {
      const kind = outcome.failure?.kind;
      return {
        ...sent,
        status: kind !== undefined && NO_ANSWER.has(kind) ? 'failed' : 'wrong',
        ...(kind && { failureKind: kind }),
        detail: outcome.failure?.message ?? 'error',
      };
    }
  }
}

/** A running load: `workers` loops, each picking a machine at random and the next target in turn. */
export interface Load {
  /** Every request so far (the array grows while the load runs). */
  readonly shots: Shot[];
  /** Stops the loops and resolves with every request once the last one finished. */
  stop(): Promise<Shot[]>;
}

export function startLoad(opts: { targets: readonly string[]; pool: readonly LoadMachine[]; workers: number; timeoutMs?: number }): Load {
  const shots: Shot[] = [];
  let stopped = false;
  let turn = 0;
  const worker = async (): Promise<void> => {
    while (!stopped) {
      const machine = opts.pool[Math.floor(Math.random() * opts.pool.length)]!;
      const target = opts.targets[turn++ % opts.targets.length]!;
      const s = await shoot(target, machine, opts.timeoutMs);
      shots.push(s);
      // A host that is down fails at once: pause a little instead of spinning.
      if (s.status !== 'activated') await new Promise((r) => setTimeout(r, 50));
    }
  };
  const loops = Array.from({ length: opts.workers }, () => worker());
  return {
    shots,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return shots;
    },
  };
}

/** `activated: 120, failed/closed: 3, ...` for messages. */
export function summarize(shots: readonly Shot[]): string {
  const by = new Map<string, number>();
  for (const s of shots) {
    const k = s.status === 'failed' || s.status === 'wrong' ? `${s.status}/${s.failureKind ?? '?'}` : s.status;
    by.set(k, (by.get(k) ?? 0) + 1);
  }
  return [...by].map(([k, n]) => `${k}: ${n}`).join(', ');
}
