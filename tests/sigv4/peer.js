#!/usr/bin/env node
// tests/sigv4/peer.js: the Node half of tests/sigv4/cross_check.sh.
//
//   node peer.js input DIR [--query]
//       DIR/request.txt + DIR/context.json as the JSON that
//       ../shared/peers/sign.js (@smithy/signature-v4) reads on stdin
//   node peer.js compare OURS.json PEER.json [--query]
//       OURS is `stepdeploy sign --json [--query]`'s output, PEER sign.js's;
//       exit 0 when the Authorization headers (header form) or the
//       X-Amz-Signature and X-Amz-SignedHeaders (query form) are equal,
//       else print both sides (and both canonical requests) and exit 1.
'use strict';
const fs = require('fs');
const path = require('path');

// request.txt: request line, headers (continuations start with white
// space), blank line, body; parsed as aws-c-auth's test harness does.
function parseRequest(buf) {
  const lines = [];
  let s = 0;
  for (let i = 0; i <= buf.length; i++) {
    if (i === buf.length || buf[i] === 10) { lines.push([s, i]); s = i + 1; }
  }
  const first = buf.slice(lines[0][0], lines[0][1]).toString('utf8');
  const sp = first.indexOf(' ');
  const method = first.slice(0, sp);
  const target = first.slice(sp + 1, first.length - ' HTTP/1.1'.length);
  const hs = [];
  let li = 1;
  for (; li < lines.length; li++) {
    const [a, b] = lines[li];
    if (a === b) break;
    if (buf[a] === 32 || buf[a] === 9) hs[hs.length - 1].end = b;
    else {
      const c = buf.indexOf(58, a);
      hs.push({ name: buf.slice(a, c).toString('utf8'), v: c + 1, end: b });
    }
  }
  const body = li + 1 < lines.length ? buf.slice(lines[li + 1][0]) : Buffer.alloc(0);
  return { method, target, headers: hs.map((h) => [h.name, buf.slice(h.v, h.end).toString('utf8')]), body };
}

function input(dir, query) {
  const r = parseRequest(fs.readFileSync(path.join(dir, 'request.txt')));
  const ctx = JSON.parse(fs.readFileSync(path.join(dir, 'context.json'), 'utf8'));
  const q = r.target.indexOf('?');
  const headers = {};
  let host;
  for (const [n, v] of r.headers) {
    if (n.toLowerCase() === 'host') host = v.trim();
    if (n in headers) headers[n] = [].concat(headers[n], v); else headers[n] = v;
  }
  const s3 = ctx.service === 's3';
  const out = {
    method: r.method, host,
    path: q < 0 ? r.target : r.target.slice(0, q),
    query: q < 0 ? '' : r.target.slice(q + 1),
    headers, bodyBase64: r.body.toString('base64'),
    region: ctx.region, service: ctx.service,
    accessKeyId: ctx.credentials.access_key_id,
    secretAccessKey: ctx.credentials.secret_access_key,
    date: ctx.timestamp,
    uriEscapePath: ctx.double_uri_encode !== undefined ? ctx.double_uri_encode : !s3,
    applyChecksum: ctx.sign_body === true,
    unsignedPayload: ctx.unsigned_payload === true,
  };
  if (ctx.credentials.token) out.sessionToken = ctx.credentials.token;
  if (query) { out.presign = true; out.expiresIn = ctx.expiration_in_seconds || 3600; }
  process.stdout.write(JSON.stringify(out) + '\n');
}

function compare(oursFile, peerFile, query) {
  const ours = JSON.parse(fs.readFileSync(oursFile, 'utf8'));
  const peer = JSON.parse(fs.readFileSync(peerFile, 'utf8'));
  let a, b;
  if (query) {
    const oq = new URLSearchParams(ours.query);
    a = `X-Amz-Signature=${oq.get('X-Amz-Signature')} X-Amz-SignedHeaders=${oq.get('X-Amz-SignedHeaders')}`;
    b = `X-Amz-Signature=${peer.query['X-Amz-Signature']} X-Amz-SignedHeaders=${peer.query['X-Amz-SignedHeaders']}`;
  } else {
    a = ours.authorization;
    b = peer.authorization;
  }
  if (a === b) process.exit(0);
  process.stdout.write(`    ours: ${a}\n    peer: ${b}\n`);
  process.stdout.write(`    our canonical request:\n${indent(ours.canonical_request)}\n`);
  process.stdout.write(`    peer canonical request:\n${indent(peer.canonicalRequest)}\n`);
  process.exit(1);
}

function indent(s) { return String(s).split('\n').map((l) => '      | ' + l).join('\n'); }

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'input' && args.length >= 1) input(args[0], args.includes('--query'));
else if (cmd === 'compare' && args.length >= 2) compare(args[0], args[1], args.includes('--query'));
else { process.stderr.write('usage: peer.js input DIR [--query] | compare OURS PEER [--query]\n'); process.exit(2); }
