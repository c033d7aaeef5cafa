/**
 * How the evaluation windows are cut into window batches (one session run per sublayer per batch; the
 * boundary-state cache is kept per batch). A toggle's evaluation reports an estimate after every batch
 * but the last, so the first batch decides how soon the first estimate is on screen (issue 13 item 6).
 *
 * - 'uniform': batches of `cap` windows (the remainder last).
 * - 'first-one': one window, then batches of `cap`: the first estimate after 1/windows of the work, at
 *   the cost of one more batch (more, smaller session runs).
 * - 'doubling': 1, 2, 4, ... windows, at most `cap`; a last batch smaller than the one before it is
 *   merged into it when the sum stays within `cap` (8 windows, cap 8: 1, 2, 5).
 */
export type BatchSchedule = 'uniform' | 'first-one' | 'doubling';

export const BATCH_SCHEDULES: readonly BatchSchedule[] = ['uniform', 'first-one', 'doubling'];

/** Window counts of the batches, in order; they sum to `windows`. */
export function windowBatches(windows: number, cap: number, schedule: BatchSchedule): number[] {
  if (!Number.isInteger(windows) || windows < 0)
    throw new RangeError(`windows must be a whole number >= 0, not ${windows}`);
  if (!Number.isInteger(cap) || cap < 1)
    throw new RangeError(`windows per batch must be a whole number >= 1, not ${cap}`);
  if (!BATCH_SCHEDULES.includes(schedule))
    throw new RangeError(`unknown batch schedule '${schedule}' (one of ${BATCH_SCHEDULES.join(', ')})`);
  const out: number[] = [];
  let left = windows;
  let next = schedule === 'uniform' ? cap : 1;
  while (left > 0) {
    let b = Math.min(next, left);
    if (schedule === 'doubling' && left - b > 0 && left - b < b && left <= cap) b = left;
    out.push(b);
    left -= b;
    next = schedule === 'doubling' ? Math.min(2 * b, cap) : cap;
  }
  return out;
}
