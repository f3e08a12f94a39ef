import { SMTPServer } from 'smtp-server';

/**
 * A real SMTP server for the SMTP provider test, run in a child process by it
 * (`node --import tsx smtp-peer.ts`): prints `{"port":N}` once listening, then one JSON line
 * per accepted message with the envelope and the raw MIME. `bounce@…` is refused with 550,
 * `busy@…` with 451, as a receiving server would.
 */
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onAuth(auth, _session, cb) {
    if (auth.username === 'mailer' && auth.password === 'p4ss') return cb(null, { user: 'mailer' });
    return cb(new Error('Invalid username or password'));
  },
  onRcptTo(address, _session, cb) {
    if (address.address.startsWith('bounce@')) return cb(Object.assign(new Error('No such user'), { responseCode: 550 }));
    if (address.address.startsWith('busy@')) return cb(Object.assign(new Error('Try again later'), { responseCode: 451 }));
    return cb();
  },
  onData(stream, session, cb) {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      process.stdout.write(`${JSON.stringify({ user: session.user ?? null, from: session.envelope.mailFrom && session.envelope.mailFrom.address, to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') })}\n`);
      cb();
    });
  },
});
server.listen(0, '127.0.0.1', () => {
  const addr = server.server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof addr === 'object' && addr ? addr.port : 0 })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
