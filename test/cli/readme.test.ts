import * as fs from 'node:fs';
import * as path from 'node:path';
import { configTableMarkdown } from '../../shared/app/config';

describe('README', () => {
  const readme = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');

  test('opens with the two commands', () => {
    const firstBlock = /```bash\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(firstBlock).toMatch(/^npm ci && npm start/m);
    expect(firstBlock).toMatch(/^npm test/m);
  });

  test('its configuration table is the one the code renders (every setting, default, meaning)', () => {
    expect(readme).toContain(configTableMarkdown());
  });
});
