import { createToken, defineModule, Kernel } from '@scalestack/kernel';
import { describe, expect, it } from 'vitest';
import { silent } from './helpers.js';

const ANSWER = createToken<{ value: number }>('test:answer');
const MISSING = createToken<string>('test:missing');

describe('Kernel.resolve', () => {
  it('returns a service a module provided, typed by its token', async () => {
    const provider = defineModule({
      name: 'provider',
      description: 'provides an answer',
      start(ctx) {
        ctx.provide(ANSWER, { value: 42 });
      },
    });
    const kernel = new Kernel({ logger: silent, definitions: [provider] });
    await kernel.load({ modules: ['provider'], env: {}, args: [] });
    await kernel.start();
    try {
      const answer: { value: number } = kernel.resolve(ANSWER);
      expect(answer.value).toBe(42);
      expect(kernel.tryResolve(ANSWER)).toBe(answer);
    } finally {
      await kernel.shutdown();
    }
  });

  it('names the token when nothing provided it; tryResolve gives undefined', () => {
    const kernel = new Kernel({ logger: silent });
    expect(() => kernel.resolve(MISSING)).toThrow(
      'kernel: no service registered for scalestack:test:missing',
    );
    expect(kernel.tryResolve(MISSING)).toBeUndefined();
  });
});
