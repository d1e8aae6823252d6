import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { requestLogger } from './request-logger.js';

async function logsOf(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = { write: (line: string) => lines.push(JSON.parse(line)) };
  const app = Fastify({
    logger: { level, stream },
    childLoggerFactory: requestLogger,
    genReqId: () => 'req_1',
  });
  const kinds: string[] = [];
  app.get('/', async (request) => {
    kinds.push(request.log.constructor.name);
    request.log.info('routine');
    request.log.error({ code: 'x' }, 'broken');
    return {};
  });
  expect((await app.inject({ method: 'GET', url: '/' })).statusCode).toBe(200);
  await app.close();
  return { lines, kinds };
}

describe('request loggers', () => {
  it('with request logging off, still write errors with the request id', async () => {
    const { lines, kinds } = await logsOf('warn');
    expect(kinds).toEqual(['DeferredChildLogger']);
    expect(lines.map((l) => [l.msg, l.reqId, l.code])).toEqual([['broken', 'req_1', 'x']]);
  });

  it('with request logging on, are ordinary children', async () => {
    const { lines, kinds } = await logsOf('info');
    expect(kinds).not.toEqual(['DeferredChildLogger']);
    const own = lines.filter((l) => l.msg === 'routine' || l.msg === 'broken');
    expect(own.map((l) => [l.msg, l.reqId])).toEqual([
      ['routine', 'req_1'],
      ['broken', 'req_1'],
    ]);
    expect(lines.some((l) => l.msg === 'incoming request')).toBe(true);
  });
});
