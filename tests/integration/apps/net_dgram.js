// node's net and dgram modules. server: a TCP echo that keeps half-open
// connections, and a UDP echo, on PORT. client: 4 MiB through the TCP echo
// (end() after the write, the echo read to its end), then datagrams of
// 1 to 65,507 bytes through the UDP echo, one at a time.
// usage: node net_dgram.js server PORT | client HOST PORT
const net = require('net'), dgram = require('dgram'), crypto = require('crypto');
const mode = process.argv[2];

if (mode === 'server') {
	const port = +process.argv[3];
	net.createServer({ allowHalfOpen: true }, (c) => c.pipe(c)).listen(port, '0.0.0.0');
	const u = dgram.createSocket('udp4');
	u.on('message', (m, r) => u.send(m, r.port, r.address));
	u.bind(port, '0.0.0.0');
} else {
	const [host, port] = [process.argv[3], +process.argv[4]];
	const sizes = [1, 100, 1400, 1472, 8000, 30000, 65507];
	const b = Buffer.alloc(4 << 20);
	for (let i = 0; i < b.length; i++) b[i] = (i * 31) & 255;
	const c = net.connect({ host, port, allowHalfOpen: true }, () => c.end(b));
	const h = crypto.createHash('sha256');
	let n = 0;
	c.on('data', (d) => {
		h.update(d);
		n += d.length;
	});
	c.on('error', (e) => {
		console.log('tcp error', e.code);
		process.exit(1);
	});
	c.on('end', () => {
		const sent = crypto.createHash('sha256').update(b).digest('hex');
		console.log('tcp echo', n, h.digest('hex') === sent ? 'intact' : 'CORRUPT');
		c.destroy();
		const u = dgram.createSocket('udp4');
		let got = 0;
		const send = () => u.send(Buffer.alloc(sizes[got], got), port, host);
		u.on('message', (m) => {
			console.log('udp echo', m.length, m.length === sizes[got] && m[0] === (got & 255));
			if (++got === sizes.length) u.close();
			else send();
		});
		u.bind(0, send);
	});
}
