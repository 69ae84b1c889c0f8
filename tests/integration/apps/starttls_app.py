# Python's asyncio streams upgraded to TLS in the middle of a connection
# (StreamWriter.start_tls, Python 3.11), as SMTP, IMAP and XMPP do: the
# plain-text greeting and the first TLS records can arrive in one read, so
# whatever the stack delivers early must reach the TLS layer intact. Then
# an xmlrpc server (xmlrpc.server on http.server: a new connection per
# call) and its client, with a 1.5 MB binary argument each way.
# server: the STARTTLS echo on PORT and xmlrpc on PORT+1, until killed.
# client: one STARTTLS session (2 MiB echoed, then a clean TLS close) and
# three xmlrpc calls; prints what came back.
# usage: starttls_app.py server PORT CERT KEY | client HOST PORT
import asyncio, hashlib, ssl, sys, threading, xmlrpc.client, xmlrpc.server

# 2 MiB of a pattern whose period (251) is not a power of two.
DATA = (bytes(range(251)) * 8400)[: 2 << 20]


async def session(r, w):
    w.write(b"220 ready\r\n")
    await w.drain()
    if await r.readline() != b"STARTTLS\r\n":
        w.close()
        return
    w.write(b"220 go ahead\r\n")
    await w.drain()
    await w.start_tls(TLS)
    # Echo until the client's close_notify, then close our side too.
    while d := await r.read(65536):
        w.write(d)
        await w.drain()
    w.close()


def xmlrpc_server(port):
    s = xmlrpc.server.SimpleXMLRPCServer(("0.0.0.0", port), logRequests=False)
    s.register_function(lambda b: xmlrpc.client.Binary(b.data[::-1]), "reverse")
    s.register_function(lambda a, b: a + b, "add")
    s.serve_forever()


async def serve(port):
    srv = await asyncio.start_server(session, "0.0.0.0", port)
    async with srv:
        await srv.serve_forever()


async def client(host, port):
    r, w = await asyncio.open_connection(host, port)
    greeting = await r.readline()
    w.write(b"STARTTLS\r\n")
    await w.drain()
    go = await r.readline()
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    await w.start_tls(ctx)
    h = hashlib.sha256()
    n = 0

    async def reader():
        nonlocal n
        while n < len(DATA):
            d = await r.read(65536)
            if not d:
                break
            h.update(d)
            n += len(d)

    rd = asyncio.ensure_future(reader())
    w.write(DATA)
    await w.drain()
    await rd
    w.close()
    await w.wait_closed()
    print(greeting.strip().decode(), "|", go.strip().decode(), "|", w.get_extra_info("ssl_object").version())
    print("starttls", n, h.hexdigest() == hashlib.sha256(DATA).hexdigest())


if sys.argv[1] == "server":
    port = int(sys.argv[2])
    TLS = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    TLS.load_cert_chain(sys.argv[3], sys.argv[4])
    threading.Thread(target=xmlrpc_server, args=(port + 1,), daemon=True).start()
    asyncio.run(serve(port))
else:
    host, port = sys.argv[2], int(sys.argv[3])
    asyncio.run(asyncio.wait_for(client(host, port), 60))
    p = xmlrpc.client.ServerProxy(f"http://{host}:{port + 1}/")
    blob = DATA[: 1500000]
    back = p.reverse(xmlrpc.client.Binary(blob)).data
    print("xmlrpc", p.add(40, 2), p.add("a", "b"), len(back), back == blob[::-1])
