export type { KmsCbcCipher } from './kms-crypto.js';
export {
  AES_BLOCK,
  bytesEqual,
  checkPkcs7,
  kmsCipherFor,
  kmsV4Mac,
  kmsV5Cipher,
  kmsV6Cipher,
  kmsV6Hmac,
  kmsV6HmacKey,
  pkcs7PadLength,
  randomBlock,
  sha256,
  xorBlock,
} from './kms-crypto.js';
export { Rijndael, expandRijndaelKey } from './rijndael.js';
