// node's http server: GET answers with FILE, POST with the SHA-256 of its body.
// usage: node http_server.js FILE PORT
const http = require('http'), fs = require('fs'), crypto = require('crypto');
const body = fs.readFileSync(process.argv[2]);
const server = http.createServer((req, res) => {
	if (req.method === 'POST') {
		const h = crypto.createHash('sha256');
		req.on('data', (d) => h.update(d));
		req.on('end', () => res.end(h.digest('hex') + '\n'));
		return;
	}
	res.setHeader('content-length', body.length);
	res.end(body);
});
server.listen(+process.argv[3], '0.0.0.0');
