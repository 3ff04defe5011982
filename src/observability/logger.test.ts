import { Writable } from 'node:stream';
import { expect, test } from 'vitest';
import { createLogger } from './logger.js';

function capture(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { stream, lines };
}

/** Each key of a JSON object line, in order, as written (JSON.parse would hide a repeat). */
function keysOf(line: string): string[] {
  return [...line.matchAll(/[{,]"([^"]+)":/g)].map((m) => m[1]!);
}

test('a line carries region and identity once, even when the call passes them again', () => {
  const { stream, lines } = capture();
  const log = createLogger({ region: 'eu-west-1', identity: 'pod-1_abc', destination: stream });
  log.info({ region: 'eu-west-1', identity: 'pod-1_abc', namespaces: ['a'] }, 'monitor starting');
  log.child({ endpoint: 'llama' }).warn({ identity: 'pod-1_abc', retries: 2 }, 'reconcile failed');
  expect(lines).toHaveLength(2);
  for (const line of lines) {
    const keys = keysOf(line);
    expect(keys.filter((k) => k === 'region')).toHaveLength(1);
    expect(keys.filter((k) => k === 'identity')).toHaveLength(1);
    expect(new Set(keys).size).toBe(keys.length);
  }
  expect(JSON.parse(lines[0]!)).toMatchObject({
    level: 'info',
    region: 'eu-west-1',
    identity: 'pod-1_abc',
    namespaces: ['a'],
    msg: 'monitor starting',
  });
  expect(JSON.parse(lines[1]!)).toMatchObject({ level: 'warn', endpoint: 'llama', retries: 2 });
});
