import type { KeyGroup, KmsItem } from './types.js';

/** Rank in the Vista/7-era hierarchy Client VL < A < B < C; per-release server groups rank as C. */
const RANK: Readonly<Record<KeyGroup, number | undefined>> = {
  'client-vl': 0,
  'server-a': 1,
  'server-b': 2,
  'server-c': 3,
  server: 3,
  'china-government': undefined,
  office: undefined,
};

/** The facts of a host key the coverage rule looks at. */
export interface CoverageSubject {
  readonly applicationId: string;
  readonly group: KeyGroup;
  readonly generation: number;
}

/**
 * The coverage rule (README "Coverage rules"):
 * - same application only (Windows, Office 2010 and Office 2013+ never mix);
 * - only `volume` KMS IDs (genuine hosts refuse retail; Azure-only IDs need Azure's CSVLK);
 * - Windows: own group and every lower one (Client VL < A < B < C = per-release server group),
 *   of its own generation and earlier ones, never a newer one (ff793412, kms-activation-planning);
 *   a client-OS key (Client VL) therefore never covers a server;
 * - China Government: lateral, its own group only;
 * - Office: its own release only — Microsoft: "activate a KMS host key for each version of Office".
 */
export function hostKeyCoversItem(key: CoverageSubject, item: KmsItem): boolean {
  if (item.applicationId !== key.applicationId || item.channel !== 'volume') return false;
  if (key.group === 'office' || item.group === 'office') return key.group === item.group && item.generation === key.generation;
  if (item.generation > key.generation) return false;
  const keyRank = RANK[key.group];
  const itemRank = RANK[item.group];
  if (keyRank === undefined || itemRank === undefined) return key.group === item.group;
  return itemRank <= keyRank;
}
