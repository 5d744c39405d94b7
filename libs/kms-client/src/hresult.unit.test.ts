import { describe, expect, it } from 'vitest';
import { describeHresult, formatHresult, hresultName } from './hresult.js';

describe('hresult', () => {
  it('formats and names KMS HRESULTs', () => {
    expect(formatHresult(0x8007000d)).toBe('0x8007000D');
    expect(formatHresult(-1073418174)).toBe('0xC004F042');
    expect(describeHresult(0xc004f06c)).toBe('HRESULT 0xC004F06C (SL_E_VL_INVALID_TIMESTAMP)');
    expect(describeHresult(0xc004f038)).toBe('HRESULT 0xC004F038 (SL_E_VL_NOT_ENOUGH_COUNT)');
    expect(describeHresult(0x8007000d)).toBe('HRESULT 0x8007000D (ERROR_INVALID_DATA)');
    expect(hresultName(0xc004f074)).toBe('no KMS host could be contacted');
    expect(describeHresult(0x12345678)).toBe('HRESULT 0x12345678');
  });
});
