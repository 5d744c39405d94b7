import { PLACEHOLDER } from '@kmsgrid/kms-protocol'; console.log(PLACEHOLDER);
