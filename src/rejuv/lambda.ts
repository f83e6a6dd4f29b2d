/**
 * The sparsity strength λ and its controller (docs/method.md §5.2, §5.3): constant (the CIFAR recipe) or
 * adaptive (λ0, +Δλ whenever utilization fell by less than δ since the last check; the ImageNet
 * recipe). λ is 0 for good once the network is rejuvenated.
 */
export interface LambdaOptions {
  /** 'constant' uses `lambda`; 'adaptive' starts at `lambda0` and grows by `step`. */
  mode: 'constant' | 'adaptive';
  lambda?: number;
  lambda0?: number;
  step?: number;
  delta?: number;
}

export interface LambdaState {
  value: number;
  prevUtil: number;
}

export class LambdaController {
  readonly mode: 'constant' | 'adaptive';
  readonly step: number;
  readonly delta: number;
  value: number;
  prevUtil = 1;

  constructor(o: LambdaOptions) {
    this.mode = o.mode;
    this.step = o.step ?? 5e-5;
    this.delta = o.delta ?? 0.01;
    this.value = o.mode === 'constant' ? (o.lambda ?? 1e-4) : (o.lambda0 ?? 0);
    for (const [k, v] of [['lambda', this.value], ['step', this.step], ['delta', this.delta]] as const) {
      if (!Number.isFinite(v) || v < 0) throw new Error(`nr.lambda: ${k} must be a finite non-negative number, got ${v}`);
    }
  }

  /** A utilization check without rejuvenation (method §5.3): the adaptive rule may raise λ. */
  observe(u: number): void {
    if (this.mode === 'adaptive' && this.prevUtil - u < this.delta) this.value += this.step;
    this.prevUtil = u;
  }

  /** After surgery the sparsity term is off for good (the intended behaviour, method §5.3). */
  stop(): void {
    this.value = 0;
  }

  state(): LambdaState {
    return { value: this.value, prevUtil: this.prevUtil };
  }
  load(s: LambdaState): void {
    this.value = s.value;
    this.prevUtil = s.prevUtil;
  }
}
