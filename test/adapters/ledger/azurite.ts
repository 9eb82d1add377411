import { spawn } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';

/** Azurite's well-known development account (public, documented by Microsoft; not a secret). */
const ACCOUNT = 'devstoreaccount1';
const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteTables {
  connectionString: string;
  stop(): Promise<void>;
}

/**
 * Starts Azurite's table service in memory on a free port, in a child process so that its loggers and
 * sockets stay out of the test process. The port is chosen by the OS (listen on 0) and reported back,
 * so parallel test runs cannot collide. The child also exits when its stdin closes, so a killed test run
 * leaves nothing behind.
 */
export async function startAzuriteTables(): Promise<AzuriteTables> {
  const dist = path.dirname(require.resolve('azurite/dist/src/table/TableServer'));
  const script = `
    const TableServer = require(${JSON.stringify(path.join(dist, 'TableServer'))}).default;
    const TableConfiguration = require(${JSON.stringify(path.join(dist, 'TableConfiguration'))}).default;
    const config = new TableConfiguration('127.0.0.1', 0, undefined, ${JSON.stringify(path.join(os.tmpdir(), `azurite-${process.pid}-${Date.now()}.json`))},
      false /* debug log */, false /* access log */, undefined, undefined, true /* loose */, true /* skipApiVersionCheck */,
      '', '', '', undefined, false, true /* inMemoryPersistence */);
    const server = new TableServer(config);
    server.start().then(() => process.stdout.write(JSON.stringify({ address: server.getHttpServerAddress() }) + '\\n'),
      (e) => { console.error(e); process.exit(1); });
    const stop = () => server.close().finally(() => process.exit(0));
    process.stdin.on('end', stop).resume();
    process.on('SIGTERM', stop);
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Azurite did not start within 30 s: ${stderr}`)), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { address: string }).address);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited with ${code}: ${stderr}`));
    });
  });
  return {
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${KEY};TableEndpoint=${address}/${ACCOUNT};`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin.end();
      }),
  };
}
