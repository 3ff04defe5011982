/**
 * The regions of the local environment by default, of the demo, of the README tour and of the
 * files in examples/ (src/local/regions.test.ts keeps them in step): an example deployed after the
 * tour must find a monitor in every region it targets.
 */
export const LOCAL_REGIONS: readonly string[] = ['us-east-1', 'eu-west-1', 'ap-northeast-1'];
