import { DEFAULTS, type ClientOptions, type DiscoverOptions, type KmsProtocolVersion } from './options.js';
import { activateByDns, type DiscoveryEvent } from './discovery.js';
import { describeHresult } from './hresult.js';
import {
  KmsProtocolError,
  decodeKmsResponse,
  encodeKmsRequest,
  fileTimeToDate,
  toHex,
  type KmsClientContext,
  type KmsRequest,
  type KmsResponse,
} from './protocol.js';
import { buildRequest, resolveProduct, type FreshValues, type ProductCatalogPort } from './request.js';
import {
  decisiveFailure,
  exitCodeOf,
  usageFailure,
  type ActivationResult,
  type Check,
  type ConnectionOutcome,
  type Failure,
  type Negotiation,
  type RequestInfo,
  type RequestOutcome,
  type ResponseInfo,
} from './result.js';
import { RpcSocketSession, SessionError, socketFailure, type SessionItem } from './session.js';
import { parseTarget, formatTarget, DEFAULT_KMS_PORT, type Target } from './target.js';
import { checkAlterContextResp, checkBindAck, checkFromKmsError, checkResponsePdu } from './verify.js';
import { randomGuidV4, randomWorkstationName } from './workstation.js';
import { defaultCatalog } from './catalog.js';

/** Options of {@link activate}: the CLI's options, all optional but where to go (`target` or `discover`). */
export interface ActivateOptions extends Partial<Omit<ClientOptions, 'target' | 'rpc'>> {
  /** `host:port`, `[v6]:port`, or a parsed target. Exactly one of `target` and `discover`. */
  readonly target?: Target | string;
  /** Find the host by DNS (`_vlmcs._tcp.<domain>` SRV records) instead of `target`. */
  readonly discover?: DiscoverOptions;
  /** Called when discovery has its records, and before each host is tried (the CLI prints them). */
  readonly onDiscovery?: (e: DiscoveryEvent) => void;
  readonly rpc?: Partial<ClientOptions['rpc']>;
  /** Product catalog (default: @kmsgrid/kms-catalog). */
  readonly catalog?: ProductCatalogPort;
  /** Per-request CMID, workstation and time (default: random v4 GUID, random FQDN, now). */
  readonly fresh?: () => FreshValues;
  /** Called as each connection finishes (the CLI prints progressively). */
  readonly onConnection?: (c: ConnectionOutcome) => void;
  /** Connections run at once (default 1: one after another, as vlmcs -T). */
  readonly concurrency?: number;
}

export type ActivateResult = ActivationResult & {
  /** Close product names when the product was unknown (exit code 2). */
  readonly suggestions?: readonly string[];
};

const systemFresh = (): FreshValues => ({ cmid: randomGuidV4(), workstation: randomWorkstationName(), now: new Date() });

/** Fills defaults; a bad target string becomes a usage failure. */
export function toClientOptions(o: ActivateOptions): { ok: true; options: ClientOptions } | { ok: false; message: string } {
  let target: Target;
  if (o.target !== undefined && o.discover !== undefined) return { ok: false, message: 'give either a target or discover, not both' };
  if (o.target === undefined) return { ok: false, message: o.discover ? 'discover: resolve the hosts first' : 'no target: give a target (host:port) or discover (a DNS domain)' };
  if (typeof o.target === 'string') {
    const t = parseTarget(o.target);
    if (!t.ok) return { ok: false, message: `target: ${t.message}` };
    target = t.target;
  } else {
    target = { host: o.target.host, port: o.target.port ?? DEFAULT_KMS_PORT };
  }
  const rpc = { ndr32: true, ndr64: true, btfn: true, multiplex: true, ...o.rpc };
  if (!rpc.ndr32 && !rpc.ndr64) return { ok: false, message: 'neither NDR32 nor NDR64 offered' };
  const { catalog: _c, fresh: _f, onConnection: _o, concurrency: _n, target: _t, rpc: _r, discover: _d, onDiscovery: _od, ...rest } = o;
  return {
    ok: true,
    options: {
      licenseStatus: DEFAULTS.licenseStatus,
      remainingMinutes: DEFAULTS.remainingMinutes,
      vm: false,
      requests: DEFAULTS.requests,
      connections: DEFAULTS.connections,
      timeoutMs: DEFAULTS.timeoutMs,
      ...rest,
      target,
      rpc,
    },
  };
}

type Prepared = { ok: true; options: ClientOptions; catalog: ProductCatalogPort } | { ok: false; result: ActivateResult };

/** A usage failure as a result (exit code 2). */
function usageResult(target: string, message: string, suggestions: readonly string[] = []): ActivateResult {
  return { ...usageFailure(target, message), ...(suggestions.length > 0 && { suggestions }) };
}

/** Validates the options and the product before anything goes on the network. */
export function prepareActivation(input: ActivateOptions, targetText: string): Prepared {
  const parsed = toClientOptions(input);
  if (!parsed.ok) return { ok: false, result: usageResult(targetText, parsed.message) };
  const catalog = input.catalog ?? defaultCatalog();
  const resolved = resolveProduct(parsed.options, catalog);
  if (!resolved.ok) return { ok: false, result: usageResult(targetText, resolved.message, resolved.suggestions) };
  return { ok: true, options: parsed.options, catalog };
}

/**
 * Runs the activation exchanges the options describe: `connections` TCP
 * connections, each with a bind (and alter_context when the host refuses
 * NDR32 in the bind) and `requests` KMS requests. Verifies every answer and
 * never throws for network or protocol trouble: everything is in the result.
 * With `discover`, the host comes from DNS first (see {@link DiscoverOptions}).
 *
 * @example
 * const r = await activate({ target: '127.0.0.1:1688', product: 'Windows 10 Enterprise', requests: 2 });
 * if (!r.ok) console.error(r.failure?.message);
 * const d = await activate({ discover: { domain: 'example.com' } }); // d.discovery?.answeredBy
 */
export async function activate(input: ActivateOptions): Promise<ActivateResult> {
  if (input.discover !== undefined && input.target === undefined) return activateByDns(input, input.discover, { prepare: prepareActivation, activateAt });
  return activateAt(input);
}

/** {@link activate} against one target. */
async function activateAt(input: ActivateOptions): Promise<ActivateResult> {
  const started = performance.now();
  const targetText = typeof input.target === 'string' ? input.target : input.target ? formatTarget(input.target) : '';
  const prepared = prepareActivation(input, targetText);
  if (!prepared.ok) return prepared.result;
  const { options, catalog } = prepared;

  const fresh = input.fresh ?? systemFresh;
  const connections: ConnectionOutcome[] = new Array(options.connections);
  let stop = false;
  let nextIndex = 0;
  const worker = async () => {
    while (!stop && nextIndex < options.connections) {
      const index = ++nextIndex;
      const outcome = await runConnection(index, options, catalog, fresh);
      connections[index - 1] = outcome;
      input.onConnection?.(outcome);
      // A host that refuses or does not answer will not do better on the next connection.
      if (outcome.failure && (outcome.failure.kind === 'refused' || outcome.failure.kind === 'timeout')) stop = true;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(input.concurrency ?? 1, options.connections)) }, worker));
  const done = connections.filter((c) => c !== undefined);

  const requests = done.flatMap((c) => c.requests);
  const failures: Failure[] = [];
  for (const c of done) {
    for (const r of c.requests) if (r.failure) failures.push(r.failure);
    if (c.failure && !c.requests.some((r) => r.failure === c.failure)) failures.push(c.failure);
  }
  const failure = decisiveFailure(failures);
  const planned = options.connections * options.requests;
  const activated = requests.filter((r) => r.status === 'activated').length;
  if (failure === undefined && activated < planned) {
    failures.push({ kind: 'network', message: `only ${activated} of ${planned} requests were answered` });
  }
  const decisive = decisiveFailure(failures);
  return {
    ok: decisive === undefined,
    exitCode: exitCodeOf(decisive),
    target: formatTarget(options.target),
    connections: done,
    totals: { planned, sent: requests.length, activated, failed: requests.length - activated },
    ...(decisive && { failure: decisive }),
    failures: failures.length,
    durationMs: Math.round(performance.now() - started),
  };
}

function toRequestInfo(q: KmsRequest): RequestInfo {
  return {
    majorVersion: q.majorVersion,
    minorVersion: q.minorVersion,
    applicationId: q.applicationId,
    skuId: q.skuId,
    kmsCountedId: q.kmsCountedId,
    cmid: q.cmid,
    previousCmid: q.previousCmid,
    workstation: q.workstationName,
    nPolicy: q.nPolicy,
    licenseStatus: q.licenseStatus,
    remainingMinutes: q.bindingExpiration,
    vm: q.vmInfo !== 0,
    clientTime: fileTimeToDate(q.clientTime).toISOString(),
    clientFileTime: q.clientTime.toString(),
  };
}

function toResponseInfo(s: KmsResponse, size: number): ResponseInfo {
  return {
    majorVersion: s.majorVersion,
    minorVersion: s.minorVersion,
    size,
    epid: s.epid,
    ...(s.hwid !== undefined && { hwid: toHex(s.hwid).toUpperCase() }),
    cmid: s.cmid,
    clientTime: fileTimeToDate(s.clientTime).toISOString(),
    count: s.count,
    activationInterval: s.activationInterval,
    renewalInterval: s.renewalInterval,
  };
}

const NCA: Readonly<Record<number, string>> = {
  0x1c010002: 'nca_op_rng_error',
  0x1c010003: 'nca_unk_if',
  0x1c01000b: 'nca_proto_error',
  0x000006f7: 'RPC_X_BAD_STUB_DATA',
  0x00000005: 'access denied',
};
const faultText = (status: number) => `RPC fault 0x${status.toString(16).padStart(8, '0')}${NCA[status] ? ` (${NCA[status]})` : ''}`;

/** Turns a session item that is not the awaited one into a failure. */
function unexpectedItem(item: SessionItem, waitingFor: string): Failure {
  switch (item.kind) {
    case 'closed':
      return { kind: 'closed', message: `the host closed the connection before the ${waitingFor}` };
    case 'socket-error':
      return socketFailure(item.error, `waiting for ${waitingFor}`);
    case 'rpc': {
      const e = item.event;
      switch (e.kind) {
        case 'error':
          return { kind: 'protocol', message: `bad answer while waiting for ${waitingFor}: ${e.error.message}` };
        case 'fault':
          return { kind: 'rpc', message: `${faultText(e.status)} while waiting for ${waitingFor}` };
        case 'bind_rejected':
          return { kind: 'rpc', message: `bind refused (bind_nak reason ${e.reason})` };
        default:
          return { kind: 'protocol', message: `unexpected ${e.kind} while waiting for ${waitingFor}` };
      }
    }
  }
}

async function runConnection(
  index: number,
  options: ClientOptions,
  catalog: ProductCatalogPort,
  fresh: () => FreshValues,
): Promise<ConnectionOutcome> {
  let session: RpcSocketSession;
  try {
    session = await RpcSocketSession.open(options.target, options.rpc, options.timeoutMs);
  } catch (e) {
    if (e instanceof SessionError) return { index, checks: [], requests: [], failure: e.failure };
    throw e;
  }
  const checks: Check[] = [];
  const requests: RequestOutcome[] = [];
  let negotiation: Negotiation | undefined;
  const outcome = (failure?: Failure): ConnectionOutcome => ({
    index,
    local: session.local,
    ...(negotiation && { negotiation }),
    checks,
    requests,
    ...(failure && { failure }),
  });
  try {
    // Bind (vlmcs: bind and alter_context share the first call id).
    const callId = session.rpc.nextCallId;
    session.send(session.rpc.bind());
    const bound = await session.next(options.timeoutMs, 'bind_ack');
    if (bound.kind !== 'rpc' || bound.event.kind !== 'bound') return outcome(unexpectedItem(bound, 'bind_ack'));
    const ev = bound.event;
    let secondaryAddress = '';
    let maxXmitFrag = 0;
    let maxRecvFrag = 0;
    let multiplex = false;
    if (bound.pdu?.kind === 'bind_ack') {
      checks.push(...checkBindAck(bound.pdu, { callId, rpc: options.rpc }));
      secondaryAddress = new TextDecoder('latin1').decode(bound.pdu.secondaryAddress).replace(/\0+$/, '');
      maxXmitFrag = bound.pdu.maxXmitFrag;
      maxRecvFrag = bound.pdu.maxRecvFrag;
      multiplex = (bound.pdu.flags & 0x10) !== 0;
    }
    let ndr32 = ev.ndr32;
    if (ev.alterContextNeeded) {
      session.send(session.rpc.alterContext());
      const altered = await session.next(options.timeoutMs, 'alter_context_resp');
      if (altered.kind !== 'rpc' || altered.event.kind !== 'context_altered') {
        negotiation = { offered: options.rpc, ndr32: false, ndr64: ev.ndr64, btfn: ev.btfn, btfnFeatures: ev.btfnFeatures, alterContext: true, assocGroupId: ev.assocGroupId, maxXmitFrag, maxRecvFrag, secondaryAddress, multiplex };
        return outcome(unexpectedItem(altered, 'alter_context_resp'));
      }
      if (altered.pdu?.kind === 'alter_context_resp') checks.push(...checkAlterContextResp(altered.pdu, { callId }));
      ndr32 = altered.event.ndr32;
    }
    negotiation = {
      offered: options.rpc,
      ndr32,
      ndr64: ev.ndr64,
      btfn: ev.btfn,
      btfnFeatures: ev.btfnFeatures,
      alterContext: ev.alterContextNeeded,
      assocGroupId: ev.assocGroupId,
      maxXmitFrag,
      maxRecvFrag,
      secondaryAddress,
      multiplex,
    };
    const bindFailed = checks.find((c) => !c.ok);

    for (let seq = 1; seq <= options.requests; seq++) {
      const r = await runRequest(session, index, seq, options, catalog, fresh());
      requests.push(r);
      if (r.failure && r.status === 'error') return outcome(r.failure);
    }
    return outcome(bindFailed ? { kind: 'check', message: `RPC check ${bindFailed.name} failed: ${bindFailed.detail ?? ''}` } : undefined);
  } catch (e) {
    if (e instanceof SessionError) return outcome(e.failure);
    throw e;
  } finally {
    session.close();
  }
}

async function runRequest(
  session: RpcSocketSession,
  connection: number,
  sequence: number,
  options: ClientOptions,
  catalog: ProductCatalogPort,
  fresh: FreshValues,
): Promise<RequestOutcome> {
  const started = performance.now();
  const built = buildRequest(options, catalog, fresh);
  if (!built.ok) throw new Error(`product resolved before but not now: ${built.message}`); // resolved in activate()
  const { request, product, protocol } = built;
  const base = { connection, sequence, protocol: protocol as KmsProtocolVersion, product, request: toRequestInfo(request) };
  const elapsed = () => Math.round(performance.now() - started);

  let encoded: { bytes: Uint8Array; context: KmsClientContext };
  try {
    encoded = encodeKmsRequest(request);
  } catch (e) {
    if (!(e instanceof KmsProtocolError)) throw e;
    const failure: Failure = { kind: 'protocol', message: `cannot encode the request: ${e.reason}` };
    return { ...base, status: 'error', checks: [], failure, durationMs: elapsed() };
  }
  const callId = session.rpc.nextCallId;
  let pduBytes: Uint8Array;
  try {
    pduBytes = session.rpc.request(encoded.bytes);
  } catch (e) {
    const failure: Failure = { kind: 'protocol', message: `cannot send request: ${e instanceof Error ? e.message : String(e)}` };
    return { ...base, status: 'error', checks: [], failure, durationMs: elapsed() };
  }
  session.send(pduBytes);
  let item: SessionItem;
  try {
    item = await session.next(options.timeoutMs, `answer to request ${sequence}`);
  } catch (e) {
    if (!(e instanceof SessionError)) throw e;
    return { ...base, callId, status: 'error', checks: [], failure: e.failure, durationMs: elapsed() };
  }
  if (item.kind !== 'rpc' || item.event.kind !== 'result') {
    const failure = unexpectedItem(item, `answer to request ${sequence}`);
    return { ...base, callId, status: 'error', checks: [], failure, durationMs: elapsed() };
  }
  const { event } = item;
  const contextId = item.pdu?.kind === 'response' ? item.pdu.contextId : undefined;
  const rpcInfo = { syntax: event.syntax, callId: event.callId, ...(contextId !== undefined && { contextId }) };
  const checks: Check[] =
    item.pdu?.kind === 'response'
      ? checkResponsePdu(item.pdu, { callId, contextId: item.pdu.contextId, syntax: event.syntax }, event.result)
      : [];

  if (event.result.kind === 'error') {
    const hresult = event.result.hresult >>> 0;
    const failure: Failure = { kind: 'hresult', message: describeHresult(hresult), hresult };
    return { ...base, ...rpcInfo, status: 'hresult', hresult, checks, failure, durationMs: elapsed() };
  }
  const payload = event.result.payload;
  let decoded: { response: KmsResponse; checks: readonly Check[] };
  try {
    decoded = decodeKmsResponse(payload, encoded.context);
  } catch (e) {
    if (!(e instanceof KmsProtocolError)) throw e;
    const bad = checkFromKmsError(e);
    checks.push(bad);
    const failure: Failure = { kind: 'check', message: `response check ${bad.name} failed: ${bad.detail}` };
    return { ...base, ...rpcInfo, status: 'check-failed', checks, failure, durationMs: elapsed() };
  }
  checks.unshift(...decoded.checks);
  const response = toResponseInfo(decoded.response, payload.length);
  const failed = checks.find((c) => !c.ok);
  if (failed) {
    const failure: Failure = { kind: 'check', message: `check ${failed.name} failed${failed.detail ? `: ${failed.detail}` : ''}` };
    return { ...base, ...rpcInfo, status: 'check-failed', response, checks, failure, durationMs: elapsed() };
  }
  return { ...base, ...rpcInfo, status: 'activated', response, checks, durationMs: elapsed() };
}
