// When a change-feed record's new image can stand for a read of the item (ADR 0015).
import type { ChangedItem } from '../store/index.js';

/**
 * How old a record may be for its image to be used. Older means the feed is behind (a backlog
 * after a bulk write, a slow store): a later write the feed has not reached may have changed or
 * removed the item, and a read says what is there now. DynamoDB gives the record's time rounded
 * down to the second, so the age is never underestimated by more than the clocks' skew.
 */
export const IMAGE_FRESH_MS = 5_000;

/**
 * The image stands for a read when it is recent and newer than what the desired cache holds:
 * a resync or an earlier read may already hold a later generation, and two versions with the same
 * generation (a write by the Python tooling sets only `updated_at`) cannot be ordered.
 * `held` is the cache's version of the item (`generation|updated_at`), undefined if it holds none.
 */
export function imageStandsForRead(change: ChangedItem, held: string | undefined, now: number): boolean {
  if (change.image === undefined || change.version === undefined || change.writtenAt === undefined)
    return false;
  if (now - change.writtenAt > IMAGE_FRESH_MS) return false;
  const generation = generationOf(change.version);
  if (generation === undefined) return false;
  if (held === undefined) return true;
  const heldGeneration = generationOf(held);
  return heldGeneration !== undefined && generation > heldGeneration;
}

function generationOf(version: string): number | undefined {
  const head = version.slice(0, version.indexOf('|'));
  if (head === '') return undefined;
  const g = Number(head);
  return Number.isSafeInteger(g) ? g : undefined;
}
