// Advisory lock keys, two-int form pg_advisory_xact_lock(classid, objid):
// classid tags kmsgrid, objid is FNV-1a of "<schema>:<purpose>" so throwaway
// test schemas do not contend with each other.
const KMSGRID_CLASS_ID = 0x6b6d7367; // 'kmsg'

function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(s)) {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  return h | 0; // int4
}

/**
 * A kmsgrid advisory lock key `[classid, objid]` for `purpose` in `schema`
 * (the store's `append` lock, the ledger's `ledger-writer` lock, ...).
 */
export function advisoryLockKey(schema: string, purpose: string): readonly [number, number] {
  return [KMSGRID_CLASS_ID, fnv1a32(`${schema}:${purpose}`)];
}

/** Keys of the advisory locks the store takes in `schema`. */
export function advisoryLockKeys(schema: string): { append: readonly [number, number] } {
  return { append: advisoryLockKey(schema, 'append') };
}
