import { Role } from '@plumb/sdk';
import { type Command, Option } from 'commander';
import { action, clientFromEnv, output } from '../../cli/cli-context.js';
import { fetchPages, type PagingOptions, pagingOptions } from '../../cli/paging.js';

export function registerAccessCommands(program: Command): void {
  program
    .command('whoami')
    .description('show the key the CLI uses: its name, role and project')
    .action(
      action(async (_opts: unknown, command: Command) => {
        const me = await clientFromEnv().whoami();
        output(command, me, { rows: [me], columns: ['keyId', 'keyName', 'role', 'project'] });
      }),
    );

  const projects = program.command('projects').description('projects: namespaces for keys and resources');
  projects
    .command('create <name>')
    .description('create a project')
    .option('-d, --description <text>', 'what the project is for', '')
    .action(
      action(async (name: string, opts: { description: string }, command: Command) => {
        const project = await clientFromEnv().projects.create({ name, description: opts.description });
        output(command, project, { rows: [project], columns: ['id', 'name', 'description', 'createdAt'] });
      }),
    );
  pagingOptions(projects.command('list').description('list projects'), 'projects').action(
    action(async (opts: PagingOptions, command: Command) => {
      const client = clientFromEnv();
      const { items } = await fetchPages((q) => client.projects.list(q), opts);
      output(command, items, { rows: items, columns: ['id', 'name', 'description', 'createdAt'] });
    }),
  );

  const keys = program.command('keys').description('API keys: one role each, shown once, stored hashed');
  keys
    .command('create <name>')
    .description('create an API key and print its secret (the only time it is shown)')
    .addOption(
      new Option('-r, --role <role>', 'what the key may do').choices(Role.options).makeOptionMandatory(),
    )
    .option('-p, --project <name>', "the key's project (default: the caller's)")
    .action(
      action(async (name: string, opts: { role: Role; project?: string }, command: Command) => {
        const created = await clientFromEnv().keys.create({
          name,
          role: opts.role,
          ...(opts.project ? { project: opts.project } : {}),
        });
        output(command, created, {
          rows: [{ ...created.key, secret: created.secret }],
          columns: ['id', 'name', 'role', 'project', 'secret'],
        });
      }),
    );
  pagingOptions(
    keys
      .command('list')
      .description('list API keys')
      .option('-a, --all', 'include revoked keys')
      .option('-p, --project <name>', 'only this project'),
    'keys',
  ).action(
    action(async (opts: { all?: boolean; project?: string } & PagingOptions, command: Command) => {
      const client = clientFromEnv();
      const { items } = await fetchPages(
        (q) =>
          client.keys.list({
            ...q,
            includeRevoked: Boolean(opts.all),
            ...(opts.project ? { project: opts.project } : {}),
          }),
        opts,
      );
      output(command, items, {
        rows: items,
        columns: ['id', 'name', 'role', 'project', 'prefix', 'lastUsedAt', 'revokedAt'],
      });
    }),
  );
  keys
    .command('revoke <id>')
    .description('revoke an API key at once')
    .action(
      action(async (id: string, _opts: unknown, command: Command) => {
        const key = await clientFromEnv().keys.revoke(id);
        output(command, key, { rows: [key], columns: ['id', 'name', 'role', 'revokedAt'] });
      }),
    );
}
