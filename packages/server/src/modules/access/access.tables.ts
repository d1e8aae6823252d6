export interface ProjectsTable {
  id: string;
  name: string;
  description: string;
  created_at: string;
}

export interface ApiKeysTable {
  id: string;
  project_id: string;
  name: string;
  role: string;
  /** First characters of the secret, shown in lists so people can tell keys apart. */
  prefix: string;
  secret_hash: string;
  created_at: string;
  created_by: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface AccessTables {
  projects: ProjectsTable;
  api_keys: ApiKeysTable;
}

declare module '../../storage/schema.js' {
  interface Database extends AccessTables {}
}
