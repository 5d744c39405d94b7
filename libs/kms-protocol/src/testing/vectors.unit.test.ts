import { describe, expect, it } from 'vitest';
import { loadAllVectors } from './vectors.js';

describe('captured vectors', () => {
  it('loads every capture with client and server PDUs', () => {
    const all = loadAllVectors();
    expect(all.length).toBe(8);
    for (const x of all) {
      expect(x.pdus.some((p) => p.dir === 'C')).toBe(true);
      expect(x.pdus.some((p) => p.dir === 'S')).toBe(true);
    }
  });
});
