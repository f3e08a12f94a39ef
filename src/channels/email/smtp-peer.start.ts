import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface ReceivedMail { user: string | null; from: string; to: string[]; raw: string }

/** Starts smtp-peer.ts (a real smtp-server) in a child process; resolves once it listens. */
export async function startSmtpPeer() {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./smtp-peer.ts', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
  const received: ReceivedMail[] = [];
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((ok, fail) => {
    child.once('exit', (code) => fail(new Error(`smtp peer exited ${code}`)));
    lines.on('line', (line) => {
      const m = JSON.parse(line) as { port?: number };
      if (m.port !== undefined) ok(m.port);
      else received.push(m as ReceivedMail);
    });
  });
  return { port, received, stop: () => { child.kill('SIGTERM'); } };
}

/** A header of a raw MIME message, unfolded. */
export const mimeHeader = (raw: string, name: string): string | undefined =>
  new RegExp(`^${name}:(.*(?:\\r\\n[ \\t].*)*)`, 'mi').exec(raw.split('\r\n\r\n')[0]!)?.[1]?.replace(/\r\n(?=[ \t])/g, '').trim();
