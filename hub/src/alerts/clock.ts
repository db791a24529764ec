export type TimerHandle = { readonly __timer: unique symbol };

/** Time as the alert engine sees it, so tests can move it by hand instead of waiting. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(t: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // Pending alert timers must not keep a stopping process alive.
    t.unref();
    return t as unknown as TimerHandle;
  },
  clearTimeout: (t) => clearTimeout(t as unknown as ReturnType<typeof setTimeout>),
};
