import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * An empty database of its own on the test server, for tests that migrate from nothing or from
 * an old version. A database, not a schema of the shared one: Kysely's migrator in another
 * file's harness lists the tables of every schema there, and a schema dropped mid-listing
 * failed that file's start.
 */
export async function createScratchDatabase(sharedUrl: string, prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = async (text: string) => {
    const pool = new pg.Pool({ connectionString: sharedUrl, max: 1 });
    try { await pool.query(text); } finally { await pool.end(); }
  };
  await admin(`create database ${name}`);
  return { url: withDatabase(sharedUrl, name), drop: () => admin(`drop database ${name}`) };
}

const withDatabase = (url: string, name: string) => {
  const q = url.indexOf('?');
  const [path, query] = q < 0 ? [url, ''] : [url.slice(0, q), url.slice(q)];
  return `${path.slice(0, path.lastIndexOf('/'))}/${name}${query}`;
};
