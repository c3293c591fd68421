// Reference B: PouchDB (node, LevelDOWN) replicates a pouchdb-server database into an empty local
// one, stopped after --cap seconds. Prints {"docs_written", "seconds", "completed"} as JSON.
'use strict';
const PouchDB = require('pouchdb');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const source = arg('source');
const target = arg('target');
const capSecs = Number(arg('cap', '600'));
if (!source || !target) {
  console.error('usage: replicate.js --source URL --target DIR [--cap SECONDS]');
  process.exit(2);
}

const local = new PouchDB(target);
const started = process.hrtime.bigint();
let written = 0;
let finished = false;
const secs = () => Number(process.hrtime.bigint() - started) / 1e9;
const rep = local.replicate.from(source, { batch_size: 100, batches_limit: 10 });
const report = (completed) => {
  if (finished) return;
  finished = true;
  process.stdout.write(JSON.stringify({ docs_written: written, seconds: secs(), completed }) + '\n');
  local.close().finally(() => process.exit(0));
};
const timer = setTimeout(() => {
  rep.cancel();
  report(false);
}, capSecs * 1000);
rep.on('change', (info) => {
  written = info.docs_written;
});
rep.on('complete', (info) => {
  clearTimeout(timer);
  if (info.docs_written !== undefined) written = info.docs_written;
  report(info.status === 'complete' || info.ok === true);
});
rep.on('error', (err) => {
  clearTimeout(timer);
  console.error(String(err && err.stack || err));
  process.exit(1);
});
