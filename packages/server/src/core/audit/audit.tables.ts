export interface AuditRecordsTable {
  seq: number;
  time: string;
  actor: string;
  project_id: string | null;
  action: string;
  resource: string;
  /** Canonical JSON of what changed; `digest` is its sha256. */
  change: string;
  digest: string;
  prev_hash: string;
  hash: string;
}

/** One row: the newest record's sequence and hash. Locking it serializes appends. */
export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

export interface AuditTables {
  audit_records: AuditRecordsTable;
  audit_head: AuditHeadTable;
}

declare module '../../storage/schema.js' {
  interface Database extends AuditTables {}
}
