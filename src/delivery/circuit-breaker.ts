// Pauses sending when most recent attempts failed (the SMTP relay is down or
// refusing us), so a bad hour does not burn every subscriber's retry budget.

export type CircuitBreaker = {
  /** False while open: do not start new sends. */
  allow(): boolean;
  record(success: boolean): void;
};

/**
 * Opens when at least `threshold` of the last `window` attempts failed (and at
 * least `window` were seen), stays open `coolDownMs`, then lets attempts through
 * again with a fresh window.
 */
export function createCircuitBreaker(options: { window?: number; threshold?: number; coolDownMs?: number; now: () => Date }): CircuitBreaker {
  const size = options.window ?? 20;
  const threshold = options.threshold ?? 0.8;
  const coolDownMs = options.coolDownMs ?? 60_000;
  let recent: boolean[] = [];
  let openUntil = 0;
  return {
    allow() {
      if (options.now().getTime() < openUntil) return false;
      if (openUntil !== 0) {
        openUntil = 0;
        recent = [];
      }
      return true;
    },
    record(success) {
      recent.push(success);
      if (recent.length > size) recent.shift();
      const failures = recent.filter((ok) => !ok).length;
      if (recent.length >= size && failures / recent.length >= threshold) openUntil = options.now().getTime() + coolDownMs;
    },
  };
}
