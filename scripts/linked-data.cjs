// Reads the linked data of a running Capitole as its consumers do (see
// scripts/check-linked-data.sh):
//
// - every news article, event and place of the first page of each list, from its address
//   /items/{id}.jsonld, written into a TypeScript module as a value of schema-dts's type for
//   it (`WithContext<NewsArticle>`, `WithContext<Event>`, `WithContext<Place>`), which the
//   TypeScript compiler then checks against schema.org's vocabulary: an unknown type, a
//   property a type does not have, or a value of the wrong kind fails the check;
// - the DCAT catalogue, expanded by the `jsonld` processor without fetching anything, which
//   must give a dcat:Catalog whose every distribution has an absolute download or access
//   IRI, and whose datasets and distributions name the licence as an IRI.
//
//   node scripts/linked-data.cjs NODE_MODULES BASE_URL OUT_DIR
//
// Writes OUT_DIR/documents.ts and OUT_DIR/tsconfig.json; the shell script runs `tsc` on them.
'use strict';

const fs = require('fs');
const path = require('path');

const [modules, base, out] = process.argv.slice(2);
if (!modules || !base || !out) {
  console.error('usage: node linked-data.cjs NODE_MODULES BASE_URL OUT_DIR');
  process.exit(2);
}
const jsonld = require(path.join(modules, 'jsonld'));

const failures = [];
const fail = (message) => failures.push(message);

async function graphql(query) {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

async function document(url) {
  const response = await fetch(url);
  const type = response.headers.get('content-type');
  if (response.status !== 200) throw new Error(`${url}: status ${response.status}`);
  if (type !== 'application/ld+json') fail(`${url}: content type ${type}`);
  return response.json();
}

const TYPES = { news: 'NewsArticle', events: 'Event', places: 'Place' };

async function items() {
  const data = await graphql(
    '{ news(first: 100) { nodes { id } } events(first: 100) { nodes { id } } places(first: 100) { nodes { id } } }',
  );
  const lines = [`import type { WithContext, NewsArticle, Event, Place } from "schema-dts";`, ''];
  let count = 0;
  for (const [list, type] of Object.entries(TYPES)) {
    const nodes = data[list].nodes;
    if (nodes.length === 0) fail(`the demo city has no ${list}`);
    for (const [i, { id }] of nodes.entries()) {
      const doc = await document(`${base}/items/${id}.jsonld`);
      if (doc['@context'] !== 'https://schema.org') fail(`${id}: @context ${doc['@context']}`);
      if (doc['@id'] !== `${base}/items/${id}.jsonld`) fail(`${id}: @id ${doc['@id']}`);
      lines.push(`// ${doc['@id']}`);
      lines.push(`export const ${list}${i}: WithContext<${type}> = ${JSON.stringify(doc, null, 2)};`);
      lines.push('');
      count += 1;
    }
  }
  fs.writeFileSync(path.join(out, 'documents.ts'), lines.join('\n'));
  fs.writeFileSync(
    path.join(out, 'tsconfig.json'),
    JSON.stringify(
      {
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'es2020',
          module: 'commonjs',
          moduleResolution: 'node',
          typeRoots: [],
          types: [],
          baseUrl: '.',
          paths: { 'schema-dts': [path.join(modules, 'schema-dts')] },
        },
        files: ['documents.ts'],
      },
      null,
      2,
    ),
  );
  console.log(`${count} item documents written for the type check`);
}

const DCAT = 'http://www.w3.org/ns/dcat#';
const DCT = 'http://purl.org/dc/terms/';

// The catalogue names its vocabularies inline: nothing may be fetched to read it.
const offline = async (url) => {
  throw new Error(`the catalogue asked to load ${url}`);
};

const ids = (node, property) => (node[property] || []).map((value) => value['@id']);
const absolute = (iri) => typeof iri === 'string' && /^https?:\/\/[^/]+/.test(iri);

async function catalogue() {
  const doc = await document(`${base}/data/catalog.jsonld`);
  const expanded = await jsonld.expand(doc, { documentLoader: offline });
  const byId = new Map(expanded.flatMap(function walk(node) {
    if (Array.isArray(node)) return node.flatMap(walk);
    if (node === null || typeof node !== 'object') return [];
    const own = node['@id'] && node['@type'] ? [[node['@id'], node]] : [];
    return own.concat(Object.values(node).flatMap(walk));
  }));
  const catalog = [...byId.values()].find((n) => n['@type'].includes(`${DCAT}Catalog`));
  if (!catalog) return fail('the catalogue does not expand to a dcat:Catalog');
  const licence = ids(catalog, `${DCT}license`)[0];
  if (!absolute(licence)) fail(`the catalogue's licence is not an IRI: ${licence}`);
  const datasets = (catalog[`${DCAT}dataset`] || []).map((d) => byId.get(d['@id']) || d);
  if (datasets.length !== 3) fail(`${datasets.length} datasets instead of 3`);
  let distributions = 0;
  for (const dataset of datasets) {
    if (!dataset['@type'].includes(`${DCAT}Dataset`)) fail(`${dataset['@id']} is not a dcat:Dataset`);
    if (ids(dataset, `${DCT}license`)[0] !== licence) fail(`${dataset['@id']}: licence`);
    for (const ref of dataset[`${DCAT}distribution`] || []) {
      const distribution = byId.get(ref['@id']) || ref;
      distributions += 1;
      const urls = ids(distribution, `${DCAT}downloadURL`).concat(ids(distribution, `${DCAT}accessURL`));
      if (urls.length === 0 || !urls.every(absolute)) fail(`${distribution['@id']}: no absolute address`);
      if (!urls.every((u) => u.startsWith(base))) fail(`${distribution['@id']}: ${urls} is not under ${base}`);
      if (ids(distribution, `${DCT}format`).length !== 1) fail(`${distribution['@id']}: no dct:format IRI`);
      if (ids(distribution, `${DCT}license`)[0] !== licence) fail(`${distribution['@id']}: licence`);
    }
  }
  if (distributions < 8) fail(`only ${distributions} distributions`);
  console.log(`the catalogue expands to a dcat:Catalog of ${datasets.length} datasets and ${distributions} distributions`);
}

(async () => {
  fs.mkdirSync(out, { recursive: true });
  await items();
  await catalogue();
  if (failures.length > 0) {
    for (const message of failures) console.error(`FAIL ${message}`);
    process.exit(1);
  }
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
