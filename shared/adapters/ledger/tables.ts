import { odata, RestError, TableClient, type TableEntityResult } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import type { DriftRecord, Ledger, PartitionRecord, RunRecord } from '../../ports/ledger';
import { checkIso, checkLease, checkLimit } from './checks';

/**
 * The ledger in Azure Table storage (one table; the kind of record is the PartitionKey). In Azure it
 * signs in with a TokenCredential (DefaultAzureCredential) to LEDGER_TABLES_URL; locally and in tests it
 * takes a connection string to Azurite.
 *
 * Locks are leases kept as entities: taking a free lock is a create (the service refuses a second one
 * with 409), taking an expired lease is a replace conditioned on the etag that was read (the service
 * refuses it with 412 if anyone wrote in between). Either way only one instance can win.
 */
export interface TableLedgerOptions {
  /** Clock in epoch ms; tests move it to expire leases and cooldowns without sleeping. */
  now?: () => number;
}

type Kind = 'partition' | 'run' | 'lock' | 'cooldown' | 'drift';

/** A string property holds at most 64 KiB (32K UTF-16 units); longer JSON is split over several. */
const CHUNK = 30_000;
/** An entity holds at most 1 MiB; stay clear of it with a readable error. */
const MAX_JSON = 450_000;

/**
 * Keys may not contain / \ # ? or control characters: percent-encode everything outside
 * [A-Za-z0-9._-] and write '%' as '~' (which is itself encoded first, so the mapping stays one to one).
 */
export function tableKey(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%/g, '~');
}

function status(e: unknown): number | undefined {
  return e instanceof RestError ? e.statusCode : undefined;
}

export class TableLedger implements Ledger {
  private ready: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(
    private readonly client: TableClient,
    options: TableLedgerOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Azure: the table endpoint (https://<account>.table.core.windows.net) and an Entra ID credential. */
  static fromUrl(url: string, table: string, credential: TokenCredential, options?: TableLedgerOptions): TableLedger {
    return new TableLedger(new TableClient(url, table, credential), options);
  }

  /** Azurite or a storage account key; plain http is allowed only because Azurite speaks it. */
  static fromConnectionString(connectionString: string, table: string, options?: TableLedgerOptions): TableLedger {
    const allowInsecureConnection = /(^|;)\s*(UseDevelopmentStorage=true|DefaultEndpointsProtocol=http;|TableEndpoint=http:)/i.test(connectionString);
    return new TableLedger(TableClient.fromConnectionString(connectionString, table, { allowInsecureConnection }), options);
  }

  /** Creates the table on first use (a no-op when it exists). */
  private table(): Promise<TableClient> {
    this.ready ??= this.client.createTable().catch((e: unknown) => {
      this.ready = undefined;
      throw e;
    });
    return this.ready.then(() => this.client);
  }

  private async readRecord<T>(kind: Kind, rowKey: string): Promise<T | undefined> {
    const t = await this.table();
    try {
      return decode<T>(await t.getEntity<Record<string, unknown>>(kind, rowKey));
    } catch (e) {
      if (status(e) === 404) return undefined;
      throw e;
    }
  }

  private async writeRecord(kind: Kind, rowKey: string, record: unknown, extra: Record<string, string> = {}): Promise<void> {
    const t = await this.table();
    await t.upsertEntity({ partitionKey: kind, rowKey, ...extra, ...encode(record) }, 'Replace');
  }

  private async listRecords<T>(kind: Kind): Promise<T[]> {
    const t = await this.table();
    const out: T[] = [];
    for await (const e of t.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${kind}` } })) {
      out.push(decode<T>(e));
    }
    return out;
  }

  async getPartition(contentHash: string): Promise<PartitionRecord | undefined> {
    return this.readRecord<PartitionRecord>('partition', tableKey(contentHash));
  }

  async putPartition(record: PartitionRecord): Promise<void> {
    await this.writeRecord('partition', tableKey(record.contentHash), record);
  }

  async putRun(run: RunRecord): Promise<void> {
    await this.writeRecord('run', tableKey(run.id), run, { startedAt: run.startedAt });
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    return this.readRecord<RunRecord>('run', tableKey(id));
  }

  /** Reads every run and sorts: a few per week, so a scan stays small for years. */
  async listRuns(limit: number): Promise<RunRecord[]> {
    checkLimit(limit);
    const runs = await this.listRecords<RunRecord>('run');
    runs.sort((a, b) => cmpDesc(a.startedAt, b.startedAt) || cmpDesc(a.id, b.id));
    return runs.slice(0, limit);
  }

  async acquireLock(name: string, owner: string, ttlMs: number, options: { takeOverFrom?: string } = {}): Promise<boolean> {
    checkLease(name, owner, ttlMs);
    const t = await this.table();
    const rowKey = tableKey(name);
    // A few rounds only because a lock released between our create and our read sends us back to create.
    for (let round = 0; round < 3; round++) {
      const lease = { partitionKey: 'lock', rowKey, name, owner, expiresAt: new Date(this.now() + ttlMs).toISOString() };
      try {
        await t.createEntity(lease);
        return true;
      } catch (e) {
        if (status(e) !== 409) throw e;
      }
      let held: TableEntityResult<{ owner: string; expiresAt: string }>;
      try {
        held = await t.getEntity<{ owner: string; expiresAt: string }>('lock', rowKey);
      } catch (e) {
        if (status(e) === 404) continue;
        throw e;
      }
      const gone = options.takeOverFrom !== undefined && held.owner === options.takeOverFrom;
      if (held.owner !== owner && !gone && Date.parse(held.expiresAt) > this.now()) return false;
      try {
        await t.updateEntity(lease, 'Replace', { etag: held.etag });
        return true;
      } catch (e) {
        if (status(e) === 412) return false; // someone else renewed or took it after our read
        if (status(e) === 404) continue;
        throw e;
      }
    }
    return false;
  }

  async lockHolder(name: string): Promise<{ owner: string; expiresAt: string } | undefined> {
    const t = await this.table();
    try {
      const held = await t.getEntity<{ owner: string; expiresAt: string }>('lock', tableKey(name));
      return { owner: held.owner, expiresAt: held.expiresAt };
    } catch (e) {
      if (status(e) === 404) return undefined;
      throw e;
    }
  }

  async releaseLock(name: string, owner: string): Promise<void> {
    const t = await this.table();
    const rowKey = tableKey(name);
    try {
      const held = await t.getEntity<{ owner: string }>('lock', rowKey);
      // Only the holder releases, and only the lease it read: one taken over since is left alone.
      if (held.owner === owner) await t.deleteEntity('lock', rowKey, { etag: held.etag });
    } catch (e) {
      if (status(e) !== 404 && status(e) !== 412) throw e;
    }
  }

  async getCooldown(name: string): Promise<string | undefined> {
    const t = await this.table();
    try {
      const e = await t.getEntity<{ until: string }>('cooldown', tableKey(name));
      return e.until;
    } catch (e) {
      if (status(e) === 404) return undefined;
      throw e;
    }
  }

  async setCooldown(name: string, untilIso: string): Promise<void> {
    checkIso(untilIso, 'setCooldown');
    const t = await this.table();
    await t.upsertEntity({ partitionKey: 'cooldown', rowKey: tableKey(name), name, until: untilIso }, 'Replace');
  }

  async putDrift(record: DriftRecord): Promise<void> {
    await this.writeRecord('drift', tableKey(record.date), record);
  }

  async listDrift(limit: number): Promise<DriftRecord[]> {
    checkLimit(limit);
    const all = await this.listRecords<DriftRecord>('drift');
    all.sort((a, b) => cmpDesc(a.date, b.date));
    return all.slice(0, limit);
  }
}

function cmpDesc(a: string, b: string): number {
  return a < b ? 1 : a > b ? -1 : 0;
}

function encode(record: unknown): Record<string, string | number> {
  const json = JSON.stringify(record);
  if (json.length > MAX_JSON) throw new Error(`ledger: record of ${json.length} characters exceeds the ${MAX_JSON} a table entity holds`);
  const props: Record<string, string | number> = { chunks: Math.max(1, Math.ceil(json.length / CHUNK)) };
  for (let i = 0; i * CHUNK < json.length || i === 0; i++) props[`record${i}`] = json.slice(i * CHUNK, (i + 1) * CHUNK);
  return props;
}

function decode<T>(entity: Record<string, unknown>): T {
  const chunks = Number(entity.chunks);
  let json = '';
  for (let i = 0; i < chunks; i++) json += String(entity[`record${i}`]);
  return JSON.parse(json) as T;
}
