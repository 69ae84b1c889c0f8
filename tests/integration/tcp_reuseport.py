import errno, select, socket, sys

peer = sys.argv[1]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.connect((peer, 9))
me = u.getsockname()[0]
u.close()
keep = []

def res(f):
    try:
        f()
        return "ok"
    except OSError as e:
        return errno.errorcode[e.errno]

def sock(opts):
    s = socket.socket()
    for o in opts:
        s.setsockopt(socket.SOL_SOCKET, {"addr": socket.SO_REUSEADDR, "port": socket.SO_REUSEPORT}[o], 1)
    keep.append(s)
    return s

# steps: (socket index, options, action, address); actions bind / listen
def case(name, port, steps):
    socks, out = {}, []
    for i, opts, act, addr in steps:
        s = socks.setdefault(i, sock(opts))
        a = {"any": "0.0.0.0", "me": me, "": ""}[addr]
        out.append("%s%d %s" % (act, i, res(lambda: s.bind((a, port)) if act == "bind" else s.listen(8))))
    print(name + ":", ", ".join(out))

P, A, L = ("port",), ("addr",), "listen"
case("reuseport both", 7301, [(0, P, "bind", "any"), (1, P, "bind", "any"), (0, P, L, ""), (1, P, L, "")])
case("reuseport then none", 7302, [(0, P, "bind", "any"), (0, P, L, ""), (1, (), "bind", "any")])
case("none then reuseport", 7303, [(0, (), "bind", "any"), (1, P, "bind", "any")])
case("reuseport any then addr", 7304, [(0, P, "bind", "any"), (0, P, L, ""), (1, P, "bind", "me"), (1, P, L, "")])
case("reuseaddr listening", 7305, [(0, A, "bind", "any"), (0, A, L, ""), (1, A, "bind", "any")])
case("reuseaddr then listen both", 7306, [(0, A, "bind", "any"), (1, A, "bind", "any"), (0, A, L, ""), (1, A, L, "")])
case("both options", 7307, [(0, A + P, "bind", "any"), (1, A + P, "bind", "any"), (0, A + P, L, ""), (1, A + P, L, "")])
b0, b1 = sock(P), sock(P)
b0.bind(("0.0.0.0", 0))
b1.bind(("0.0.0.0", 0))
print("bind(0) twice with reuseport: distinct ports", b0.getsockname()[1] != b1.getsockname()[1])

# A group of three listeners: the peer opens 30 connections, each is
# accepted by exactly one member, and more than one member gets some.
group = []
for _ in range(3):
    s = sock(P)
    s.bind(("0.0.0.0", 7310))
    s.listen(64)
    group.append(s)
ctl = socket.create_connection((peer, 7399))
ctl.sendall(b"%s 7310 30\n" % me.encode())
counts, total = [0] * 3, 0
while total < 30:
    r, _, _ = select.select(group, [], [], 20)
    if not r:
        break
    for s in r:
        c, _ = s.accept()
        c.close()
        counts[group.index(s)] += 1
        total += 1
print("group: accepted", total, "members used", sum(1 for n in counts if n) > 1)
print("peer says:", ctl.makefile().readline().strip())
