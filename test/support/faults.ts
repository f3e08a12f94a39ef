import { sql } from 'kysely';
import type { Db } from '../../src/platform/db.ts';

/**
 * A real fault in the database, once: the first row of `table` that `workspaceId` writes by
 * `on` (and that matches `when`, SQL over `old`/`new`) makes its statement fail. A sequence
 * decides "first" because a rollback does not undo it, so the retry goes through. Returns the
 * function that removes the fault.
 */
export async function failOnce(db: Db, workspaceId: string, table: string, on: 'insert' | 'update', when = 'true'): Promise<() => Promise<void>> {
  const name = `fault_${table}_${workspaceId.replace(/[^a-zA-Z0-9]/g, '_').toLowerCase()}`;
  await sql.raw(`create sequence ${name};
    create function ${name}() returns trigger language plpgsql as $f$
    begin
      if new.workspace_id = '${workspaceId.replace(/'/g, "''")}' and (${when}) and nextval('${name}') = 1 then raise exception 'injected fault in ${table}'; end if;
      return new;
    end $f$;
    create trigger ${name} before ${on} on ${table} for each row execute function ${name}();`).execute(db);
  return async () => {
    await sql.raw(`drop trigger ${name} on ${table}; drop function ${name}(); drop sequence ${name};`).execute(db);
  };
}
