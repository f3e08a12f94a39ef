import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { envVarNames } from '../src/platform/config.ts';

describe('README', () => {
  it('"Configuration" lists exactly the environment variables the platform reads', () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.split('## Configuration')[1]!.split('\n## ')[0]!;
    const listed = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]).sort();
    expect(listed).toEqual(envVarNames().sort());
  });
});
