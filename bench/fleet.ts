/**
 * Fleet synthesis benchmark (a script, not a test: timings never go into tests).
 *
 *   npx ts-node --project test/tsconfig.json bench/fleet.ts [--sizes 1,100,1000,10000] [--runs 1]
 *                       [--chart-per-env-max 10000] [--timeout 900] [--output yaml|files]
 *
 * For each size N it measures, each in a fresh Node process (so memory and JIT state do not leak between
 * figures), the wall time of building the app and rendering its YAML, and the process's peak RSS. Rendering gives
 * the bytes of `App.synthYaml()` (every chart's `toJson()`, each object to YAML, joined), less two things:
 * cdk8s 2.70 passes all documents as arguments of one call (`Yaml.stringify(...docs)`), which overflows the
 * stack somewhere between 60,000 and 130,000 objects (10,000 environments are 120,000; `synthYaml()` and the
 * FILE_PER_CHART and FILE_PER_APP layouts of `app.synth()` fail there, the file-per-resource layouts do not);
 * and it holds every document's JSON, every document's YAML and the joined YAML at once, where this render
 * drops each document's JSON once rendered and appends its YAML to one string (less to hold, though the peak
 * RSS at 10,000 environments still passes 1.2 GiB, the floor's too: write file per resource for less).
 * Modes:
 * - `fleet`: one GoRemoteFleet of N developers (a namespace each, with its quota, limits and network
 *   policies) in one Chart, with Argo CD sync waves (`GitOps.addSyncWaves`);
 * - `floor`: the very same objects, re-emitted as raw cdk8s ApiObjects in one Chart (the cdk8s floor); the
 *   objects are computed by another process and read from a file before the clock starts;
 * - `chart-per-env`: the naive composition, a Chart per developer holding a one-developer fleet (the same
 *   objects again), up to `--chart-per-env-max` environments and within `--timeout` seconds.
 * The three must render the same number of YAML bytes. Each figure is the median (by wall time) of `--runs` runs.
 *
 * With `--output files`, each figure is instead the real `app.synth()` into a temporary directory with
 * `YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE` (the layout docs/guides/gitops.md recommends for
 * review): one object is rendered and written at a time, so no YAML of the whole app is ever held in memory.
 * Children run with ts-node's transpile-only mode: the parent has type-checked the code, and the type
 * checker's memory would hide the fleet's in the RSS figures (the 1-environment row shows the baseline).
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ApiObject, App, AppProps, Chart, Yaml, YamlOutputType } from 'cdk8s';
import { Developer, EnvironmentOptions, GitOps, GoRemoteFleet } from '../src';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICUbZ+ogzart4VhTD/Pt2WqN7wHdh983iNOTeOFH/NtA alice@laptop';

const DEFAULTS: EnvironmentOptions = {
  git: { url: 'https://github.com/acme/service.git', ref: 'main' },
  programs: [
    { name: 'delve', command: 'dlv debug --headless --listen=:2345 --api-version=2 --accept-multiclient', port: 2345 },
    { name: 'app', command: 'go run ./cmd/app', port: 8080, environment: { LOG_LEVEL: 'debug' } },
  ],
  env: { GOFLAGS: '-mod=mod' },
};

function developers(n: number): Developer[] {
  const width = String(n).length;
  return Array.from({ length: n }, (_, i) => ({ name: `dev${String(i).padStart(width, '0')}`, authorizedKeys: [KEY] }));
}

/** Where `--output files` writes; unset: render YAML in memory. */
let outdir: string | undefined;

function newApp(): App {
  const props: AppProps = outdir
    ? { outdir, yamlOutputType: YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE }
    : { outdir: '/nonexistent' };
  return new App(props);
}

function buildFleet(n: number): App {
  const app = newApp();
  const chart = new Chart(app, 'team');
  new GoRemoteFleet(chart, 'fleet', { namespace: 'team', developers: developers(n), defaults: DEFAULTS });
  GitOps.addSyncWaves(chart);
  return app;
}

function buildChartPerEnv(n: number): App {
  const app = newApp();
  for (const developer of developers(n)) {
    const chart = new Chart(app, developer.name);
    new GoRemoteFleet(chart, 'fleet', { namespace: 'team', developers: [developer], defaults: DEFAULTS });
    GitOps.addSyncWaves(chart);
  }
  return app;
}

function buildFloor(objects: any[]): App {
  const app = newApp();
  const chart = new Chart(app, 'team');
  objects.forEach((o, i) => new ApiObject(chart, `o${i}`, o));
  return app;
}

/**
 * `App.synthYaml()` without its one call with every document as an argument (see above), and without holding
 * every document's JSON, their YAML and the joined YAML at once: each document's JSON is dropped once rendered,
 * and the YAML is appended to one string. The bytes are those of `synthYaml()`.
 */
function render(app: App): string {
  let yaml = '';
  let first = true;
  for (const chart of app.charts) {
    const docs: any[] = chart.toJson();
    for (let i = 0; i < docs.length; i++) {
      yaml += (first ? '' : '---\n') + Yaml.stringify(docs[i]);
      first = false;
      docs[i] = undefined;
    }
  }
  return yaml;
}

interface Figure {
  /** Wall time. */
  readonly ms: number;
  /** CPU time of the whole process (every thread: V8's GC helpers too), less sensitive to a busy machine. */
  readonly cpuMs: number;
  readonly rssMiB: number;
  readonly bytes: number;
  readonly objects: number;
}

function measure(mode: string, n: number, file: string | undefined): Figure {
  const objects = mode === 'floor' ? JSON.parse(readFileSync(file!, 'utf8')) : undefined;
  if (global.gc) global.gc();
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const app = mode === 'floor' ? buildFloor(objects) : mode === 'chart-per-env' ? buildChartPerEnv(n) : buildFleet(n);
  const cpuMs = () => {
    const used = process.cpuUsage(cpu);
    return (used.user + used.system) / 1000;
  };
  if (outdir) {
    app.synth();
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const usedCpu = cpuMs();
    const rssMiB = process.resourceUsage().maxRSS / 1024;
    const files = filesUnder(outdir);
    return { ms, cpuMs: usedCpu, rssMiB, bytes: files.reduce((sum, f) => sum + statSync(f).size, 0), objects: files.length };
  }
  const yaml = render(app);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const usedCpu = cpuMs();
  const count = (yaml.match(/^kind: /gm) ?? []).length;
  return { ms, cpuMs: usedCpu, rssMiB: process.resourceUsage().maxRSS / 1024, bytes: yaml.length, objects: count };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e => e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]);
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

if (process.argv.includes('--child')) {
  const mode = arg('mode', 'fleet');
  const n = Number(arg('n', '1'));
  if (mode === 'objects') {
    writeFileSync(arg('file', ''), JSON.stringify(buildFleet(n).charts[0].toJson()));
  } else {
    outdir = arg('outdir', '') || undefined;
    try {
      process.stdout.write(JSON.stringify(measure(mode, n, arg('file', '') || undefined)));
    } finally {
      if (outdir) rmSync(outdir, { recursive: true, force: true });
    }
  }
} else {
  const sizes = arg('sizes', '1,100,1000,10000').split(',').map(Number);
  const runs = Number(arg('runs', '1'));
  const chartPerEnvMax = Number(arg('chart-per-env-max', '10000'));
  const timeoutMs = Number(arg('timeout', '900')) * 1000;
  const files = arg('output', 'yaml') === 'files';
  const work = mkdtempSync(join(tmpdir(), 'go-remote-bench-'));
  const node = (args: string[]) => execFileSync(process.execPath, ['--expose-gc', '-r', 'ts-node/register/transpile-only', __filename, '--child', ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: timeoutMs,
    env: { ...process.env, TS_NODE_PROJECT: join(__dirname, '..', 'test', 'tsconfig.json') },
  });
  const child = (mode: string, n: number, file?: string): Figure | string => {
    const figures: Figure[] = [];
    for (let r = 0; r < runs; r++) {
      try {
        const out = files ? ['--outdir', join(work, `out-${mode}-${n}`)] : [];
        figures.push(JSON.parse(node(['--mode', mode, '--n', String(n), ...(file ? ['--file', file] : []), ...out])));
      } catch (e: any) {
        return e.signal === 'SIGTERM' ? `> ${timeoutMs / 1000} s (stopped)` : `failed: ${String(e.message).split('\n')[0]}`;
      }
    }
    return figures.sort((a, b) => a.ms - b.ms)[Math.floor(figures.length / 2)];
  };
  const ms = (f: Figure | string) => typeof f === 'string' ? f : `${f.ms.toFixed(0)} (${f.cpuMs.toFixed(0)})`;
  const rss = (f: Figure | string) => typeof f === 'string' ? '-' : f.rssMiB.toFixed(0);
  const ratio = (a: Figure | string, b: Figure | string) => typeof a === 'string' || typeof b === 'string'
    ? '-'
    : `${(a.ms / b.ms).toFixed(2)}x (${(a.cpuMs / b.cpuMs).toFixed(2)}x)`;

  try {
    console.log(`node ${process.version}, ${runs} run(s) per figure, median kept, ${files ? 'app.synth() to files (FOLDER_PER_CHART_FILE_PER_RESOURCE)' : 'YAML rendered in memory'}`);
    console.log('Times: wall ms (CPU ms of the process). Ratios: wall (CPU).');
    console.log('| environments | objects | fleet ms | floor ms | fleet / floor | chart-per-env ms | chart-per-env / fleet | fleet peak RSS MiB | floor peak RSS MiB | chart-per-env peak RSS MiB |');
    console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    const fleetFigures = new Map<number, Figure>();
    for (const n of sizes) {
      const file = join(work, `objects-${n}.json`);
      node(['--mode', 'objects', '--n', String(n), '--file', file]);
      const fleet = child('fleet', n);
      const floor = child('floor', n, file);
      rmSync(file, { force: true });
      const perEnv = n <= chartPerEnvMax ? child('chart-per-env', n) : `not run (> ${chartPerEnvMax})`;
      if (typeof fleet === 'string' || typeof floor === 'string') {
        console.log(`| ${n} | - | ${ms(fleet)} | ${ms(floor)} | - | ${ms(perEnv)} | - | ${rss(fleet)} | ${rss(floor)} | ${rss(perEnv)} |`);
        continue;
      }
      for (const other of [floor, perEnv]) {
        if (typeof other !== 'string' && (other.bytes !== fleet.bytes || other.objects !== fleet.objects)) {
          throw new Error(`not the same YAML: fleet ${fleet.objects} objects / ${fleet.bytes} bytes, other ${other.objects} / ${other.bytes}`);
        }
      }
      fleetFigures.set(n, fleet);
      const row = [n.toLocaleString('en'), fleet.objects.toLocaleString('en'), ms(fleet), ms(floor), ratio(fleet, floor), ms(perEnv), ratio(perEnv, fleet), rss(fleet), rss(floor), rss(perEnv)];
      console.log(`| ${row.join(' | ')} |`);
    }
    const [k1, k10] = [fleetFigures.get(1000), fleetFigures.get(10000)];
    if (k1 && k10) console.log(`\nfleet: 10,000 environments took ${ratio(k10, k1)} the time of 1,000`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
