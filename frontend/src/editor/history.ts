// Undo and redo over immutable snapshots.
//
// Each entry is a whole document: documents are small (a list of rectangles) and
// shared structurally, so a snapshot costs a few pointers. Consecutive changes with the
// same coalescing key (typing in one field, nudging with the arrow keys) make one step.

export const DEFAULT_HISTORY_LIMIT = 200;

export class History<T> {
  private past: T[] = [];
  private future: T[] = [];
  private current: T;
  private lastKey: string | null = null;
  private lastAt = 0;
  private saved: T;

  constructor(
    initial: T,
    private readonly limit = DEFAULT_HISTORY_LIMIT,
    /** How long a coalescing key stays open, in ms. */
    private readonly coalesceMs = 1000,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.current = initial;
    this.saved = initial;
  }

  get present(): T {
    return this.current;
  }

  get canUndo(): boolean {
    return this.past.length > 0;
  }

  get canRedo(): boolean {
    return this.future.length > 0;
  }

  get undoDepth(): number {
    return this.past.length;
  }

  /** True when the present differs from the state last marked as saved. */
  get dirty(): boolean {
    return this.current !== this.saved;
  }

  /** Records `next` as a new step. With a `coalesce` key equal to the previous step's
   *  (and soon enough after it) the previous step is replaced instead. */
  push(next: T, coalesce?: string): void {
    if (next === this.current) return;
    const t = this.now();
    const merge = coalesce !== undefined && coalesce === this.lastKey && t - this.lastAt <= this.coalesceMs;
    if (!merge) {
      this.past.push(this.current);
      if (this.past.length > this.limit) this.past.shift();
    }
    this.current = next;
    this.future = [];
    this.lastKey = coalesce ?? null;
    this.lastAt = t;
  }

  undo(): T | undefined {
    const prev = this.past.pop();
    if (prev === undefined) return undefined;
    this.future.push(this.current);
    this.current = prev;
    this.lastKey = null;
    return prev;
  }

  redo(): T | undefined {
    const next = this.future.pop();
    if (next === undefined) return undefined;
    this.past.push(this.current);
    this.current = next;
    this.lastKey = null;
    return next;
  }

  /** Ends any open coalescing, so the next push is a step of its own. */
  seal(): void {
    this.lastKey = null;
  }

  /** Starts over from `state` (a freshly loaded document), with no steps and clean. */
  reset(state: T): void {
    this.past = [];
    this.future = [];
    this.current = state;
    this.saved = state;
    this.lastKey = null;
  }

  /** `state` (by default the present) is what the server has now. */
  markSaved(state: T = this.current): void {
    this.saved = state;
    this.lastKey = null;
  }

  /** Rewrites every state, past and future included (e.g. new ids from the server).
   *  Returns the rewrite, so callers can find what an old state became. */
  mapStates(fn: (state: T) => T): (state: T) => T {
    const memo = new Map<T, T>();
    const map = (state: T): T => {
      let next = memo.get(state);
      if (next === undefined) {
        next = fn(state);
        memo.set(state, next);
      }
      return next;
    };
    this.past = this.past.map(map);
    this.future = this.future.map(map);
    this.current = map(this.current);
    this.saved = map(this.saved);
    return map;
  }
}
