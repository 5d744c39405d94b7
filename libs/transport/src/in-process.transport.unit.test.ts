import { describe, expect, it } from 'vitest';
import { TransportClosedError, TransportTimeoutError } from './errors.js';
import { createInProcessBus, createInProcessTransport } from './in-process.transport.js';
import { transportContractSuite } from './transport.contract.js';

const bus = createInProcessBus();
transportContractSuite('in-process', () => createInProcessTransport({ bus }));

describe('in-process request timeouts (one sweep timer per transport)', () => {
  const silent = (subject: string) => {
    const t = createInProcessTransport();
    // A handler that never answers: only the timeout settles the request.
    t.serve(subject, { queue: 'q' }, () => new Promise(() => undefined));
    return t;
  };

  it('times out a short request sent after a long one on time, each with its own subject', async () => {
    const t = silent('x.>');
    const started = Date.now();
    const long = t.request('x.long', new Uint8Array(0), { timeoutMs: 5000 }).catch((e: unknown) => e);
    const short = await t.request('x.short', new Uint8Array(0), { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(short).toBeInstanceOf(TransportTimeoutError);
    expect((short as TransportTimeoutError).subject).toBe('x.short');
    expect(Date.now() - started).toBeLessThan(1000);
    await t.close();
    expect(await long).toBeInstanceOf(TransportClosedError);
  });

  it('expires requests of the same timeout in order, and keeps answered ones out of the sweep', async () => {
    const t = createInProcessTransport();
    t.serve('y.echo', { queue: 'q' }, async (msg) => ({ data: msg.data }));
    t.serve('y.silent', { queue: 'q' }, () => new Promise(() => undefined));
    const order: string[] = [];
    const pending = [0, 1, 2].map((i) =>
      t.request(i === 1 ? 'y.echo' : 'y.silent', new Uint8Array([i]), { timeoutMs: 40 }).then(
        () => order.push(`answered ${i}`),
        (err: unknown) => order.push(`${err instanceof TransportTimeoutError ? 'timeout' : 'other'} ${i}`),
      ),
    );
    await Promise.all(pending);
    expect(order).toEqual(['answered 1', 'timeout 0', 'timeout 2']);
    await t.close();
  });
});
