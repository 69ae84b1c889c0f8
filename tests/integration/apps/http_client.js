// node's http client on a keep-alive agent of two sockets: three GETs and
// two 4 MB POSTs at once; prints the SHA-256 of each answer.
// usage: node http_client.js HOST PORT
const http = require('http'), crypto = require('crypto');
const [host, port] = [process.argv[2], +process.argv[3]];
const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });

function get() {
	return new Promise((ok, ko) => {
		http.get({ host, port, path: '/file', agent }, (r) => {
			const h = crypto.createHash('sha256');
			r.on('data', (d) => h.update(d));
			r.on('end', () => ok('get ' + h.digest('hex')));
		}).on('error', ko);
	});
}

function post(buf) {
	return new Promise((ok, ko) => {
		const q = http.request({ host, port, method: 'POST', path: '/sum', agent }, (r) => {
			let s = '';
			r.on('data', (d) => (s += d));
			r.on('end', () => ok('post ' + s.trim()));
		});
		q.on('error', ko);
		q.end(buf);
	});
}

(async () => {
	const b = Buffer.alloc(4000000);
	for (let i = 0; i < b.length; i++) b[i] = (i * 7 + 13) & 255;
	console.log((await Promise.all([get(), get(), get(), post(b), post(b)])).join('\n'));
	agent.destroy();
})().catch((e) => {
	console.error('error', e);
	process.exit(1);
});
