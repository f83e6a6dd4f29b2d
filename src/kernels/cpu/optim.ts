/**
 * Reference optimizer updates (same formulas and operation order as shaders/sgd.wgsl and adam.wgsl).
 * Hyperparameters are rounded to f32 as the uniforms round them; each stored value rounds as it is written.
 */
import { cpuKernels } from './table.js';
import { dataOf } from './backend.js';
import { adamConstants } from '../../core/kernels.js';

const sign = (v: number) => (v > 0 ? 1 : v < 0 ? -1 : 0);

cpuKernels.register('sgdUpdate', (_b, [grad, param, buf], a) => {
  const g = dataOf(grad.storage), p = dataOf(param.storage), bf = buf ? dataOf(buf.storage) : null;
  const f = Math.fround;
  const lr = f(a.lr), mom = f(a.momentum), omd = f(1 - a.dampening), wd = f(a.weightDecay), l1 = f(a.l1);
  for (let i = 0; i < p.length; i++) {
    let d = g[i];
    if (l1 !== 0) d += l1 * sign(p[i]);
    if (wd !== 0) d += wd * p[i];
    if (bf) {
      const v = a.first ? d : mom * bf[i] + omd * d;
      bf[i] = v;
      d = a.nesterov ? d + mom * bf[i] : bf[i];
    }
    p[i] = p[i] - lr * d;
  }
  return [];
});

cpuKernels.register('adamUpdate', (_b, [grad, param, m, v], a) => {
  const g = dataOf(grad.storage), p = dataOf(param.storage), md = dataOf(m.storage), vd = dataOf(v.storage);
  const f = Math.fround;
  const c = adamConstants(a);
  const b1 = f(a.beta1), b2 = f(a.beta2), omb1 = f(1 - a.beta1), omb2 = f(1 - a.beta2), eps = f(a.eps);
  const stepSize = f(c.stepSize), bc2 = f(c.bc2Sqrt), wd = f(a.weightDecay), decay = f(c.decay), l1 = f(a.l1);
  for (let i = 0; i < p.length; i++) {
    let x = p[i];
    let gi = g[i];
    if (l1 !== 0) gi += l1 * sign(x);
    if (a.decoupled) x = x * decay;
    else if (wd !== 0) gi += wd * x;
    md[i] = b1 * md[i] + omb1 * gi;
    vd[i] = b2 * vd[i] + omb2 * gi * gi;
    p[i] = x - stepSize * (md[i] / (Math.sqrt(vd[i]) / bc2 + eps));
  }
  return [];
});
