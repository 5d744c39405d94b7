export { createIngressServer, HRESULT_INVALID_DATA } from './kms-ingress.server.js';
export type { IngressOptions, IngressServer, IngressStats } from './kms-ingress.server.js';
export { toDecideRequest, toKmsResponse } from './mappers.js';
