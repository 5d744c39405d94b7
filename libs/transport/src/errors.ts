/** Base class of every error the transport raises; `instanceof TransportError` catches them all. */
export class TransportError extends Error {
  override readonly name: string = 'TransportError';
}

/** No reply arrived within `timeoutMs`. */
export class TransportTimeoutError extends TransportError {
  override readonly name = 'TransportTimeoutError';
  constructor(
    readonly subject: string,
    readonly timeoutMs: number,
    options?: ErrorOptions,
  ) {
    super(`request on ${subject} timed out after ${timeoutMs} ms`, options);
  }
}

/** Nobody subscribes to the subject (NATS status 503 "no responders"). */
export class NoRespondersError extends TransportError {
  override readonly name = 'NoRespondersError';
  constructor(
    readonly subject: string,
    options?: ErrorOptions,
  ) {
    super(`no responders on ${subject}`, options);
  }
}

/**
 * The remote handler failed and answered with a service error
 * (`Nats-Service-Error-Code` / `Nats-Service-Error` headers).
 */
export class RemoteHandlerError extends TransportError {
  override readonly name = 'RemoteHandlerError';
  constructor(
    readonly subject: string,
    /** NATS service error code (HTTP-like: 400 bad request, 500 internal, or a service catalogue code). */
    readonly code: number,
    readonly description: string,
    /** Symbolic error name from the service's catalogue (`kmsgrid-error` header), when it sent one. */
    readonly kind: string | undefined,
    options?: ErrorOptions,
  ) {
    super(`${subject} failed with ${code}${kind === undefined ? '' : ` ${kind}`}: ${description}`, options);
  }
}

/** The transport is closed or draining and cannot take this operation. */
export class TransportClosedError extends TransportError {
  override readonly name = 'TransportClosedError';
  constructor(
    readonly operation: string,
    options?: ErrorOptions,
  ) {
    super(`transport closed: cannot ${operation}`, options);
  }
}

/** A subject or header the wire cannot carry (empty token, wildcard on publish, CR/LF in a header, ...). */
export class InvalidMessageError extends TransportError {
  override readonly name = 'InvalidMessageError';
  constructor(
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(reason, options);
  }
}

/** A payload the codec could not encode or decode. */
export class CodecError extends TransportError {
  override readonly name = 'CodecError';
  constructor(
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(reason, options);
  }
}

/** Service error codes the transport itself sends (NATS services convention, HTTP-like). */
export const SERVICE_ERROR_CODE = {
  /** The request payload could not be decoded (serveRpc). */
  badRequest: 400,
  /** The handler threw something other than a ServiceError. */
  internal: 500,
} as const;

/**
 * Thrown by a request handler to answer with a service error: the requester
 * gets a RemoteHandlerError with the same `code`, `message` and `kind`.
 *
 * @example throw new ServiceError(403, 'no host key covers this product', { kind: 'KMSG_ERR_NOT_LICENSED' });
 */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  readonly kind: string | undefined;
  constructor(
    readonly code: number,
    message: string,
    options?: ErrorOptions & { readonly kind?: string },
  ) {
    super(message, options);
    this.kind = options?.kind;
  }
}
