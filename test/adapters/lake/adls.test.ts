import { AnonymousCredential } from '@azure/storage-file-datalake';
import { AdlsLake } from '../../../shared/adapters/lake/adls';
import { lakeContract } from './contract';
import { FakeDfs } from './fakeDfs';

const ACCOUNT = 'https://acct.dfs.core.windows.net';

function adls(fake: FakeDfs): AdlsLake {
  return AdlsLake.create(ACCOUNT, fake.filesystem, new AnonymousCredential(), fake.options());
}

lakeContract('ADLS Gen2 through the SDK pipeline (in-process service)', async () => {
  const fake = new FakeDfs();
  return { lake: adls(fake), cleanup: () => {} };
});

describe('ADLS adapter maps onto the DFS API', () => {
  test('a write is create → append → flush(close=true), on the final path', async () => {
    const fake = new FakeDfs();
    await adls(fake).write('processed/features/2026/03/01/part-0.csv', 'contact_id\nc1\n');
    expect(fake.requests.map((r) => [r.method, r.endpoint, r.path, r.query.resource ?? r.query.action, r.query.position, r.query.close])).toEqual([
      ['PUT', 'dfs', 'processed/features/2026/03/01/part-0.csv', 'file', undefined, undefined],
      ['PATCH', 'dfs', 'processed/features/2026/03/01/part-0.csv', 'append', '0', undefined],
      ['PATCH', 'dfs', 'processed/features/2026/03/01/part-0.csv', 'flush', '14', 'true'],
    ]);
    expect(fake.requests[1]?.bodyLength).toBe(14);
  });

  test('an empty file is create → flush(close=true) with no append', async () => {
    const fake = new FakeDfs();
    await adls(fake).write('raw/2026/03/01/_SUCCESS', '');
    expect(fake.requests.map((r) => r.query.resource ?? r.query.action)).toEqual(['file', 'flush']);
  });

  test('list is one recursive listPaths of the folder', async () => {
    const fake = new FakeDfs();
    const lake = adls(fake);
    await lake.write('labels/2026/03/01/part-0.csv', 'x');
    fake.requests.length = 0;
    await lake.list('labels');
    expect(fake.requests.map((r) => [r.method, r.query.resource, r.query.directory, r.query.recursive])).toEqual([['GET', 'filesystem', 'labels', 'true']]);
  });

  test('the lake location names the account and filesystem', () => {
    expect(adls(new FakeDfs()).location).toBe('https://acct.dfs.core.windows.net/lake');
  });
});
