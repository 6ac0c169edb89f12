// Uses Capitole's /graphql the way a graphql-js client would, and fails on any difference:
//
// 1. the server audits of the `graphql-http` package (the GraphQL-over-HTTP
//    specification's own test suite): any failed requirement (MUST) or recommendation
//    (SHOULD) fails the check; optional behaviours (MAY) are listed;
// 2. the order of keys in answers: each operation of DOCUMENTS is sent to Capitole, and
//    the keys of every object of its answer, at every depth, must come in the order
//    graphql-js gives when it executes the same document against the same schema
//    (SCHEMA, built with `buildSchema`). graphql-js's resolvers return Capitole's own
//    values, read by response key, so that both answers carry the same data and only
//    graphql-js decides the order; the concrete type of each object of an interface or
//    a union comes from a second request that also asks for `__typename` everywhere.
//
// scripts/check-graphql-over-http.sh installs the packages and starts the server.
//
//   node scripts/graphql-over-http.cjs NODE_MODULES URL SCHEMA DOCUMENTS
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const [modules, url, schemaFile, documentsFile] = process.argv.slice(2);
if (!modules || !url || !schemaFile || !documentsFile) {
  console.error('usage: node graphql-over-http.cjs NODE_MODULES URL SCHEMA DOCUMENTS');
  process.exit(2);
}
const { serverAudits } = require(path.join(modules, 'graphql-http'));
const graphql = require(path.join(modules, 'graphql'));

// The response key under which the typed variant of a document asks for `__typename`.
const TYPE_KEY = 'checkConcreteType';

async function audit() {
  const problems = [];
  const audits = serverAudits({ url });
  for (const { fn } of audits) {
    const result = await fn();
    if (result.status === 'ok') continue;
    let body = '';
    try {
      body = (await result.response.text()).slice(0, 300);
    } catch {
      // The body was read by the audit itself.
    }
    const line = `${result.id} ${result.name}: ${result.reason} (HTTP ${result.response?.status}) ${body}`;
    if (result.status === 'notice') {
      console.log(`  notice: ${line}`);
    } else {
      problems.push(`${result.status}: ${line}`);
    }
  }
  console.log(`${audits.length} audits of graphql-http, ${problems.length} failed or warned`);
  return problems;
}

// Capitole's data for `query`; throws on any status but 200 and on any error.
async function post(query, variables) {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
    },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${text}`);
  // JSON.parse keeps the order of keys (GraphQL names are never integer-like).
  const body = JSON.parse(text);
  if (body.errors) throw new Error(`errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

// `document` with `TYPE_KEY: __typename` added below every field that has a selection.
function withTypes(document) {
  const { Kind } = graphql;
  return graphql.visit(document, {
    Field: {
      leave(node) {
        if (!node.selectionSet) return undefined;
        const typename = {
          kind: Kind.FIELD,
          alias: { kind: Kind.NAME, value: TYPE_KEY },
          name: { kind: Kind.NAME, value: '__typename' },
        };
        return {
          ...node,
          selectionSet: {
            ...node.selectionSet,
            selections: [...node.selectionSet.selections, typename],
          },
        };
      },
    },
  });
}

// Where `actual` (Capitole's) first differs from `wanted` (graphql-js's), or null.
function difference(actual, wanted, where) {
  const show = (value) => JSON.stringify(value)?.slice(0, 200);
  if (Array.isArray(wanted)) {
    if (!Array.isArray(actual) || actual.length !== wanted.length) {
      return `${where}: Capitole gives ${show(actual)}, graphql-js ${show(wanted)}`;
    }
    for (let i = 0; i < wanted.length; i++) {
      const found = difference(actual[i], wanted[i], `${where}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  if (wanted !== null && typeof wanted === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) {
      return `${where}: Capitole gives ${show(actual)}, graphql-js an object`;
    }
    const actualKeys = Object.keys(actual);
    const wantedKeys = Object.keys(wanted);
    if (actualKeys.join(' ') !== wantedKeys.join(' ')) {
      return `${where}: Capitole's keys are [${actualKeys.join(', ')}], graphql-js's [${wantedKeys.join(', ')}]`;
    }
    for (const key of wantedKeys) {
      const found = difference(actual[key], wanted[key], `${where}.${key}`);
      if (found) return found;
    }
    return null;
  }
  return actual === wanted ? null : `${where}: Capitole gives ${show(actual)}, graphql-js ${show(wanted)}`;
}

// How many objects `value` holds, at every depth.
function objects(value) {
  if (Array.isArray(value)) return value.reduce((sum, item) => sum + objects(item), 0);
  if (value !== null && typeof value === 'object') {
    return 1 + Object.values(value).reduce((sum, item) => sum + objects(item), 0);
  }
  return 0;
}

async function compareOrder() {
  const schema = graphql.buildSchema(fs.readFileSync(schemaFile, 'utf8'));
  const documents = graphql.separateOperations(graphql.parse(fs.readFileSync(documentsFile, 'utf8')));
  const demo = await post(
    '{ places(first: 1) { nodes { id } } events(first: 1) { nodes { id } } news(first: 1) { nodes { id } } }',
  );
  const [place, event, article] = ['places', 'events', 'news'].map((list) => demo[list].nodes[0].id);
  const pool = { place, event, article, ids: [place, event, article], yes: true, no: false };
  const problems = [];
  for (const [name, document] of Object.entries(documents)) {
    const errors = graphql.validate(schema, document);
    if (errors.length > 0) {
      problems.push(`${name}: graphql-js refuses the document: ${errors.map((e) => e.message).join('; ')}`);
      continue;
    }
    const operation = graphql.getOperationAST(document, name);
    const variables = {};
    for (const definition of operation.variableDefinitions ?? []) {
      const variable = definition.variable.name.value;
      if (!(variable in pool)) throw new Error(`${name}: no value for $${variable}`);
      variables[variable] = pool[variable];
    }
    try {
      const answer = await post(graphql.print(document), variables);
      const typed = await post(graphql.print(withTypes(document)), variables);
      const expected = await graphql.execute({
        schema,
        document,
        variableValues: variables,
        rootValue: typed,
        fieldResolver: (source, _args, _context, info) => source[info.path.key],
        typeResolver: (value) => value[TYPE_KEY],
      });
      if (expected.errors) {
        problems.push(`${name}: graphql-js could not execute it: ${expected.errors.map((e) => e.message).join('; ')}`);
        continue;
      }
      const found = difference(answer, expected.data, 'data');
      if (found) {
        problems.push(`${name}: ${found}`);
      } else {
        console.log(`  ${name}: ${objects(answer)} objects, keys in graphql-js's order`);
      }
    } catch (error) {
      problems.push(`${name}: ${error.message}`);
    }
  }
  console.log(`${Object.keys(documents).length} documents compared with graphql-js ${graphql.version}`);
  return problems;
}

async function main() {
  const problems = [...(await audit()), ...(await compareOrder())];
  if (problems.length > 0) {
    console.error(problems.map((problem) => `FAILED ${problem}`).join('\n'));
    process.exit(1);
  }
  console.log('GraphQL over HTTP: every audit passed and every answer keeps the order asked');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
