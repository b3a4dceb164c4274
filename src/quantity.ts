import { Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-27';
import { Problems } from './errors';

// Kubernetes resource.Quantity, as the API server parses it: a decimal number and an optional suffix. The one
// grammar of the library: the environment's resources, the workspace and the fleet's quota all go through it.
const QUANTITY = /^\+?(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;
const DECIMAL_SUFFIXES = ['n', 'u', 'm', '', 'k', 'M', 'G', 'T', 'P', 'E'];
const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const MULTIPLIERS = new Map<string, number>([
  ...DECIMAL_SUFFIXES.map((s, i) => [s, 10 ** (3 * (i - 3))] as [string, number]),
  ...BINARY_SUFFIXES.slice(1).map((s, i) => [s, 2 ** (10 * (i + 1))] as [string, number]),
]);

/** Whether a string is a non-negative Kubernetes quantity. @internal */
export function isQuantity(value: unknown): value is string {
  return typeof value === 'string' && QUANTITY.test(value);
}

/** The value of a quantity (approximate, for comparisons); undefined when it is not one. @internal */
export function quantityValue(quantity: string): number | undefined {
  const m = QUANTITY.exec(quantity);
  if (!m) return undefined;
  const suffix = m[2] ?? '';
  const multiplier = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : MULTIPLIERS.get(suffix)!;
  return Number(m[1]) * multiplier;
}

/** A quantity times a whole number, exactly, keeping its suffix: ('1.5Gi', 3) → '4.5Gi'. @internal */
export function scaleQuantity(quantity: string, times: number): string {
  const m = QUANTITY.exec(quantity);
  if (!m) throw new Error(`not a quantity: ${quantity}`);
  const [whole, fraction = ''] = m[1].split('.');
  const digits = (BigInt(`${whole || '0'}${fraction}`) * BigInt(times)).toString().padStart(fraction.length + 1, '0');
  const intPart = digits.slice(0, digits.length - fraction.length);
  const fracPart = digits.slice(digits.length - fraction.length).replace(/0+$/, '');
  return `${intPart}${fracPart ? `.${fracPart}` : ''}${m[2] ?? ''}`;
}

/** Whether `a` is more than `b` (both quantities), allowing for rounding. @internal */
export function exceeds(a: string, b: string): boolean {
  const va = quantityValue(a);
  const vb = quantityValue(b);
  return va !== undefined && vb !== undefined && va > vb * (1 + 1e-9);
}

/**
 * A CPU amount (cdk8s-plus `Cpu`: `Cpu.millis(500)`, `Cpu.units(2)`) as the quantity it renders to, or the
 * fallback's when undefined. Anything else, from a caller without a type checker, is a problem.
 * @internal
 */
export function resolveCpu(problems: Problems, prop: string, value: unknown, fallback: Cpu): string | undefined {
  const cpu = value === undefined ? fallback : value;
  const amount = cpu instanceof Cpu ? cpu.amount : undefined;
  if (isQuantity(amount)) return amount;
  problems.add(prop, amount ?? value, 'expected a non-negative Kubernetes quantity as a Cpu, such as Cpu.millis(500) or Cpu.units(2)');
  return undefined;
}

/**
 * An amount of memory or storage (cdk8s `Size`: `Size.gibibytes(4)`, `Size.mebibytes(512)`) as the quantity it
 * renders to, in the unit it was declared in (`4Gi`, `512Mi`), or the fallback's when undefined.
 * @internal
 */
export function resolveSize(problems: Problems, prop: string, value: unknown, fallback: Size): string | undefined {
  const size = value === undefined ? fallback : value;
  const amount = size instanceof Size ? size.asString() : undefined;
  if (isQuantity(amount)) return amount;
  problems.add(prop, amount ?? value, 'expected a non-negative Kubernetes quantity as a Size, such as Size.gibibytes(4) or Size.mebibytes(512)');
  return undefined;
}
