// Node's DNS resolver (c-ares: UDP, and TCP for a truncated answer)
// against a server at HOST:PORT: an A record and a long TXT record.
// usage: node dns_client.js HOST PORT
'use strict';
const { Resolver } = require('dns').promises;

(async () => {
  const r = new Resolver({ timeout: 5000, tries: 2 });
  r.setServers([`${process.argv[2]}:${process.argv[3]}`]);
  console.log('a', (await r.resolve4('svc.battery.test')).join(','));
  const txt = await r.resolveTxt('txt.battery.test');
  console.log('txt', txt.map((c) => c.join('').length).join(','));
  try {
    await r.resolve4('none.battery.test');
  } catch (e) {
    console.log('missing', e.code);
  }
})().catch((e) => {
  console.log('error', e.code || e.message);
  process.exit(1);
});
