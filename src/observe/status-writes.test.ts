import { describe, expect, test } from 'vitest';
import { PROGRESS_HOLD_MS, progressWrite } from './status-writes.js';

const T = 1_000_000;

describe('progressWrite', () => {
  test('the first pass of a fresh generation in progress holds the write for the whole window', () => {
    expect(progressWrite({ progressing: true, fresh: true, heldSince: undefined, now: T })).toEqual({
      write: false,
      since: T,
      recheckInMs: PROGRESS_HOLD_MS,
    });
  });

  test('later passes keep the window from when the hold began', () => {
    expect(progressWrite({ progressing: true, fresh: true, heldSince: T, now: T + 2_000 })).toEqual({
      write: false,
      since: T,
      recheckInMs: PROGRESS_HOLD_MS - 2_000,
    });
  });

  test('a rollout still in progress when the window ends is written, so status shows it deploying', () => {
    expect(
      progressWrite({ progressing: true, fresh: true, heldSince: T, now: T + PROGRESS_HOLD_MS }),
    ).toEqual({
      write: true,
    });
  });

  test('anything but plain progress (ready, a cause, a failure, a removal, the watchdog) is written at once', () => {
    expect(progressWrite({ progressing: false, fresh: true, heldSince: T, now: T + 1 })).toEqual({
      write: true,
    });
  });

  test('progress of a generation already written is written as it moves', () => {
    expect(progressWrite({ progressing: true, fresh: false, heldSince: undefined, now: T })).toEqual({
      write: true,
    });
  });
});
