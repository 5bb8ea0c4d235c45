import { RateLimiter, TEAMS_CONVERSATION_WINDOWS, TEAMS_TENANT_WINDOWS, type RateKeys, type RateWindow } from '../../src/teams/rateLimiter';
import { backoffMs, classifyError, DEFAULT_RETRY_POLICY, parseRetryAfter } from '../../src/teams/retry';

/** Time that only moves when the test (or a sleeper, if `advanceOnSleep`) moves it. */
function fakeTime(start = 0, advanceOnSleep = false) {
  const t = { now: start, sleeps: [] as number[] };
  return {
    t,
    now: () => t.now,
    sleep: async (ms: number) => {
      t.sleeps.push(ms);
      if (advanceOnSleep) t.now += ms;
    },
  };
}

/** Starts `n` acquisitions at the same instant; returns each one's wait, in call order. */
function burst(limiter: RateLimiter, keys: RateKeys[]): Promise<number[]> {
  return Promise.all(keys.map((k) => limiter.acquire(k)));
}

const conv = (id: string, tenantId = 't1'): RateKeys => ({ conversationId: id, tenantId });
const times = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

describe('RateLimiter: Teams windows, all sends arriving at once (no margin)', () => {
  it.each([
    { name: '7 to one conversation all go at once (7 per second)', sends: 7, waits: times(7, () => 0) },
    { name: 'the 8th waits for the 1 s window', sends: 8, waits: [...times(7, () => 0), 1000] },
    { name: 'the 9th waits for the 2 s window (8 per 2 s)', sends: 9, waits: [...times(7, () => 0), 1000, 2000] },
    { name: 'the 10th fits beside the 9th', sends: 10, waits: [...times(7, () => 0), 1000, 2000, 2000] },
  ])('$name', async ({ sends, waits }) => {
    const ft = fakeTime();
    const limiter = new RateLimiter({ now: ft.now, sleep: ft.sleep, marginMs: 0 });
    expect(await burst(limiter, times(sends, () => conv('a:1')))).toEqual(waits);
    expect(ft.t.sleeps).toEqual(waits.filter((w) => w > 0));
  });

  it('adds the safety margin to every window', async () => {
    const ft = fakeTime();
    const limiter = new RateLimiter({ now: ft.now, sleep: ft.sleep, marginMs: 100 });
    const waits = await burst(limiter, times(9, () => conv('a:1')));
    expect(waits.slice(7)).toEqual([1100, 2100]);
  });

  it('keeps conversations apart but counts them against their tenant (45 per second)', async () => {
    const ft = fakeTime();
    const limiter = new RateLimiter({ now: ft.now, sleep: ft.sleep, marginMs: 0 });
    const waits = await burst(limiter, times(46, (i) => conv(`a:${i}`)));
    expect(waits.slice(0, 45).every((w) => w === 0)).toBe(true);
    expect(waits[45]).toBe(1000);
    // Another tenant is not held up by the first one's burst.
    expect(await limiter.acquire(conv('a:other', 't2'))).toBe(0);
  });

  it('holds the 61st send in 30 s and the 1801st in an hour', async () => {
    const ft = fakeTime(0, true);
    const limiter = new RateLimiter({
      now: ft.now, sleep: ft.sleep, marginMs: 0,
      conversationWindows: TEAMS_CONVERSATION_WINDOWS, tenantWindows: [{ limit: 1_000_000, ms: 1000 }],
    });
    const booked: number[] = [];
    for (let i = 0; i < 1801; i++) {
      await limiter.acquire(conv('a:1'));
      booked.push(ft.t.now);
    }
    expect(booked[59]).toBeLessThan(30_000);
    expect(booked[60]).toBeGreaterThanOrEqual(30_000);
    expect(booked[1799]).toBeLessThan(3_600_000);
    expect(booked[1800]).toBeGreaterThanOrEqual(3_600_000);
    expectWithinWindows(booked, TEAMS_CONVERSATION_WINDOWS);
  });

  it('never exceeds any window for random arrivals and Retry-After blocks', async () => {
    const ft = fakeTime(0);
    const limiter = new RateLimiter({ now: ft.now, sleep: ft.sleep, marginMs: 0, tenantWindows: [{ limit: 5, ms: 1000 }] });
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const perConversation = new Map<string, number[]>();
    const tenant: number[] = [];
    for (let i = 0; i < 400; i++) {
      ft.t.now += Math.floor(rand() * 300);
      const id = `a:${Math.floor(rand() * 3)}`;
      if (rand() < 0.02) limiter.blockUntil({ conversationId: id }, ft.t.now + Math.floor(rand() * 5000));
      const wait = await limiter.acquire(conv(id));
      const at = ft.t.now + wait;
      perConversation.set(id, [...(perConversation.get(id) ?? []), at]);
      tenant.push(at);
    }
    for (const booked of perConversation.values()) expectWithinWindows(booked, TEAMS_CONVERSATION_WINDOWS);
    expectWithinWindows(tenant, [{ limit: 5, ms: 1000 }]);
  });

  it('honours a Retry-After block for every later send to the conversation', async () => {
    const ft = fakeTime(10_000);
    const limiter = new RateLimiter({ now: ft.now, sleep: ft.sleep, marginMs: 0 });
    limiter.blockUntil({ conversationId: 'a:1' }, 11_500);
    expect(await limiter.acquire(conv('a:1'))).toBe(1500);
    expect(await limiter.acquire(conv('a:2'))).toBe(0);
  });

  it('does not hold a tenant\'s other conversations behind a throttled one', async () => {
    const ft = fakeTime(0);
    const limiter = new RateLimiter({ now: ft.now, sleep: ft.sleep, marginMs: 0, tenantWindows: [{ limit: 2, ms: 1000 }] });
    limiter.blockUntil({ conversationId: 'a:slow' }, 30_000);
    expect(await limiter.acquire(conv('a:slow'))).toBe(30_000);
    // The tenant has a booking 30 s ahead, yet has room now and soon.
    expect(await burst(limiter, [conv('a:1'), conv('a:2'), conv('a:3')])).toEqual([0, 0, 1000]);
    // Around the far booking the tenant window holds: one fits just before it, the next must wait until
    // the one before has left the window (29 500 + 1 000).
    ft.t.now = 29_500;
    expect(await burst(limiter, [conv('a:4'), conv('a:5')])).toEqual([0, 1000]);
  });

  it('forgets keys idle for longer than their longest window', async () => {
    const ft = fakeTime(0);
    const limiter = new RateLimiter({ now: ft.now, sleep: ft.sleep, marginMs: 0, sweepEveryMs: 1000 });
    await burst(limiter, [conv('a:1'), conv('a:2'), conv('a:3', 't2')]);
    expect(limiter.size()).toBe(5); // 3 conversations + 2 tenants
    ft.t.now = 60_000; // tenant windows (1 s) are long gone; conversations' hour is not
    await limiter.acquire({ conversationId: 'a:4' });
    expect(limiter.size()).toBe(4);
    ft.t.now = 3_600_000 + 60_001;
    await limiter.acquire({ tenantId: 't9' });
    expect(limiter.size()).toBe(1);
  });

  it('rejects nonsense windows', () => {
    expect(() => new RateLimiter({ conversationWindows: [{ limit: 0, ms: 1000 }] })).toThrow(RangeError);
    expect(TEAMS_TENANT_WINDOWS[0]?.limit).toBeLessThanOrEqual(50);
  });
});

/** For every booking, the window ending there holds at most `limit` bookings. */
function expectWithinWindows(booked: number[], windows: readonly RateWindow[]): void {
  for (const w of windows) {
    for (let i = 0; i < booked.length; i++) {
      const end = booked[i] ?? 0;
      const inWindow = booked.filter((b) => b > end - w.ms && b <= end).length;
      if (inWindow > w.limit) throw new Error(`${inWindow} sends in ${w.ms} ms ending at ${end} (limit ${w.limit})`);
    }
  }
}

describe('retry policy', () => {
  it.each([
    { attempt: 1, random: 0.999, max: 500 },
    { attempt: 2, random: 0.999, max: 1000 },
    { attempt: 3, random: 0.5, max: 1000 },
    { attempt: 7, random: 0.999, max: 30_000 },
    { attempt: 30, random: 0.999, max: 30_000 },
  ])('full jitter: attempt $attempt with random $random stays under $max ms', ({ attempt, random, max }) => {
    const d = backoffMs(attempt, DEFAULT_RETRY_POLICY, () => random);
    expect(d).toBeGreaterThanOrEqual(0);
    expect(d).toBeLessThanOrEqual(max);
    expect(d).toBe(Math.floor(random * Math.min(30_000, 500 * 2 ** (attempt - 1))));
  });

  it.each([
    { header: '1', ms: 1000 },
    { header: ' 2 ', ms: 2000 },
    { header: '0.5', ms: 500 },
    { header: 'Wed, 21 Oct 2015 07:28:05 GMT', ms: 5000 },
    { header: 'Wed, 21 Oct 2015 07:27:00 GMT', ms: 0 },
    { header: 'soon', ms: undefined },
    { header: '', ms: undefined },
    { header: null, ms: undefined },
  ])('Retry-After "$header" is $ms ms', ({ header, ms }) => {
    expect(parseRetryAfter(header, Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(ms);
  });

  it.each([
    { err: { statusCode: 403, code: 'BotNotInConversationRoster' }, cls: 'unreachable' },
    { err: { statusCode: 404, code: 'ConversationNotFound' }, cls: 'unreachable' },
    { err: { statusCode: 429 }, cls: 'transient' },
    { err: { statusCode: 412 }, cls: 'transient' },
    { err: { statusCode: 502 }, cls: 'transient' },
    { err: { statusCode: 504 }, cls: 'transient' },
    { err: { statusCode: 400, code: 'BadArgument' }, cls: 'rejected' },
    { err: { statusCode: 401 }, cls: 'rejected' },
    { err: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), cls: 'transient' },
    { err: new Error('bug'), cls: 'rejected' },
    { err: 'a string', cls: 'rejected' },
  ])('classifies $err as $cls', ({ err, cls }) => {
    expect(classifyError(err).class).toBe(cls);
  });

  it('reads Retry-After from a RestError-like response', () => {
    const err = { statusCode: 429, response: { headers: { get: (n: string) => (n === 'retry-after' ? '3' : undefined) } } };
    expect(classifyError(err)).toEqual({ class: 'transient', status: 429, code: null, retryAfterHeader: '3' });
  });
});
