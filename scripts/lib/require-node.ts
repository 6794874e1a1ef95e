// Imported first by the scripts a deployment guide tells people to run with `npx tsx`: on a Node
// older than package.json's engines, the Kubernetes client's undici dies at import time with a
// stack trace that names neither Node nor the fix. This module has no imports of its own, so it
// runs before any module that could break, and says in one line what is needed.
const REQUIRED_MAJOR = 22;
const major = Number(process.versions.node.split('.')[0]);
if (!(major >= REQUIRED_MAJOR)) {
  process.stderr.write(
    `ci-fixer needs Node >= ${REQUIRED_MAJOR}; this is Node ${process.version} (${process.execPath}). ` +
      `Get one with: npm install -g --prefix ~/.cache/ci-fixer/node24 node@24 && export PATH=~/.cache/ci-fixer/node24/bin:$PATH\n`,
  );
  process.exit(1);
}
export {};
