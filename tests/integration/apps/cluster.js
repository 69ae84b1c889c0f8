// node's cluster module: a primary and two workers serving HTTP on PORT;
// each answer names the peer and local addresses the worker's socket has.
// usage: node cluster.js PORT (NODE_CLUSTER_SCHED_POLICY chooses who accepts)
const cluster = require('cluster'), http = require('http');
if (cluster.isPrimary) {
	for (let i = 0; i < 2; i++) cluster.fork();
} else {
	http.createServer((q, r) => {
		q.socket.setNoDelay(true);
		r.end(`${q.socket.remoteAddress} ${q.socket.localAddress}:${q.socket.localPort}\n`);
	}).listen(+process.argv[2], '0.0.0.0');
}
