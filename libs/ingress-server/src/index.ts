export { createIngressServer, HRESULT_INVALID_DATA } from './kms-ingress.server.js';
export type { IngressOptions, IngressServer, IngressStats } from './kms-ingress.server.js';
export { toDecideRequest, toKmsResponse } from './mappers.js';
export { readIngressSettings } from './ingress.config.js';
export type { IngressSettings } from './ingress.config.js';
