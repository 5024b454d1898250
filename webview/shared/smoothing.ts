/**
 * Debiased exponential moving average, exactly as TensorBoard's scalar dashboard computes it
 * (tensorboard/plugins/scalar/tf_scalar_dashboard, `resmoothDataset`): the EMA starts at 0 and is
 * divided by (1 − wⁿ) so early points are not pulled towards zero; non-finite values pass
 * through untouched and do not advance the average; a constant series is returned as is.
 */
export function debiasedEma(values: readonly number[], weight: number): number[] {
  checkWeight(weight);
  const smoother = new EmaSmoother(weight);
  const out = values.map((v) => smoother.push(v));
  // TensorBoard returns constant series unsmoothed (avoids rounding noise).
  if (values.length > 0 && values.every((v) => v === values[0])) return values.slice();
  return out;
}

/** The same EMA, one point at a time, so live series are smoothed in O(1) per new point. */
export class EmaSmoother {
  private last = 0;
  private count = 0;
  private first: number | undefined;
  private constant = true;

  constructor(readonly weight: number) {
    checkWeight(weight);
  }

  push(value: number): number {
    if (this.first === undefined) this.first = value;
    else if (value !== this.first) this.constant = false;
    if (!Number.isFinite(value)) return value;
    this.last = this.last * this.weight + (1 - this.weight) * value;
    this.count++;
    if (this.constant) return value;
    const debias = this.weight === 1 ? 1 : 1 - Math.pow(this.weight, this.count);
    return this.last / debias;
  }
}

function checkWeight(weight: number): void {
  if (!(weight >= 0 && weight <= 1)) throw new RangeError(`smoothing weight must be in [0, 1], got ${weight}`);
}
