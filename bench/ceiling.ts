// The ceiling: a bare Node.js http server that parses a JSON body and answers a small JSON, measured in
// the same run as the master so every figure can be given as a fraction of it. Run as a child process:
//   node --import tsx bench/ceiling.ts PORT
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let ok = true;
    try {
      if (chunks.length > 0) JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      ok = false;
    }
    const body = JSON.stringify({ ok, at: new Date().toISOString() });
    res.writeHead(ok ? 200 : 400, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}).listen(port, '127.0.0.1', () => process.send?.('ready'));
