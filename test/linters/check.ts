/**
 * Checks the linter tier's reports (written by test/linters/run.sh) against the exemption annotations of the
 * synthesized objects and against README's "Linters" section:
 *   1. no finding is left in any chart except those README leaves to the cluster;
 *   2. every exemption annotation names a finding the linter raises on the unannotated object (no unneeded
 *      exemption), carries a reason, and is honoured by the linter (Checkov reports the same reason);
 *   3. the default environment (examples/basic) declares exactly README's table of its exemptions, with the
 *      same reasons, and raises exactly the findings README leaves to the cluster;
 *   4. every exemption any chart declares is documented in README; Checkov's other frameworks (secrets and
 *      the rest) find nothing.
 * Prints a summary per chart and exits 1 with every problem listed.
 *
 *   npx ts-node --project test/tsconfig.json test/linters/check.ts <out> <README.md>
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { parseAllDocuments } from 'yaml';

type Tool = 'kube-score' | 'checkov';

interface Finding {
  readonly tool: Tool;
  readonly chart: string;
  /** `<kind>.<namespace>.<name>` (Checkov's resource id), or Checkov's id of a pod template. */
  readonly object: string;
  readonly check: string;
  readonly reason?: string;
}

const DEFAULT_CHART = 'example-basic';
const KUBE_SCORE_REASON_PREFIX = 'kube-score.go-remote.cdk8s.io/';
// kube-score grades: 1 critical, 5 warning, 7 almost OK, 10 OK.
const KUBE_SCORE_FINDING_BELOW = 7;

const problems: string[] = [];
const problem = (message: string) => problems.push(message);
const key = (f: Finding) => `${f.tool} ${f.chart} ${f.object} ${f.check}`;
const toolCheck = (f: { tool: Tool; check: string }) => `${f.tool} ${f.check}`;

function readJson(path: string): any {
  if (!existsSync(path)) throw new Error(`${path} is missing: the linter did not run`);
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${path} is not the JSON report expected (${(e as Error).message}); it starts: ${text.slice(0, 300)}`);
  }
}

function objectId(doc: any): string {
  return `${doc.kind}.${doc.metadata?.namespace ?? 'default'}.${doc.metadata?.name}`;
}

/** The exemptions the chart's objects declare, from their annotations; malformed ones are problems. */
function declared(out: string, chart: string): Finding[] {
  const found: Finding[] = [];
  const text = readFileSync(join(out, 'exempt', chart, 'manifests.yaml'), 'utf8');
  for (const doc of parseAllDocuments(text).map(d => d.toJS())) {
    const annotations: { [k: string]: string } = doc?.metadata?.annotations ?? {};
    const object = objectId(doc);
    const ignored = (annotations['kube-score/ignore'] ?? '').split(',').map(s => s.trim()).filter(s => s !== '');
    for (const check of ignored) {
      const reason = annotations[`${KUBE_SCORE_REASON_PREFIX}${check}`];
      if (!reason) problem(`${chart}: ${object} ignores kube-score's ${check} without a reason (${KUBE_SCORE_REASON_PREFIX}${check})`);
      found.push({ tool: 'kube-score', chart, object, check, reason });
    }
    for (const [k, value] of Object.entries(annotations)) {
      if (k.startsWith(KUBE_SCORE_REASON_PREFIX) && !ignored.includes(k.slice(KUBE_SCORE_REASON_PREFIX.length))) {
        problem(`${chart}: ${object} has ${k} but kube-score/ignore does not name that check`);
      }
      if (!k.includes('checkov.io/skip')) continue;
      const m = /^(CKV2?_K8S_(\d+))=(.+)$/s.exec(value);
      if (!m || m[3].trim() === '') {
        problem(`${chart}: ${object} ${k}: ${JSON.stringify(value)} is not CKV_K8S_<N>=<reason>`);
        continue;
      }
      if (k !== `checkov.io/skip${m[2]}`) problem(`${chart}: ${object} ${k} skips ${m[1]}: expected the key checkov.io/skip${m[2]}`);
      found.push({ tool: 'checkov', chart, object, check: m[1], reason: m[3] });
    }
  }
  return found;
}

/** kube-score's findings (warnings and criticals that were not skipped) in one chart. */
function kubeScoreFindings(out: string, variant: string, chart: string): { findings: Finding[]; ignored: Set<string> } {
  const report = readJson(join(out, 'kube-score', variant, `${chart}.json`));
  if (!Array.isArray(report) || report.length === 0) throw new Error(`kube-score scored no object of ${chart} (${variant})`);
  const findings: Finding[] = [];
  const ignored = new Set<string>();
  for (const o of report) {
    const object = `${o.type_meta.kind}.${o.object_meta.namespace ?? 'default'}.${o.object_meta.name}`;
    for (const c of o.checks ?? []) {
      const check = c.check.id;
      if (c.skipped) {
        if ((c.comments ?? []).some((x: any) => x.summary === `Skipped because ${check} is ignored`)) ignored.add(`${object} ${check}`);
      } else if (c.grade < KUBE_SCORE_FINDING_BELOW) {
        findings.push({ tool: 'kube-score', chart, object, check });
      }
    }
  }
  return { findings, ignored };
}

interface CheckovResults {
  readonly failed: Finding[];
  readonly skipped: Finding[];
  readonly otherFrameworks: string[];
}

/** Checkov's failed and skipped checks by chart (the directory under the scanned root). */
function checkovResults(out: string, name: string): CheckovResults {
  const path = join(out, 'checkov', `${name}.json`);
  const raw = readJson(path);
  const reports: any[] = Array.isArray(raw) ? raw : [raw];
  const kubernetes = reports.filter(r => r.check_type === 'kubernetes');
  if (kubernetes.length !== 1) throw new Error(`${path}: expected one kubernetes report, found check types ${JSON.stringify(reports.map(r => r.check_type))}`);
  if (kubernetes[0].summary.parsing_errors !== 0) problem(`${path}: Checkov could not parse ${kubernetes[0].summary.parsing_errors} file(s)`);
  if (kubernetes[0].summary.passed === 0) problem(`${path}: Checkov passed no check at all: nothing was scanned`);
  // Paths are relative to the scanned directory's parent: /<variant>/<chart>/manifests.yaml.
  const chartOf = (filePath: string) => filePath.split('/').filter(s => s !== '')[1];
  const finding = (c: any, chart: string): Finding => ({ tool: 'checkov', chart, object: c.resource, check: c.check_id, reason: c.check_result?.suppress_comment });
  const failed: Finding[] = [];
  const skipped: Finding[] = [];
  for (const c of kubernetes[0].results.failed_checks) failed.push(finding(c, name === 'default-alone' ? DEFAULT_CHART : chartOf(c.file_path)));
  for (const c of kubernetes[0].results.skipped_checks ?? []) skipped.push(finding(c, name === 'default-alone' ? DEFAULT_CHART : chartOf(c.file_path)));
  const otherFrameworks = reports.filter(r => r.check_type !== 'kubernetes')
    .flatMap(r => (r.results?.failed_checks ?? []).map((c: any) => `${r.check_type} ${c.check_id} ${c.file_path} ${c.resource}: ${c.check_name}`));
  return { failed, skipped, otherFrameworks };
}

interface ReadmeTables {
  /** `<tool> <check>` → reason, for the default environment. */
  readonly defaults: Map<string, string>;
  /** `<tool> <check>` of the exemptions settings add. */
  readonly conditional: Set<string>;
  /** `<tool> <check>` left to the cluster: never exempted, allowed everywhere. */
  readonly cluster: Set<string>;
}

/** README's "Linters" section: three tables, told apart by the headings above them. */
function readme(path: string): ReadmeTables {
  const text = readFileSync(path, 'utf8');
  const start = text.indexOf('\n## Linters\n');
  if (start < 0) throw new Error(`${path} has no "## Linters" section`);
  const end = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, end < 0 ? undefined : end);
  const tables: { [heading: string]: string[][] } = {};
  let heading = '';
  for (const line of section.split('\n')) {
    if (line.startsWith('### ')) heading = line.slice(4).trim();
    if (!line.startsWith('|') || /^\|\s*-/.test(line)) continue;
    const cells = line.split('|').slice(1, -1).map(c => c.trim().replace(/^`(.*)`$/, '$1'));
    (tables[heading] ??= []).push(cells);
  }
  const table = (prefix: string) => {
    const found = Object.keys(tables).find(h => h.startsWith(prefix));
    if (!found) throw new Error(`${path}: no table under a "### ${prefix}..." heading in the Linters section`);
    return tables[found].slice(1); // the header row
  };
  const defaults = new Map<string, string>();
  for (const [check, tool, reason] of table('Exempted in the default environment')) defaults.set(`${tool} ${check}`, reason);
  const conditional = new Set(table('Exempted when').map(([, check, tool]) => `${tool} ${check}`));
  const cluster = new Set(table('Left to the cluster').map(([check, tool]) => `${tool} ${check}`));
  return { defaults, conditional, cluster };
}

function main(out: string, readmePath: string): void {
  const doc = readme(readmePath);
  const charts = readdirSync(join(out, 'exempt')).sort();
  const index: { [chart: string]: { profiles: string[] } } = JSON.parse(readFileSync(join(out, 'charts.json'), 'utf8'));
  // Every chart synth.ts wrote is checked, and the default environment among them (its checks below are the
  // README comparison): an empty or partial output directory is a failure, not a pass over fewer charts.
  const listed = Object.keys(index).sort();
  const bare = readdirSync(join(out, 'bare')).sort();
  if (charts.length === 0) problem(`${out}/exempt holds no chart: synth.ts wrote nothing`);
  if (JSON.stringify(charts) !== JSON.stringify(listed) || JSON.stringify(bare) !== JSON.stringify(listed)) {
    problem(`the charts differ: charts.json lists [${listed.join(', ')}], exempt/ holds [${charts.join(', ')}], bare/ holds [${bare.join(', ')}]`);
  }
  if (!charts.includes(DEFAULT_CHART)) problem(`${DEFAULT_CHART} was not synthesized: README's default exemptions were not compared`);
  const checkovExempt = checkovResults(out, 'exempt');
  const checkovBare = checkovResults(out, 'bare');
  const checkovDefault = checkovResults(out, 'default-alone');
  for (const line of [...checkovExempt.otherFrameworks, ...checkovDefault.otherFrameworks]) problem(`Checkov outside Kubernetes: ${line}`);

  const rows: string[] = [];
  let totals = { raised: 0, exempted: 0, left: 0 };
  for (const chart of charts) {
    const ks = { exempt: kubeScoreFindings(out, 'exempt', chart), bare: kubeScoreFindings(out, 'bare', chart) };
    const of = (list: Finding[]) => list.filter(f => f.chart === chart);
    const raised = [...ks.bare.findings, ...of(checkovBare.failed)];
    const left = [...ks.exempt.findings, ...of(checkovExempt.failed)];
    const exemptions = declared(out, chart);
    const raisedKeys = new Set(raised.map(key));
    const leftKeys = new Set(left.map(key));
    const exemptKeys = new Set(exemptions.map(key));
    const checkovSkipped = new Map(of(checkovExempt.skipped).map(f => [key(f), f.reason]));

    for (const e of exemptions) {
      if (!raisedKeys.has(key(e))) {
        problem(`${chart}: ${e.object} declares a ${e.tool} exemption for ${e.check} that ${e.tool} does not raise without it ("${e.reason}")`);
      }
      if (leftKeys.has(key(e))) problem(`${chart}: ${e.tool} ignored the exemption of ${e.check} on ${e.object}: the annotation is not where it reads it`);
      if (e.tool === 'kube-score' && !ks.exempt.ignored.has(`${e.object} ${e.check}`)) {
        problem(`${chart}: kube-score did not report ${e.check} on ${e.object} as ignored`);
      }
      if (e.tool === 'checkov' && checkovSkipped.get(key(e)) !== e.reason) {
        problem(`${chart}: Checkov reports ${e.check} on ${e.object} skipped with ${JSON.stringify(checkovSkipped.get(key(e)))}, expected ${JSON.stringify(e.reason)}`);
      }
      if (!doc.defaults.has(toolCheck(e)) && !doc.conditional.has(toolCheck(e))) {
        problem(`${chart}: the exemption ${toolCheck(e)} ("${e.reason}") is not in README's Linters tables`);
      }
    }
    for (const f of left) {
      if (!doc.cluster.has(toolCheck(f))) {
        problem(`${chart}: ${f.tool} raises ${f.check} on ${f.object}, neither exempted on the object nor left to the cluster in README`);
      }
    }
    for (const f of raised) {
      if (!exemptKeys.has(key(f)) && !leftKeys.has(key(f))) problem(`${chart}: ${f.tool} ${f.check} on ${f.object} vanished with the annotations, which do not name it`);
    }
    totals = { raised: totals.raised + raised.length, exempted: totals.exempted + exemptions.length, left: totals.left + left.length };
    const counts = (tool: Tool) => `${exemptions.filter(e => e.tool === tool).length}`;
    rows.push(`| ${chart} | ${(index[chart]?.profiles ?? []).join(', ')} | ${raised.length} | ${counts('kube-score')} | ${counts('checkov')} | ${[...new Set(left.map(toolCheck))].sort().join(', ')} |`);

    if (chart === DEFAULT_CHART) {
      const got = new Map(exemptions.map(e => [toolCheck(e), e.reason!]));
      for (const [k, reason] of doc.defaults) {
        if (!got.has(k)) problem(`${chart}: README lists the default exemption ${k}, which the default environment does not declare`);
        else if (got.get(k) !== reason) problem(`${chart}: ${k}: README's reason "${reason}" differs from the annotation's "${got.get(k)}"`);
      }
      for (const k of got.keys()) if (!doc.defaults.has(k)) problem(`${chart}: the default environment declares ${k}, missing from README's table of default exemptions`);
      const alone = new Set([...ks.exempt.findings, ...checkovDefault.failed].map(toolCheck));
      for (const k of doc.cluster) if (!alone.has(k)) problem(`${chart}: README leaves ${k} to the cluster, but the default environment does not raise it (alone)`);
      for (const k of alone) if (!doc.cluster.has(k)) problem(`${chart}: raises ${k} (scanned alone), which README does not list`);
    }
  }

  const summary = [
    '| chart | node access | findings without annotations | kube-score exemptions | Checkov exemptions | left to the cluster |',
    '| --- | --- | ---: | ---: | ---: | --- |',
    ...rows,
  ].join('\n');
  writeFileSync(join(out, 'summary.md'), summary + '\n');
  console.log(summary);
  console.log(`\ntest/linters/check.ts: ${charts.length} charts; ${totals.raised} findings without annotations, ${totals.exempted} exempted with a reason, ${totals.left} left to the cluster as README lists`);
  if (problems.length > 0) {
    console.error(`\ntest/linters/check.ts: ${problems.length} problem(s):`);
    for (const p of problems) console.error(`  - ${p}`);
    process.exit(1);
  }
  console.log('test/linters/check.ts: OK');
}

if (require.main === module) {
  const [out, readmePath] = process.argv.slice(2);
  if (!out || !readmePath) throw new Error('usage: check.ts <out> <README.md>');
  main(out, readmePath);
}
