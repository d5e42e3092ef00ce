#!/usr/bin/env node
// Validates an OSCAL document against NIST's OSCAL 1.1.3 JSON schema.
// Usage: node validate-oscal.js SCHEMA.json DOCUMENT.json
// Exit 0 when valid; 1 with the errors on stderr otherwise.
'use strict';
const fs = require('fs');
const Ajv = require('ajv');
const addFormats = require('ajv-formats');

const [schemaPath, docPath] = process.argv.slice(2);
if (!schemaPath || !docPath) {
  console.error('usage: validate-oscal.js SCHEMA.json DOCUMENT.json');
  process.exit(2);
}
const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
const doc = JSON.parse(fs.readFileSync(docPath, 'utf8'));
// NIST's schema uses \p{L} in patterns: unicode regular expressions are needed.
const ajv = new Ajv({strict: false, allErrors: true, unicodeRegExp: true});
addFormats(ajv);
const validate = ajv.compile(schema);
if (validate(doc)) {
  console.log(`${docPath}: valid OSCAL ${doc['assessment-results'] ? 'assessment-results' : 'document'}`);
  process.exit(0);
}
for (const e of validate.errors.slice(0, 50)) {
  console.error(`${e.instancePath || '/'}: ${e.message} ${JSON.stringify(e.params)}`);
}
process.exit(1);
