import { EventEmitter } from 'node:events';
import { installFaultHandlers } from '../../src/main';
import { createLogger } from '../../src/log';

function rig() {
  const lines: string[] = [];
  const log = createLogger('info', { write: (l: string) => void lines.push(l) });
  const events: string[] = [];
  const proc = new EventEmitter();
  installFaultHandlers(proc, {
    log,
    graceMs: 1000,
    close: async () => {
      events.push('close');
    },
    exit: (code) => events.push(`exit ${code}`),
  });
  return { lines, events, proc };
}

test.each(['unhandledRejection', 'uncaughtException'])('%s is logged without its stack or cause, then the app closes and the process exits 1', async (kind) => {
  const { lines, events, proc } = rig();
  const err = new Error('boom', { cause: { name: 'Harriet Victim' } });
  proc.emit(kind, err);
  await new Promise((r) => setImmediate(r));
  expect(events).toEqual(['close', 'exit 1']);
  const line = JSON.parse(lines.find((l) => l.includes('unexpected fault'))!) as Record<string, unknown>;
  expect(line).toMatchObject({ kind, err: 'Error: boom' });
  expect(lines.join('\n')).not.toContain('Harriet');
  expect(lines.join('\n')).not.toContain('at ');
});

test('a second fault while closing does not close twice', async () => {
  const { events, proc } = rig();
  proc.emit('unhandledRejection', new Error('one'));
  proc.emit('uncaughtException', new Error('two'));
  await new Promise((r) => setImmediate(r));
  expect(events).toEqual(['close', 'exit 1']);
});
