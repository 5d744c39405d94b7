import { createInProcessBus, createInProcessTransport } from './in-process.transport.js';
import { transportContractSuite } from './transport.contract.js';

const bus = createInProcessBus();
transportContractSuite('in-process', () => createInProcessTransport({ bus }));
