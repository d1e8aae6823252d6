/**
 * Which project holds which blob. The bytes are stored once, globally, by content; a blob is
 * visible in a project only through a row here, and the project's quota counts these rows.
 */
export interface BlobOwnersTable {
  project_id: string;
  ref: string;
  size: number;
  created_at: string;
  created_by: string;
}

export interface BlobTables {
  blob_owners: BlobOwnersTable;
}

declare module '../../storage/schema.js' {
  interface Database extends BlobTables {}
}
