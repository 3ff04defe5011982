import { describe, expect, test } from 'vitest';
import type { RegionHeartbeat } from '../store/index.js';
import { checkTargets } from './targets.js';

const hb = (region: string, over: Partial<RegionHeartbeat> = {}): RegionHeartbeat => ({
  region,
  lastHeartbeat: 't',
  identity: 'm',
  alive: true,
  allowedNamespaces: ['gco-inference'],
  ...over,
});
const message = (f: () => void): string => {
  try {
    f();
  } catch (err) {
    return (err as Error).message;
  }
  return 'accepted';
};

describe('checkTargets', () => {
  const beats = [
    hb('us-east-1'),
    hb('eu-west-1', { alive: false, allowedNamespaces: ['other'] }),
    hb('ap-south-1', { allowedNamespaces: undefined }),
  ];

  test('a region no monitor ever reported from is refused with a suggestion, unless forced or already targeted', () => {
    expect(
      message(() => checkTargets(beats, { regions: ['us-eats-1'], namespace: 'gco-inference' })),
    ).toMatch(
      /no monitor has ever reported from us-eats-1 .*did you mean us-east-1 for us-eats-1\?; pass --allow-unknown-region/,
    );
    expect(
      message(() =>
        checkTargets(beats, { regions: ['x-1'], namespace: 'gco-inference', allowUnknownRegion: true }),
      ),
    ).toBe('accepted');
    expect(
      message(() =>
        checkTargets(beats, { regions: ['x-1'], namespace: 'gco-inference', alreadyTargeted: ['x-1'] }),
      ),
    ).toBe('accepted');
  });

  test("a namespace must be in every live target monitor's published allow-list", () => {
    expect(message(() => checkTargets(beats, { regions: ['us-east-1'], namespace: 'kube-system' }))).toMatch(
      /^namespace: the monitor in us-east-1 only manages gco-inference, got "kube-system"/,
    );
    // A stale monitor's list, or no list at all (an older monitor), is not consulted.
    expect(
      message(() => checkTargets(beats, { regions: ['eu-west-1', 'ap-south-1'], namespace: 'kube-system' })),
    ).toBe('accepted');
  });
});
