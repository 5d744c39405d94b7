/** Why a call to the admin API failed; `exitCode` follows the CLI's table (1 API error, 3 network). */
export class AdminCallError extends Error {
  override readonly name = 'AdminCallError';
  constructor(
    message: string,
    readonly exitCode: 1 | 3,
    /** HTTP status when the API answered. */
    readonly status?: number,
    /** Parsed body when the API answered with JSON. */
    readonly body?: unknown,
  ) {
    super(message);
  }
}

export interface JsonAnswer {
  readonly status: number;
  readonly body: unknown;
}

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connect timed out',
  UND_ERR_SOCKET: 'connection closed',
};

function networkReason(e: unknown): string {
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) return 'timed out';
  const cause = e instanceof Error ? (e.cause as { code?: string; message?: string } | undefined) : undefined;
  const code = cause?.code;
  if (code !== undefined) return `${NETWORK_CODES[code] ?? cause?.message ?? code} (${code})`;
  return cause?.message ?? (e instanceof Error ? e.message : String(e));
}

/**
 * GET `base + path` and parse JSON. Resolves for 2xx, and for `accept` statuses
 * (e.g. 503 of /readyz); otherwise throws AdminCallError with a one-line message
 * that names the URL and, when the API answered, its error code and message.
 */
export async function getJson(base: string, path: string, timeoutMs: number, accept: readonly number[] = []): Promise<JsonAnswer> {
  const url = `${base}${path}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const reason = networkReason(e);
    throw new AdminCallError(`cannot reach ${url}: ${reason === 'timed out' ? `no answer within ${timeoutMs} ms` : reason}`, 3);
  }
  let text: string;
  try {
    text = await res.text();
  } catch (e) {
    throw new AdminCallError(`GET ${url}: the answer was cut off: ${networkReason(e)}`, 3);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new AdminCallError(`GET ${url}: HTTP ${res.status}, not JSON (is this the kmsgrid admin API?)`, 3, res.status);
  }
  if (res.ok || accept.includes(res.status)) return { status: res.status, body };
  const err = body as { code?: unknown; message?: unknown };
  const detail = typeof err.code === 'string' ? `${err.code}: ${String(err.message)}` : `HTTP ${res.status}`;
  throw new AdminCallError(`GET ${url} failed: ${res.status} ${detail}`, 1, res.status, body);
}
