/**
 * A package's render deadline: a base (a minute by default) plus its frames' budget, capped by
 * RENDER_TIMEOUT_SECONDS. One slow package (a decode-cost attack, a frame that makes
 * the encoder crawl) then holds the single render queue for a bounded time only.
 */
export function renderBudgetMs(frames: number, c: { renderBaseMs: number; renderFrameBudgetMs: number; renderTimeoutMs: number }): number {
  return Math.min(c.renderTimeoutMs, c.renderBaseMs + frames * c.renderFrameBudgetMs);
}

export interface RenderBudget {
  readonly ms: number;
  /** Aborted when the budget runs out or the parent (shutdown) aborts. */
  readonly signal: AbortSignal;
  expired(): boolean;
  clear(): void;
}

export function startRenderBudget(ms: number, parent: AbortSignal): RenderBudget {
  const controller = new AbortController();
  let expired = false;
  const onParent = () => controller.abort(parent.reason);
  parent.addEventListener('abort', onParent, { once: true });
  if (parent.aborted) onParent();
  const timer = setTimeout(() => {
    expired = true;
    controller.abort(new Error(`render budget of ${ms} ms used up`));
  }, ms);
  return {
    ms,
    signal: controller.signal,
    expired: () => expired,
    clear() {
      clearTimeout(timer);
      parent.removeEventListener('abort', onParent);
    },
  };
}
