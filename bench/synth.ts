/**
 * Synthesis benchmark (a script, not a test: timings never go into tests).
 *
 *   npm run bench -- [--sizes 1,100,1000] [--runs 3]
 *
 * For each size N it measures, each in a fresh Node process (so memory and JIT state do not leak between
 * measurements), the wall time of building the app and rendering its YAML (`App.synthYaml()`):
 * - `construct`: N GoRemoteEnvironments in one Chart;
 * - `floor`: the very same objects, re-emitted as raw cdk8s ApiObjects in one Chart (the cdk8s floor);
 * and reports the ratio construct/floor and the peak RSS. Each figure is the median of `--runs` runs, the
 * construct's and the floor's runs interleaved, so that a change of the machine's load hits both alike.
 */
import { execFileSync } from 'child_process';
import { App, ApiObject, Chart } from 'cdk8s';
import { GoRemoteEnvironment, GoRemoteEnvironmentProps } from '../src';

type Figure = { ms: number; rssMiB: number; bytes: number };

/** The run with the median time (of an odd number of runs; the upper middle one otherwise). */
function median(figures: Figure[]): Figure {
  return [...figures].sort((a, b) => a.ms - b.ms)[Math.floor(figures.length / 2)];
}

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICUbZ+ogzart4VhTD/Pt2WqN7wHdh983iNOTeOFH/NtA alice@laptop';

function props(i: number): GoRemoteEnvironmentProps {
  return {
    authorizedKeys: [KEY],
    git: { url: `https://github.com/acme/service-${i % 50}.git`, ref: 'main' },
    programs: [
      { name: 'delve', command: 'dlv debug --headless --listen=:2345 --api-version=2 --accept-multiclient', port: 2345 },
      { name: 'app', command: 'go run ./cmd/app', port: 8080, environment: { LOG_LEVEL: 'debug' } },
    ],
    env: { GOFLAGS: '-mod=mod' },
  };
}

function buildConstruct(n: number): App {
  const app = new App({ outdir: '/nonexistent' });
  const chart = new Chart(app, 'team', { namespace: 'team' });
  for (let i = 0; i < n; i++) new GoRemoteEnvironment(chart, `dev${i}`, props(i));
  return app;
}

/** The objects of `buildConstruct(n)`, as plain JSON, computed before the floor's clock starts. */
function plainObjects(n: number): any[] {
  const app = buildConstruct(n);
  return app.charts[0].toJson();
}

function buildFloor(objects: any[]): App {
  const app = new App({ outdir: '/nonexistent' });
  const chart = new Chart(app, 'team', { namespace: 'team' });
  objects.forEach((o, i) => new ApiObject(chart, `o${i}`, o));
  return app;
}

function measure(mode: string, n: number): { ms: number; rssMiB: number; bytes: number } {
  const objects = mode === 'floor' ? plainObjects(n) : undefined;
  if (global.gc) global.gc();
  const start = process.hrtime.bigint();
  const app = mode === 'floor' ? buildFloor(objects!) : buildConstruct(n);
  const yaml = app.synthYaml();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { ms, rssMiB: process.resourceUsage().maxRSS / 1024, bytes: yaml.length };
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

if (process.argv.includes('--child')) {
  process.stdout.write(JSON.stringify(measure(arg('mode', 'construct'), Number(arg('n', '1')))));
} else {
  const sizes = arg('sizes', '1,100,1000').split(',').map(Number);
  const runs = Number(arg('runs', '3'));
  const child = (mode: string, n: number): Figure => {
    const out = execFileSync(process.execPath, [...process.execArgv, __filename, '--child', '--mode', mode, '--n', String(n)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(out);
  };
  console.log(`node ${process.version}, ${runs} run(s) per figure, median kept, construct and floor runs interleaved`);
  console.log('| environments | objects | construct ms | floor ms | ratio | construct peak RSS MiB | floor peak RSS MiB |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const n of sizes) {
    const cs: Figure[] = [];
    const fs: Figure[] = [];
    for (let r = 0; r < runs; r++) {
      cs.push(child('construct', n));
      fs.push(child('floor', n));
    }
    const c = median(cs);
    const f = median(fs);
    if (c.bytes !== f.bytes) throw new Error(`the floor did not emit the same YAML (${c.bytes} vs ${f.bytes} bytes)`);
    console.log(`| ${n} | ${n * 7} | ${c.ms.toFixed(0)} | ${f.ms.toFixed(0)} | ${(c.ms / f.ms).toFixed(2)}x | ${c.rssMiB.toFixed(0)} | ${f.rssMiB.toFixed(0)} |`);
  }
}
