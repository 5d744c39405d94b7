/** Windows FILETIME: 100-ns intervals since 1601-01-01 UTC, as a bigint. */
export type FileTime = bigint;

/** 100-ns ticks between 1601-01-01 and 1970-01-01. */
const EPOCH_DIFF = 116444736000000000n;

export const fileTimeFromDate = (d: Date | number): FileTime =>
  BigInt(typeof d === 'number' ? d : d.getTime()) * 10000n + EPOCH_DIFF;

export const fileTimeToDate = (ft: FileTime): Date => new Date(Number((ft - EPOCH_DIFF) / 10000n));
