import { Problems } from './errors';
import { checkDnsSubdomain, checkLabelKey, checkLabelSelector, checkList, checkSafeText } from './validation';

// The scheduling props passed to the pod spec (tolerations, affinity), checked as the API server would, so that a
// wrong shape is refused at synthesis with its path, not emitted for the API server (or a GitOps tool) to refuse.

const TOLERATION_OPERATORS = ['Exists', 'Equal'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const NODE_SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'];

function isObject(value: unknown): value is { [key: string]: any } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Refuses the keys of `value` not among `known`. */
function checkKeys(problems: Problems, prop: string, value: { [key: string]: unknown }, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) problems.add(`${prop}.${key}`, value[key], `is not a field here; expected one of ${known.join(', ')}`);
  }
}

/** Checks a pod's tolerations (key, operator, value, effect, tolerationSeconds). @internal */
export function checkTolerations(problems: Problems, prop: string, value: unknown): unknown[] {
  const list = checkList(problems, prop, value, 'a list of tolerations');
  list.forEach((t, i) => {
    const at = `${prop}[${i}]`;
    if (!isObject(t)) {
      problems.add(at, t, 'expected a toleration ({ key?, operator?, value?, effect?, tolerationSeconds? })');
      return;
    }
    checkKeys(problems, at, t, ['key', 'operator', 'value', 'effect', 'tolerationSeconds']);
    if (t.key !== undefined) checkLabelKey(problems, `${at}.key`, t.key);
    const operator = t.operator ?? 'Equal';
    if (!TOLERATION_OPERATORS.includes(operator)) {
      problems.add(`${at}.operator`, t.operator, `expected one of ${TOLERATION_OPERATORS.join(', ')}`);
    }
    if (t.value !== undefined && checkSafeText(problems, `${at}.value`, t.value) && operator === 'Exists' && t.value !== '') {
      problems.add(`${at}.value`, t.value, 'expected no value with the operator Exists');
    }
    if (t.key === undefined && operator !== 'Exists') {
      problems.add(`${at}.operator`, t.operator, 'expected Exists when there is no key (a toleration of every taint)');
    }
    if (t.effect !== undefined && !TAINT_EFFECTS.includes(t.effect)) {
      problems.add(`${at}.effect`, t.effect, `expected one of ${TAINT_EFFECTS.join(', ')}`);
    }
    if (t.tolerationSeconds !== undefined) {
      if (!Number.isSafeInteger(t.tolerationSeconds)) {
        problems.add(`${at}.tolerationSeconds`, t.tolerationSeconds, 'expected a whole number of seconds');
      } else if (t.effect !== 'NoExecute') {
        problems.add(`${at}.tolerationSeconds`, t.tolerationSeconds, 'applies only with the effect NoExecute');
      }
    }
  });
  return list;
}

function checkNodeSelectorRequirements(problems: Problems, prop: string, value: unknown, fields: boolean): void {
  checkList(problems, prop, value, 'a list of node selector requirements').forEach((e, i) => {
    const at = `${prop}[${i}]`;
    if (!isObject(e)) {
      problems.add(at, e, 'expected { key, operator, values? }');
      return;
    }
    checkKeys(problems, at, e, ['key', 'operator', 'values']);
    if (fields) {
      if (e.key !== 'metadata.name') problems.add(`${at}.key`, e.key, 'expected \'metadata.name\', the only node field a selector may use');
    } else {
      checkLabelKey(problems, `${at}.key`, e.key);
    }
    if (!NODE_SELECTOR_OPERATORS.includes(e.operator)) {
      problems.add(`${at}.operator`, e.operator, `expected one of ${NODE_SELECTOR_OPERATORS.join(', ')}`);
      return;
    }
    const values = checkList(problems, `${at}.values`, e.values, 'a list of strings');
    values.forEach((v, j) => checkSafeText(problems, `${at}.values[${j}]`, v));
    const count = { In: [1, Infinity], NotIn: [1, Infinity], Exists: [0, 0], DoesNotExist: [0, 0], Gt: [1, 1], Lt: [1, 1] }[e.operator as string]!;
    if (values.length < count[0] || values.length > count[1]) {
      problems.add(`${at}.values`, e.values, `expected ${count[1] === 0 ? 'no values' : count[1] === 1 ? 'exactly one value' : 'at least one value'} with ${e.operator}`);
    } else if ((e.operator === 'Gt' || e.operator === 'Lt') && !/^-?[0-9]+$/.test(String(values[0]))) {
      problems.add(`${at}.values[0]`, values[0], `expected a whole number with ${e.operator}`);
    }
  });
}

function checkNodeSelectorTerm(problems: Problems, prop: string, term: unknown): void {
  if (!isObject(term)) {
    problems.add(prop, term, 'expected a node selector term ({ matchExpressions?, matchFields? })');
    return;
  }
  checkKeys(problems, prop, term, ['matchExpressions', 'matchFields']);
  checkNodeSelectorRequirements(problems, `${prop}.matchExpressions`, term.matchExpressions, false);
  checkNodeSelectorRequirements(problems, `${prop}.matchFields`, term.matchFields, true);
}

function checkWeight(problems: Problems, prop: string, weight: unknown): void {
  if (!Number.isInteger(weight) || (weight as number) < 1 || (weight as number) > 100) {
    problems.add(prop, weight, 'expected a whole number from 1 to 100');
  }
}

function checkPodAffinityTerm(problems: Problems, prop: string, term: unknown): void {
  if (!isObject(term)) {
    problems.add(prop, term, 'expected a pod affinity term ({ labelSelector?, topologyKey, namespaces?, namespaceSelector? })');
    return;
  }
  checkKeys(problems, prop, term, ['labelSelector', 'namespaceSelector', 'namespaces', 'topologyKey']);
  if (term.labelSelector !== undefined) checkSelector(problems, `${prop}.labelSelector`, term.labelSelector);
  if (term.namespaceSelector !== undefined) checkSelector(problems, `${prop}.namespaceSelector`, term.namespaceSelector);
  checkList(problems, `${prop}.namespaces`, term.namespaces, 'a list of namespaces').forEach((n, i) => checkDnsSubdomain(problems, `${prop}.namespaces[${i}]`, n));
  checkLabelKey(problems, `${prop}.topologyKey`, term.topologyKey);
}

function checkSelector(problems: Problems, prop: string, selector: unknown): void {
  if (!isObject(selector)) {
    problems.add(prop, selector, 'expected a label selector ({ matchLabels?, matchExpressions? })');
    return;
  }
  checkKeys(problems, prop, selector, ['matchLabels', 'matchExpressions']);
  checkLabelSelector(problems, prop, selector);
}

/** Checks a pod's affinity: node affinity, pod affinity and anti-affinity, every term. @internal */
export function checkAffinity(problems: Problems, prop: string, value: unknown): void {
  if (!isObject(value)) {
    problems.add(prop, value, 'expected an affinity, as in a pod spec ({ nodeAffinity?, podAffinity?, podAntiAffinity? })');
    return;
  }
  checkKeys(problems, prop, value, ['nodeAffinity', 'podAffinity', 'podAntiAffinity']);
  const node = value.nodeAffinity;
  if (node !== undefined) {
    const at = `${prop}.nodeAffinity`;
    if (!isObject(node)) {
      problems.add(at, node, 'expected a node affinity ({ requiredDuringSchedulingIgnoredDuringExecution?, preferredDuringSchedulingIgnoredDuringExecution? })');
    } else {
      checkKeys(problems, at, node, ['requiredDuringSchedulingIgnoredDuringExecution', 'preferredDuringSchedulingIgnoredDuringExecution']);
      const required = node.requiredDuringSchedulingIgnoredDuringExecution;
      const requiredAt = `${at}.requiredDuringSchedulingIgnoredDuringExecution`;
      if (required !== undefined) {
        if (!isObject(required)) {
          problems.add(requiredAt, required, 'expected a node selector ({ nodeSelectorTerms })');
        } else {
          checkKeys(problems, requiredAt, required, ['nodeSelectorTerms']);
          const terms = checkList(problems, `${requiredAt}.nodeSelectorTerms`, required.nodeSelectorTerms ?? null, 'a list of node selector terms');
          terms.forEach((t, i) => checkNodeSelectorTerm(problems, `${requiredAt}.nodeSelectorTerms[${i}]`, t));
        }
      }
      checkWeightedTerms(problems, at, node.preferredDuringSchedulingIgnoredDuringExecution, 'preference', checkNodeSelectorTerm);
    }
  }
  for (const kind of ['podAffinity', 'podAntiAffinity'] as const) {
    const pod = value[kind];
    if (pod === undefined) continue;
    const at = `${prop}.${kind}`;
    if (!isObject(pod)) {
      problems.add(at, pod, 'expected { requiredDuringSchedulingIgnoredDuringExecution?, preferredDuringSchedulingIgnoredDuringExecution? }');
      continue;
    }
    checkKeys(problems, at, pod, ['requiredDuringSchedulingIgnoredDuringExecution', 'preferredDuringSchedulingIgnoredDuringExecution']);
    checkList(problems, `${at}.requiredDuringSchedulingIgnoredDuringExecution`, pod.requiredDuringSchedulingIgnoredDuringExecution, 'a list of pod affinity terms')
      .forEach((t, i) => checkPodAffinityTerm(problems, `${at}.requiredDuringSchedulingIgnoredDuringExecution[${i}]`, t));
    checkWeightedTerms(problems, at, pod.preferredDuringSchedulingIgnoredDuringExecution, 'podAffinityTerm', checkPodAffinityTerm);
  }
}

/** `preferredDuringSchedulingIgnoredDuringExecution`: a list of `{ weight, <termKey> }`, each term checked by `checkTerm`. */
function checkWeightedTerms(problems: Problems, at: string, list: unknown, termKey: string,
  checkTerm: (problems: Problems, at: string, term: any) => void): void {
  checkList(problems, `${at}.preferredDuringSchedulingIgnoredDuringExecution`, list, 'a list of weighted terms').forEach((p, i) => {
    const pAt = `${at}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
    if (!isObject(p)) return problems.add(pAt, p, `expected { weight, ${termKey} }`);
    checkKeys(problems, pAt, p, ['weight', termKey]);
    checkWeight(problems, `${pAt}.weight`, p.weight);
    checkTerm(problems, `${pAt}.${termKey}`, (p as any)[termKey]);
  });
}
