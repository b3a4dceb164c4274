/**
 * Every link of the Markdown files an npm user gets must resolve:
 * - a relative link must name a file (or folder) inside the packed tarball;
 * - a link to this project's repository (REPOSITORY/blob|tree/main/<path>) must name a file or folder the
 *   repository tracks, so that it resolves once pushed.
 * Anchors (#...) inside a file are not checked; other sites are not fetched.
 *
 *   npx ts-node --project test/tsconfig.json test/package/check-links.ts <unpacked tarball dir> <repository root>
 */
import { execFileSync } from 'child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'fs';
import { dirname, join, normalize, relative } from 'path';

export const REPOSITORY = 'https://github.com/cdk8s-go-remote/cdk8s-go-remote';

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name);
    if (name === 'node_modules') return [];
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith('.md') ? [path] : [];
  });
}

/** The problems of every link in `pkg` (an unpacked tarball), as 'file: link: why'. */
export function linkProblems(pkg: string, repo: string): string[] {
  const tracked = new Set(execFileSync('git', ['ls-files'], { cwd: repo, encoding: 'utf8' }).split('\n').filter(Boolean));
  const trackedDirs = new Set([...tracked].flatMap(f => f.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'))));
  const problems: string[] = [];
  for (const file of markdownFiles(pkg)) {
    const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
    for (const m of text.matchAll(/\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const link = m[1];
      const where = `${relative(pkg, file)}: ${link}`;
      if (link.startsWith(`${REPOSITORY}/`)) {
        const path = /^\/(?:blob|tree)\/main\/([^#?]+)/.exec(link.slice(REPOSITORY.length))?.[1];
        if (!path) problems.push(`${where}: a link to the repository must be ${REPOSITORY}/blob/main/<path> or /tree/main/<path>`);
        else if (!tracked.has(path) && !trackedDirs.has(path.replace(/\/$/, ''))) problems.push(`${where}: the repository has no ${path}`);
        continue;
      }
      if (/^[a-z][a-z0-9+.-]*:/i.test(link) || link.startsWith('#')) continue; // another site, or an anchor
      const target = normalize(join(dirname(file), decodeURIComponent(link.split('#')[0])));
      if (!target.startsWith(pkg) || !existsSync(target)) {
        problems.push(`${where}: not in the package (ship it, or link ${REPOSITORY}/blob/main/<path>)`);
      }
    }
  }
  return problems;
}

if (require.main === module) {
  const [pkg, repo] = process.argv.slice(2);
  if (!pkg || !repo) {
    console.error('usage: check-links.ts <unpacked tarball dir> <repository root>');
    process.exit(2);
  }
  const problems = linkProblems(normalize(pkg), repo);
  const files = markdownFiles(pkg).length;
  if (problems.length > 0) {
    console.error(`${problems.length} links of the package's ${files} Markdown files do not resolve:\n${problems.join('\n')}`);
    process.exit(1);
  }
  console.log(`every link of the package's ${files} Markdown files resolves`);
}
