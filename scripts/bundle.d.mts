import type { Metafile } from 'esbuild';

/** Writes the bundle into `outdir` (replacing it); resolves with esbuild's metafile. */
export function bundle(outdir: string): Promise<Metafile>;
